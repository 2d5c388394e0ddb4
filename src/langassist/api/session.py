"""Per-call state for the live API: audio ingest, the assessor, event fan-out.

Routes decode wire messages into events and hand them here; business rules stay in the
pipelines (``service.create_assessor`` / ``service.create_streaming_stage``). Pipeline
work runs on the shared pool (:mod:`langassist.api.pool`), never on the event loop;
everything else here (publishing, queues) runs on the event loop thread.

* :class:`AudioIngest` queues a stream's audio; one pool job drains everything queued
  (coalesced into one feed per track), so a call that fell behind catches up with one
  decode instead of accumulating latency. Past ``live.max_pending_audio_s`` of queued
  audio the route stops reading the socket (:meth:`AudioIngest.wait_for_room`).
* :class:`EventQueue` is one events socket's bounded outgoing queue: a newer partial of
  an utterance replaces the queued one, its final removes it; finals, suggestions and
  every other event are never dropped. A queue that overflows with them marks its
  consumer too slow (the route disconnects it with 4429).
* :class:`CallSession` keeps the call's messages except partials (bounded) and replays
  them to a socket that (re)connects.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from langassist.api.pool import CallScheduler, Lane
from langassist.api.schemas import to_wire
from langassist.core.stage import Pipeline
from langassist.events import AudioChunk, StreamEnded, TranscriptFinal

log = logging.getLogger(__name__)

__all__ = ["AudioIngest", "CallSession", "ConsumerTooSlow", "EventQueue", "SessionRegistry"]

RETAINED_CALLS = 256
"""Finished calls whose history stays replayable (the oldest idle one goes first)."""
ARRIVALS_KEPT = 4096
"""Arrival times kept per track for the final-latency metric (80 s of 20 ms frames)."""
_COALESCED_TYPES = ("TranscriptPartial", "BarrierUpdated")
"""Message types that are state (latest wins) rather than events."""


class ConsumerTooSlow(Exception):
    """An events socket's queue overflowed with messages that must not be dropped."""


def _coalesce_key(message: dict[str, Any]) -> tuple[str, ...] | None:
    kind = message.get("type")
    if kind == "TranscriptPartial":
        return ("partial", str(message.get("track")), str(message.get("utterance_id")))
    if kind == "BarrierUpdated":
        return ("barrier",)
    return None


class EventQueue:
    """Bounded outgoing queue of one events socket (event loop thread only).

    Args:
        capacity: live messages held at most (the replay does not count).
        replay: messages to send first (the call so far).
        metrics: counts coalesced and dropped partials.
    """

    def __init__(self, capacity: int, replay: list[dict[str, Any]], metrics: Any) -> None:
        self.capacity = capacity
        self.metrics = metrics
        self._replay: deque[dict[str, Any]] = deque(replay)
        self._slots: deque[list[Any]] = deque()  # [message | None, key | None]
        self._latest: dict[tuple[str, ...], list[Any]] = {}
        self._live = 0
        self._ready = asyncio.Event()
        self.overflow = asyncio.Event()
        self.overflowed = False
        self.coalesced = 0
        self.dropped = 0
        self.high_water = 0
        if self._replay:
            self._ready.set()

    def __len__(self) -> int:
        return len(self._replay) + self._live

    def put(self, message: dict[str, Any]) -> None:
        if self.overflowed:
            return
        key = _coalesce_key(message)
        if key is not None:
            slot = self._latest.get(key)
            if slot is not None:  # latest wins, in the queued one's place
                slot[0] = message
                self._count_coalesced(message)
                return
        elif message.get("type") == "TranscriptFinal":
            superseded = self._latest.pop(
                ("partial", str(message.get("track")), str(message.get("utterance_id"))), None)
            if superseded is not None:  # the final replaces its queued partial
                superseded[0] = None
                self._live -= 1
                self._count_coalesced(message)
        if self._live >= self.capacity:
            if key is not None:
                self.dropped += 1
                self.metrics.partials_dropped.inc()
                return
            self.overflowed = True
            self.overflow.set()
            self._ready.set()
            return
        slot = [message, key]
        self._slots.append(slot)
        if key is not None:
            self._latest[key] = slot
        self._live += 1
        self.high_water = max(self.high_water, self._live)
        self._ready.set()

    def _count_coalesced(self, message: dict[str, Any]) -> None:
        self.coalesced += 1
        if message.get("type") in ("TranscriptPartial", "TranscriptFinal"):
            self.metrics.partials_coalesced.inc()

    async def get(self) -> dict[str, Any]:
        """The next message; raises :class:`ConsumerTooSlow` once the queue overflowed."""
        while True:
            if self.overflowed:
                raise ConsumerTooSlow(f"more than {self.capacity} events waiting for this socket")
            if self._replay:
                return self._replay.popleft()
            while self._slots:
                slot = self._slots.popleft()
                message, key = slot
                if message is None:
                    continue
                self._live -= 1
                if key is not None and self._latest.get(key) is slot:
                    del self._latest[key]
                return dict(message)
            self._ready.clear()
            await self._ready.wait()


