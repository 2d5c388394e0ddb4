"""Audio replay drivers: a recording's tracks in fixed chunks through a stage chain.

* :func:`replay_audio` is the computationally unaware mode (whisper_streaming's): chunks
  go in as fast as the stages take them and every output is stamped with the stream
  time of the audio fed so far, so a test or audit sees what a live call would show and
  when, in audio time, whatever the machine. Deterministic with fake engines.
* :func:`replay_audio_paced` releases each chunk at its arrival time on a clock, as a
  live stream would, and stamps outputs with that clock. With ``time.perf_counter`` it
  measures real latency; with a :class:`~langassist.core.clock.VirtualClock` and a fake
  engine that advances it by a modelled cost, it is a deterministic simulation of load.
  When the stages fall behind, the chunks that have arrived meanwhile are merged per
  track into one (the catch-up policy: one feed, so at most one decode, per backlog).

Neither knows asyncio or threads; the live driver does. Chunks of all tracks are fed
in time order (by end time, then track order). After the audio, each track gets a
``StreamEnded`` and the pipeline is flushed.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from langassist.core.stage import Pipeline, Stage
from langassist.events import (
    AudioChunk,
    SpeechStarted,
    StreamEnded,
    TranscriptFinal,
    TranscriptPartial,
)

__all__ = [
    "AudioReplayResult",
    "TimedEvent",
    "chunk_tracks",
    "merge_chunks",
    "replay_audio",
    "replay_audio_paced",
]

SAMPLE_RATE_HZ = 16000


@dataclass(frozen=True, slots=True)
class TimedEvent:
    """An event the stages produced and when.

    Attributes:
        event: the event.
        stream_s: stream time of the end of the audio fed when it came out.
        wall_s: driver clock since the stream started (equals ``stream_s`` unpaced).
    """

    event: Any
    stream_s: float
    wall_s: float


@dataclass(frozen=True, slots=True)
class AudioReplayResult:
    """What came out of a replay, with times, and the lag of every feed.

    Attributes:
        events: produced events (not the audio chunks) in order.
        feed_lag_s: per feed, clock when it returned minus the arrival time of its last
            chunk (0.0 unpaced): how far behind live the stages were.
        feed_arrival_s: the arrival times matching ``feed_lag_s``.
        audio_s: longest track, in seconds.
        wall_s: driver clock for the whole replay.
    """

    events: tuple[TimedEvent, ...]
    feed_lag_s: tuple[float, ...] = ()
    feed_arrival_s: tuple[float, ...] = ()
    audio_s: float = 0.0
    wall_s: float = 0.0

    def of_type(self, kind: type) -> list[Any]:
        return [timed.event for timed in self.events if isinstance(timed.event, kind)]

    @property
    def finals(self) -> list[TranscriptFinal]:
        return self.of_type(TranscriptFinal)

    def final_latencies(self) -> list[float]:
        """For each final: when it came out minus the end of its last word."""
        return [t.wall_s - t.event.end_s for t in self.events if isinstance(t.event, TranscriptFinal)]

    def first_partial_latencies(self) -> list[float]:
        """For each speech start: the first partial or final after it on its track, minus the start."""
        open_starts: dict[str, float] = {}
        out: list[float] = []
        for timed in self.events:
            event = timed.event
            if isinstance(event, SpeechStarted):
                open_starts.setdefault(event.track, event.time_s)
            elif isinstance(event, TranscriptPartial | TranscriptFinal) and event.track in open_starts:
                out.append(timed.wall_s - open_starts.pop(event.track))
        return out

    def median_lag(self, start_s: float, end_s: float) -> float | None:
        """Median feed lag over the feeds that arrived in ``[start_s, end_s)``."""
        lags = [lag for lag, at in zip(self.feed_lag_s, self.feed_arrival_s, strict=True) if start_s <= at < end_s]
        return statistics.median(lags) if lags else None


def chunk_tracks(
    tracks: Mapping[str, npt.ArrayLike],
    *,
    call_id: str,
    chunk_s: float = 0.2,
    start_s: float = 0.0,
    sample_rate_hz: int = SAMPLE_RATE_HZ,
) -> list[AudioChunk]:
    """Cut each track into ``chunk_s`` chunks (the last may be shorter), in time order."""
    if chunk_s <= 0:
        raise ValueError(f"chunk_s must be positive, got {chunk_s}")
    size = max(1, int(round(chunk_s * sample_rate_hz)))
    chunks: list[tuple[float, int, AudioChunk]] = []
    for order, (track, samples) in enumerate(tracks.items()):
        array = np.asarray(samples, dtype=np.float32).reshape(-1)
        for first in range(0, array.size, size):
            block = array[first:first + size]
            chunk = AudioChunk(
                call_id=call_id,
                track=track,
                start_s=start_s + first / sample_rate_hz,
                samples=block,
                sample_rate_hz=sample_rate_hz,
            )
            chunks.append((chunk.end_s, order, chunk))
    chunks.sort(key=lambda item: (round(item[0], 6), item[1]))
    return [chunk for _, _, chunk in chunks]


def merge_chunks(chunks: Sequence[AudioChunk]) -> list[AudioChunk]:
    """Join contiguous chunks of the same track; order by each track's first chunk."""
    merged: dict[tuple[str, str], list[AudioChunk]] = {}
    for chunk in chunks:
        merged.setdefault((chunk.call_id, chunk.track), []).append(chunk)
    out: list[AudioChunk] = []
    for parts in merged.values():
        run = [parts[0]]
        for part in parts[1:]:
            if abs(part.start_s - run[-1].end_s) < 0.5 / part.sample_rate_hz:
                run.append(part)
            else:
                out.append(_join(run))
                run = [part]
        out.append(_join(run))
    return out


