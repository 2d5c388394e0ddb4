"""Per-call state for the live API: the assessor pipeline, subscribers, audio ingest.

Routes decode wire messages into events and hand them here; business rules stay in
the pipelines (``service.create_assessor`` / ``service.create_streaming_stage``).
Pipelines are synchronous and may be slow (ASR), so they run in a worker thread under
one lock per call.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from langassist.api.schemas import to_wire
from langassist.core.stage import Pipeline
from langassist.events import AudioChunk, StreamEnded, TranscriptFinal

log = logging.getLogger(__name__)

__all__ = ["AudioIngest", "CallSession", "SessionRegistry"]

SUBSCRIBER_QUEUE = 1000


class CallSession:
    """One call: its assessor pipeline and the event sockets watching it."""

    def __init__(self, call_id: str, assessor: Any, metrics: Any) -> None:
        self.call_id = call_id
        self.pipeline, self.barrier = assessor.pipeline(call_id)
        self.lock = threading.Lock()
        self.subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self.metrics = metrics
        self.history: list[dict[str, Any]] = []

    def assess(self, events: list[Any]) -> list[Any]:
        """Run events through the assessor (caller holds no lock; thread-safe)."""
        out: list[Any] = []
        with self.lock:
            for event in events:
                out.extend(self.pipeline.feed(event))
            if any(isinstance(e, self.barrier.accepts) for e in out):
                out.append(self._barrier_update())
        return out

    def _barrier_update(self) -> dict[str, Any]:
        """The live gauge: the barrier verdict so far, as a ``BarrierUpdated`` wire event."""
        from langassist.event_codec import event_to_dict

        summary = event_to_dict(self.barrier.timeline.summary())
        summary["type"] = "BarrierUpdated"
        return summary

    def finish(self, tracks: list[str], end_s: float, aborted: bool = False) -> list[Any]:
        ends = [StreamEnded(self.call_id, track, end_s, aborted) for track in tracks]
        with self.lock:
            out: list[Any] = []
            for event in ends:
                out.extend(self.pipeline.feed(event))
            out.extend(self.pipeline.flush())
        return out

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(SUBSCRIBER_QUEUE)
        for message in self.history[-200:]:
            queue.put_nowait(message)
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self.subscribers.discard(queue)

    def publish(self, events: list[Any]) -> list[dict[str, Any]]:
        """Encode events (never audio) and fan them out; returns the wire messages."""
        messages = [to_wire(e) for e in events if not isinstance(e, AudioChunk)]
        for message in messages:
            self.history.append(message)
            self.metrics.events_sent.labels(str(message.get("type"))).inc()
            for queue in list(self.subscribers):
                if queue.full():  # a stalled sidebar loses its oldest events, not the call
                    queue.get_nowait()
                queue.put_nowait(message)
        if len(self.history) > 1000:
            del self.history[:-500]
        return messages


class SessionRegistry:
    def __init__(self, assessor: Any, metrics: Any, max_calls: int = 256) -> None:
        self.assessor = assessor
        self.metrics = metrics
        self.max_calls = max_calls
        self.calls: dict[str, CallSession] = {}

    def get(self, call_id: str) -> CallSession:
        session = self.calls.get(call_id)
        if session is None:
            if len(self.calls) >= self.max_calls:
                oldest = next(iter(self.calls))
                self.calls.pop(oldest)
            session = self.calls[call_id] = CallSession(call_id, self.assessor, self.metrics)
        return session


@dataclass
class AudioIngest:
    """Audio of one stream -> streaming stage -> finals -> the call's assessor.

    Per track the timeline is the count of samples received (16 kHz after resampling);
    a later ``start_s`` than that (a gap) moves the chunk forward and the stage fills it.
    """

    call: CallSession
    stage: Any
    sample_rate_hz: int
    tracks: list[str]
    clock: dict[str, float] = field(default_factory=dict)
    received_bytes: dict[str, int] = field(default_factory=dict)
    finished: bool = False

    def __post_init__(self) -> None:
        self.pipeline = Pipeline([self.stage])
        self.lock = threading.Lock()
        self.resamplers: dict[str, Any] = {}
        for track in self.tracks:
            self.clock[track] = 0.0
            self.received_bytes[track] = 0

    def _resample(self, track: str, samples: np.ndarray) -> np.ndarray:
        """To 16 kHz with one resampler per track (its filter state spans the frames)."""
        if self.sample_rate_hz == 16000:
            return samples.astype(np.float32, copy=False)
        from langassist.audio import StreamResampler

        resampler = self.resamplers.get(track)
        if resampler is None:
            resampler = self.resamplers[track] = StreamResampler(self.sample_rate_hz, 16000)
        return np.asarray(resampler.feed(samples), dtype=np.float32)

    def feed(self, track: str, samples: np.ndarray, start_s: float | None = None, nbytes: int = 0) -> list[Any]:
        """Feed one block of float32 audio at the stream's rate; returns every event made."""
        with self.lock:
            if self.finished:
                return []
            if track not in self.clock:
                self.tracks.append(track)
                self.clock[track] = 0.0
            self.received_bytes[track] = self.received_bytes.get(track, 0) + nbytes
            audio = self._resample(track, samples)
            at = self.clock.get(track, 0.0)
            if start_s is not None and start_s > at + 0.001:
                at = start_s
            self.clock[track] = at + audio.size / 16000.0
            produced = self.pipeline.feed(AudioChunk(self.call.call_id, track, at, audio))
        return self._route(produced)

    def finish(self, aborted: bool = False) -> list[Any]:
        """Finalize open utterances (stop or disconnect), then end the call's tracks."""
        with self.lock:
            if self.finished:
                return []
            self.finished = True
            produced: list[Any] = []
            for track in self.tracks:
                produced.extend(
                    self.pipeline.feed(StreamEnded(self.call.call_id, track, self.clock.get(track, 0.0), aborted))
                )
            produced.extend(self.pipeline.flush())
        out = self._route(produced, include_stream_end=False)
        end_s = max(self.clock.values(), default=0.0)
        return out + self.call.finish(self.tracks, end_s, aborted)

    def _route(self, produced: list[Any], include_stream_end: bool = True) -> list[Any]:
        out: list[Any] = []
        for event in produced:
            if isinstance(event, AudioChunk):
                continue
            if isinstance(event, StreamEnded):
                continue  # the call's own StreamEnded goes through the assessor in finish()
            if isinstance(event, TranscriptFinal):
                started = time.perf_counter()
                out.extend(self.call.assess([event]))  # includes the final itself first
                self.call.metrics.assess_latency.observe(time.perf_counter() - started)
            else:
                out.append(event)
        return out


StageFactory = Callable[[], Any]
