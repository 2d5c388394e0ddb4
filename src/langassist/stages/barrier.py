"""The call barrier stage: every barrier signal into one timeline, a verdict at the end.

Accepts the four signal events (:class:`MismatchDetected`, :class:`AccentScored`,
:class:`DifficultyScored`, :class:`ConfusionDetected`), keeps a
:class:`~langassist.barrier.BarrierTimeline`, and emits one :class:`CallSummary` when
the stream is flushed. The timeline itself is readable at any moment (the live
sidebar's gauge reads :attr:`BarrierStage.timeline`).
"""

from __future__ import annotations

from typing import Any

from langassist.barrier import BarrierTimeline
from langassist.events import (
    AccentScored,
    CallSummary,
    ConfusionDetected,
    DifficultyScored,
    MismatchDetected,
)

__all__ = ["BarrierStage"]


class BarrierStage:
    """Stage form of :class:`~langassist.barrier.BarrierTimeline` for one call."""

    name = "barrier"
    accepts: tuple[type, ...] = (MismatchDetected, AccentScored, DifficultyScored, ConfusionDetected)

    def __init__(self, call_id: str = "", *, threshold: float = 0.5) -> None:
        self.call_id = call_id
        self.threshold = threshold
        self.timeline = BarrierTimeline(call_id=call_id, threshold=threshold)

    def feed(self, event: Any) -> list[Any]:
        if not self.timeline.call_id:
            self.timeline.call_id = str(event.call_id)
        self.timeline.observe(event)
        return []

    def flush(self) -> list[CallSummary]:
        return [self.timeline.summary()]

    def reset(self) -> None:
        self.timeline = BarrierTimeline(call_id=self.call_id, threshold=self.threshold)
