"""The replay driver: a finished transcript through a stage chain, at full speed.

Audits, ``langassist assess`` and evaluation all use it; the live driver feeds the same
stages from a socket. Utterances enter in the order their final transcripts would
have appeared in a live call (by end time, then start time, then track), so stages see
exactly what they would see live. The clock is virtual: every time comes from the
events, nothing reads the wall clock except the optional per-event cost probe.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from langassist.core.stage import Pipeline
from langassist.events import StreamEnded, TranscriptFinal

__all__ = ["ReplayResult", "order_finals", "replay_finals"]


def order_finals(utterances: Iterable[TranscriptFinal]) -> list[TranscriptFinal]:
    """Final utterances in live arrival order: by end time, start time, then track."""
    return sorted(utterances, key=lambda u: (u.end_s, u.start_s, u.track, u.utterance_id))


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """Everything the pipeline produced, with the cost of each utterance.

    Attributes:
        events: every event in order, the inputs included.
        cost_ms: wall time the pipeline spent on each final utterance (model calls
            included), in input order.
    """

    events: tuple[Any, ...]
    cost_ms: tuple[float, ...] = field(default=())


def replay_finals(
    pipeline: Pipeline,
    utterances: Sequence[TranscriptFinal],
    *,
    call_id: str,
    tracks: Sequence[str] = (),
    end_s: float | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> ReplayResult:
    """Feed ``utterances`` (any order) through ``pipeline``, then end the stream.

    Args:
        pipeline: a fresh pipeline for this call (stages keep per-call state).
        utterances: the call's final utterances, every track.
        call_id: the call, for the closing events.
        tracks: tracks to close with a :class:`StreamEnded` (default: those seen).
        end_s: the call's end time (default: the last utterance's end).
        clock: wall clock for the per-utterance cost only.
    """
    events: list[Any] = []
    costs: list[float] = []
    ordered = order_finals(utterances)
    for utterance in ordered:
        started = clock()
        events.extend(pipeline.feed(utterance))
        costs.append((clock() - started) * 1000.0)
    last = end_s if end_s is not None else max((u.end_s for u in ordered), default=0.0)
    seen = list(dict.fromkeys(tracks or [u.track for u in ordered]))
    for track in seen:
        events.extend(pipeline.feed(StreamEnded(call_id=call_id, track=track, time_s=last)))
    events.extend(pipeline.flush())
    return ReplayResult(events=tuple(events), cost_ms=tuple(costs))