def _join(run: Sequence[AudioChunk]) -> AudioChunk:
    if len(run) == 1:
        return run[0]
    first = run[0]
    return AudioChunk(
        call_id=first.call_id,
        track=first.track,
        start_s=first.start_s,
        samples=np.concatenate([part.samples for part in run]),
        sample_rate_hz=first.sample_rate_hz,
    )


def _pipeline(stages: Pipeline | Stage | Sequence[Stage]) -> Pipeline:
    if isinstance(stages, Pipeline):
        return stages
    if isinstance(stages, Sequence):
        return Pipeline(list(stages))
    return Pipeline([stages])


def _produced(inputs: Sequence[Any], outputs: Sequence[Any]) -> list[Any]:
    ids = {id(event) for event in inputs}
    return [event for event in outputs if id(event) not in ids]


def replay_audio(
    stages: Pipeline | Stage | Sequence[Stage],
    tracks: Mapping[str, npt.ArrayLike],
    *,
    call_id: str,
    chunk_s: float = 0.2,
    end_stream: bool = True,
    aborted: bool = False,
) -> AudioReplayResult:
    """Feed the tracks chunk by chunk at full speed; stamp outputs with stream time.

    Args:
        stages: a fresh pipeline, a stage or a list of stages.
        tracks: track name to 16 kHz mono samples.
        end_stream: send ``StreamEnded`` per track and flush at the end.
        aborted: mark the ``StreamEnded`` events aborted (a dropped stream).
    """
    pipeline = _pipeline(stages)
    chunks = chunk_tracks(tracks, call_id=call_id, chunk_s=chunk_s)
    events: list[TimedEvent] = []
    audio_s = max((c.end_s for c in chunks), default=0.0)
    for chunk in chunks:
        for event in _produced([chunk], pipeline.feed(chunk)):
            events.append(TimedEvent(event, chunk.end_s, chunk.end_s))
    if end_stream:
        events.extend(_close(pipeline, tracks, call_id, audio_s, aborted, lambda: audio_s))
    return AudioReplayResult(events=tuple(events), audio_s=audio_s, wall_s=audio_s)


def replay_audio_paced(
    stages: Pipeline | Stage | Sequence[Stage],
    tracks: Mapping[str, npt.ArrayLike],
    *,
    call_id: str,
    chunk_s: float = 0.2,
    clock: Callable[[], float] = time.perf_counter,
    sleep: Callable[[float], None] = time.sleep,
    arrival_s: Callable[[AudioChunk], float] | None = None,
    coalesce: bool = True,
    end_stream: bool = True,
) -> AudioReplayResult:
    """Release chunks at their arrival times on ``clock``; stamp outputs with the clock.

    Args:
        arrival_s: when each chunk arrives, in seconds after the start (default: its
            end time, as a live sender would send it). Use it to simulate stalls and
            bursts; arrivals must not decrease.
        coalesce: when behind, merge the chunks that have arrived into one per track.
    """
    pipeline = _pipeline(stages)
    chunks = chunk_tracks(tracks, call_id=call_id, chunk_s=chunk_s)
    arrive = arrival_s or (lambda chunk: chunk.end_s)
    arrivals = [arrive(chunk) for chunk in chunks]
    audio_s = max((c.end_s for c in chunks), default=0.0)
    events: list[TimedEvent] = []
    lags: list[float] = []
    lag_at: list[float] = []
    origin = clock()
    index = 0
    while index < len(chunks):
        wait = arrivals[index] - (clock() - origin)
        if wait > 0:
            sleep(wait)
        now = clock() - origin
        batch = [chunks[index]]
        index += 1
        while coalesce and index < len(chunks) and arrivals[index] <= now:
            batch.append(chunks[index])
            index += 1
        last_arrival = arrivals[index - 1]
        for chunk in merge_chunks(batch) if coalesce else batch:
            produced = _produced([chunk], pipeline.feed(chunk))
            stamp = clock() - origin
            events.extend(TimedEvent(event, chunk.end_s, stamp) for event in produced)
        lags.append(max(0.0, clock() - origin - last_arrival))
        lag_at.append(last_arrival)
    if end_stream:
        events.extend(
            _close(pipeline, tracks, call_id, audio_s, False, lambda: clock() - origin)
        )
    return AudioReplayResult(
        events=tuple(events),
        feed_lag_s=tuple(lags),
        feed_arrival_s=tuple(lag_at),
        audio_s=audio_s,
        wall_s=clock() - origin,
    )


def _close(
    pipeline: Pipeline,
    tracks: Mapping[str, Any],
    call_id: str,
    audio_s: float,
    aborted: bool,
    now: Callable[[], float],
) -> list[TimedEvent]:
    out: list[TimedEvent] = []
    for track in tracks:
        ended = StreamEnded(call_id=call_id, track=track, time_s=audio_s, aborted=aborted)
        produced = _produced([ended], pipeline.feed(ended))
        stamp = now()
        out.extend(TimedEvent(event, audio_s, stamp) for event in produced)
    flushed = pipeline.flush()
    stamp = now()
    out.extend(TimedEvent(event, audio_s, stamp) for event in flushed)
    return out
