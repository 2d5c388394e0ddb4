"""Prometheus metrics of the live API, in a registry of the app's own (several apps per
process in tests). Served on the token-protected ``/metrics``.

Streams and calls, refusals, the pool's queue and latencies, event-socket queues with
coalesced/dropped partials and slow-consumer disconnects, and the process's resident
memory (``process_resident_memory_bytes`` from prometheus_client's process collector).
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

__all__ = ["Metrics"]

_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_LATENCY = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        registry = self.registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        self.active_streams = Gauge("langassist_active_streams", "Open audio streams", registry=registry)
        self.active_calls = Gauge("langassist_active_calls", "Calls holding a pool slot", registry=registry)
        self.event_sockets = Gauge("langassist_event_sockets", "Open event sockets", registry=registry)
        self.refused = Counter("langassist_refused_calls_total", "Calls refused because every slot was taken",
                               ["route"], registry=registry)
        self.events_sent = Counter("langassist_events_sent_total", "Wire events published", ["type"],
                                   registry=registry)
        self.dropped = Counter("langassist_ingress_dropped_total", "Ingress messages dropped",
                               ["protocol", "reason"], registry=registry)
        self.pool_wait = Histogram("langassist_pool_wait_seconds", "Time a job waited for a pool worker",
                                   buckets=_FAST, registry=registry)
        self.pool_run = Histogram("langassist_pool_job_seconds", "Time a pool job ran (stream slice, chat)",
                                  buckets=_FAST, registry=registry)
        self.decode_latency = Histogram("langassist_decode_seconds", "Time of one streaming decode",
                                        buckets=_FAST, registry=registry)
        self.final_latency = Histogram(
            "langassist_final_latency_seconds",
            "Wall time from the arrival of the audio at a final's end to the final's publication",
            buckets=_LATENCY, registry=registry)
        self.assess_latency = Histogram("langassist_assess_seconds", "Time to assess one final",
                                        buckets=_FAST, registry=registry)
        self.chat_latency = Histogram("langassist_chat_seconds", "Time to handle one chat message",
                                      buckets=_FAST, registry=registry)
        self.backpressure = Counter("langassist_backpressure_waits_total",
                                    "Times a stream's socket was paused until its audio backlog drained",
                                    registry=registry)
        self.partials_coalesced = Counter("langassist_partials_coalesced_total",
                                          "Queued partials replaced by a newer revision or their final",
                                          registry=registry)
        self.partials_dropped = Counter("langassist_partials_dropped_total",
                                        "Partials not queued because an event socket's queue was full",
                                        registry=registry)
        self.slow_consumers = Counter("langassist_slow_consumers_total",
                                      "Event sockets disconnected for falling behind", ["reason"],
                                      registry=registry)
        self.pool_queued = Gauge("langassist_pool_queued_jobs", "Jobs waiting for a pool worker",
                                 registry=registry)
        self.pending_audio = Gauge("langassist_pending_audio_seconds",
                                   "Audio received and not yet processed, all streams", registry=registry)
        self.events_queued = Gauge("langassist_events_queued_messages",
                                   "Messages waiting in event-socket queues, all sockets", registry=registry)

    def bind(self, *, active_calls: Callable[[], float], pool_queued: Callable[[], float],
             pending_audio: Callable[[], float], events_queued: Callable[[], float]) -> None:
        """Read the gauges that are state, not counts, at scrape time."""
        self.active_calls.set_function(active_calls)
        self.pool_queued.set_function(pool_queued)
        self.pending_audio.set_function(pending_audio)
        self.events_queued.set_function(events_queued)