class CallSession:
    """One call: its assessor pipeline, its replayable history and the sockets watching it."""

    def __init__(self, call_id: str, assessor: Any, metrics: Any, *, history: int = 2000,
                 queue_capacity: int = 256) -> None:
        self.call_id = call_id
        self.pipeline, self.barrier = assessor.pipeline(call_id)
        self.lock = threading.Lock()
        self.subscribers: set[EventQueue] = set()
        self.metrics = metrics
        self.history: deque[dict[str, Any]] = deque(maxlen=history)
        self.last_barrier: dict[str, Any] | None = None
        self.queue_capacity = queue_capacity
        self.ingests: set[AudioIngest] = set()

    @property
    def streams(self) -> int:
        return len(self.ingests)

    @property
    def pending_s(self) -> float:
        """Audio this call's streams hold unprocessed."""
        return sum(ingest.pending_s for ingest in list(self.ingests))

    def assess(self, events: list[Any]) -> list[Any]:
        """Run events through the assessor (pool worker; thread-safe)."""
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

    def subscribe(self) -> EventQueue:
        """A queue for a new events socket, starting with the call so far."""
        replay = list(self.history)
        if self.last_barrier is not None:
            replay.append(self.last_barrier)
        queue = EventQueue(self.queue_capacity, replay, self.metrics)
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: EventQueue) -> None:
        self.subscribers.discard(queue)

    def publish(self, events: list[Any]) -> list[dict[str, Any]]:
        """Encode events (never audio) and fan them out (event loop thread); returns the wire messages."""
        messages = [to_wire(e) for e in events if not isinstance(e, AudioChunk)]
        for message in messages:
            kind = str(message.get("type"))
            if kind == "BarrierUpdated":
                self.last_barrier = message
            elif kind != "TranscriptPartial":
                self.history.append(message)
            self.metrics.events_sent.labels(kind).inc()
            for queue in list(self.subscribers):
                queue.put(message)
        return messages

    @property
    def queued(self) -> int:
        return sum(len(queue) for queue in self.subscribers)


class SessionRegistry:
    """Every call the server knows, active or replayable (at most ``RETAINED_CALLS`` idle ones)."""

    def __init__(self, assessor: Any, metrics: Any, *, history: int = 2000, queue_capacity: int = 256,
                 retained: int = RETAINED_CALLS) -> None:
        self.assessor = assessor
        self.metrics = metrics
        self.history = history
        self.queue_capacity = queue_capacity
        self.retained = retained
        self.calls: dict[str, CallSession] = {}

    def get(self, call_id: str) -> CallSession:
        session = self.calls.get(call_id)
        if session is None:
            idle = [cid for cid, s in self.calls.items() if not s.streams and not s.subscribers]
            while len(self.calls) >= self.retained and idle:
                self.calls.pop(idle.pop(0))
            session = self.calls[call_id] = CallSession(
                call_id, self.assessor, self.metrics, history=self.history, queue_capacity=self.queue_capacity)
        return session

    @property
    def queued(self) -> int:
        return sum(session.queued for session in self.calls.values())


@dataclass(eq=False)
class _Pending:
    track: str
    at: float
    samples: np.ndarray
    explicit: bool


class AudioIngest:
    """Audio of one stream -> (pool) streaming stage -> finals -> the call's assessor.

    Per track the timeline is the audio received; a later ``start_s`` than that (a gap)
    moves the chunk forward and the stage fills it. :meth:`enqueue` and
    :meth:`wait_for_room` run on the event loop, the stage on a pool worker; events are
    published back on the loop in order.
    """

    def __init__(self, call: CallSession, stage: Any, sample_rate_hz: int, tracks: list[str], *,
                 scheduler: CallScheduler, lane: Lane, max_pending_s: float = 4.0) -> None:
        self.call = call
        self.stage = stage
        if hasattr(stage, "defer_partials"):  # partials wait while other calls' work queues
            stage.defer_partials = lambda: scheduler.queued_jobs > 0
        self.sample_rate_hz = sample_rate_hz
        self.tracks = list(tracks)
        self.scheduler = scheduler
        self.lane = lane
        self.max_pending_s = max_pending_s
        self.metrics = call.metrics
        self.pipeline = Pipeline([stage])
        self.clock: dict[str, float] = dict.fromkeys(self.tracks, 0.0)
        self.received_bytes: dict[str, int] = dict.fromkeys(self.tracks, 0)
        self.arrivals: dict[str, deque[tuple[float, float]]] = {}
        self.pending_s = 0.0
        self.failed: BaseException | None = None
        self.finished = False
        self.drains = 0
        self._pending: list[_Pending] = []
        self._lock = threading.Lock()
        self._scheduled = False
        self._room = asyncio.Event()
        self._room.set()
        self._loop = asyncio.get_running_loop()
        self.resamplers: dict[str, Any] = {}

    # -- event loop side -------------------------------------------------------------

    def enqueue(self, track: str, samples: np.ndarray, start_s: float | None = None, nbytes: int = 0) -> None:
        """Queue one block of float32 audio at the stream's rate (returns at once)."""
        if self.finished:
            return
        if track not in self.clock:
            self.tracks.append(track)
            self.clock[track] = 0.0
        self.received_bytes[track] = self.received_bytes.get(track, 0) + nbytes
        at = self.clock[track]
        explicit = start_s is not None and start_s > at + 0.001
        if explicit and start_s is not None:
            at = start_s
        seconds = samples.size / self.sample_rate_hz
        self.clock[track] = at + seconds
        arrivals = self.arrivals.setdefault(track, deque(maxlen=ARRIVALS_KEPT))
        arrivals.append((at + seconds, time.perf_counter()))
        self.pending_s += seconds
        if self.pending_s > self.max_pending_s:
            self._room.clear()
        with self._lock:
            self._pending.append(_Pending(track, at, samples, explicit))
            if self._scheduled:
                return
            self._scheduled = True
        self.scheduler.submit(self.lane, self._drain)

    async def wait_for_room(self) -> None:
        """Backpressure: while too much audio waits, stop reading (until half of it is done)."""
        if self._room.is_set():
            return
        self.metrics.backpressure.inc()
        await self._room.wait()

    async def finish(self, aborted: bool = False) -> None:
        """Finalize open utterances (stop or disconnect), then end the call's tracks."""
        if self.finished:
            return
        self.finished = True
        future = self.scheduler.submit(self.lane, self._finish, aborted)
        await asyncio.wrap_future(future)

    def _deliver(self, events: list[Any], seconds: float) -> None:
        now = time.perf_counter()
        for event in events:
            if isinstance(event, TranscriptFinal) and event.source != "chat":
                arrived = self._arrival(event.track, event.end_s)
                if arrived is not None:
                    self.metrics.final_latency.observe(max(0.0, now - arrived))
        self.call.publish(events)
        self.pending_s = max(0.0, self.pending_s - seconds)
        if self.pending_s <= self.max_pending_s / 2:
            self._room.set()

    def _arrival(self, track: str, end_s: float) -> float | None:
        """When the audio at ``end_s`` arrived (older entries are dropped: finals only move on)."""
        arrivals = self.arrivals.get(track)
        if not arrivals:
            return None
        while len(arrivals) > 1 and arrivals[0][0] < end_s - 1e-6:
            arrivals.popleft()
        return arrivals[0][1]

    def _post(self, events: list[Any], seconds: float) -> None:
        try:
            self._loop.call_soon_threadsafe(self._deliver, events, seconds)
        except RuntimeError:  # the loop is gone (shutdown)
            log.debug("event loop closed; %d events of %s not published", len(events), self.call.call_id)

    # -- pool worker side ------------------------------------------------------------

    def _take(self) -> list[_Pending]:
        with self._lock:
            items, self._pending = self._pending, []
            self._scheduled = False
        return items

    def _drain(self) -> None:
        items = self._take()
        if not items:
            return
        seconds = sum(item.samples.size for item in items) / self.sample_rate_hz
        try:
            events = self._feed(items)
        except Exception as error:  # a bug in a stage: this stream ends, the server stays
            log.exception("stream of call %s failed", self.call.call_id)
            self.failed = error
            events = []
        self._post(events, seconds)

    def _feed(self, items: list[_Pending]) -> list[Any]:
        self.drains += 1
        stats = getattr(self.stage, "stats", None)
        before = (stats.decodes + stats.tail_decodes, stats.decode_s) if stats is not None else (0, 0.0)
        produced: list[Any] = []
        for track, at, samples in _coalesce(items):
            audio = self._resample(track, samples)
            produced.extend(self.pipeline.feed(AudioChunk(self.call.call_id, track, at, audio)))
        if stats is not None:
            decodes = stats.decodes + stats.tail_decodes - before[0]
            for _ in range(decodes):
                self.metrics.decode_latency.observe((stats.decode_s - before[1]) / decodes)
        return self._route(produced)

    def _finish(self, aborted: bool) -> None:
        items = self._take()
        seconds = sum(item.samples.size for item in items) / self.sample_rate_hz
        events: list[Any] = []
        try:
            if items and self.failed is None:
                events.extend(self._feed(items))
            produced: list[Any] = []
            if self.failed is None:
                for track in self.tracks:
                    produced.extend(self.pipeline.feed(
                        StreamEnded(self.call.call_id, track, self.clock.get(track, 0.0), aborted)))
                produced.extend(self.pipeline.flush())
            events.extend(self._route(produced, include_stream_end=False))
            end_s = max(self.clock.values(), default=0.0)
            events.extend(self.call.finish(self.tracks, end_s, aborted))
        except Exception:
            log.exception("finishing the stream of call %s failed", self.call.call_id)
        self._post(events, seconds)

    def _resample(self, track: str, samples: np.ndarray) -> np.ndarray:
        """To 16 kHz with one resampler per track (its filter state spans the frames)."""
        if self.sample_rate_hz == 16000:
            return samples.astype(np.float32, copy=False)
        from langassist.audio import StreamResampler

        resampler = self.resamplers.get(track)
        if resampler is None:
            resampler = self.resamplers[track] = StreamResampler(self.sample_rate_hz, 16000)
        return np.asarray(resampler.feed(samples), dtype=np.float32)

    def _route(self, produced: list[Any], include_stream_end: bool = True) -> list[Any]:
        """Finals go out as soon as they exist (before their assessment runs); returns the rest."""
        out: list[Any] = []
        for event in produced:
            if isinstance(event, AudioChunk | StreamEnded):
                continue  # the call's own StreamEnded goes through the assessor in finish()
            if isinstance(event, TranscriptFinal):
                out.append(event)
                self._post(out, 0.0)  # the sidebar sees the final now; its assessment follows
                out = []
                started = time.perf_counter()
                out.extend(e for e in self.call.assess([event]) if e is not event)
                self.metrics.assess_latency.observe(time.perf_counter() - started)
            else:
                out.append(event)
        return out


def _coalesce(items: list[_Pending]) -> list[tuple[str, float, np.ndarray]]:
    """Queued blocks -> one block per run of contiguous audio of a track, in order."""
    runs: list[tuple[str, float, list[np.ndarray]]] = []
    open_run: dict[str, int] = {}
    for item in items:
        index = open_run.get(item.track)
        if index is not None and not item.explicit:
            runs[index][2].append(item.samples)
            continue
        open_run[item.track] = len(runs)
        runs.append((item.track, item.at, [item.samples]))
    return [(track, at, parts[0] if len(parts) == 1 else np.concatenate(parts)) for track, at, parts in runs]


StageFactory = Callable[[], Any]
