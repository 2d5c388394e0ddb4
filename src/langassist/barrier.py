"""Call barrier score: a timeline that combines every barrier signal, and a verdict.

Signals and how they combine (all scores are 0..1):

* ``mismatch``: the latest :class:`MismatchDetected` score. Holds until replaced.
* ``accent``: the latest customer :class:`AccentScored` (and agent, at half weight: a
  strong agent accent matters less than a customer who may not follow).
* ``difficulty``: the mean of the last three agent :class:`DifficultyScored` values.
* ``confusion``: each :class:`ConfusionDetected` adds its score, decaying with a
  half-life of ``CONFUSION_HALF_LIFE_S`` seconds of call time, capped at 1.

The barrier level at a moment is a noisy-OR, ``1 - prod(1 - weight_i * signal_i)``:
any one strong signal is enough for a barrier, and weak signals add up without ever
exceeding 1. The call verdict uses the 90th percentile of the timeline (one spike is
not a barrier, a sustained level is), and ``barrier`` is ``None`` ("unknown") when
there was not enough evidence to judge: no signal at all was known.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from langassist.events import (
    AGENT,
    AccentScored,
    CallSummary,
    ConfusionDetected,
    DifficultyScored,
    MismatchDetected,
    Reason,
    Score,
)

__all__ = ["WEIGHTS", "BarrierPoint", "BarrierTimeline"]

WEIGHTS: dict[str, float] = {
    "mismatch": 0.95,
    "accent": 0.55,
    "difficulty": 0.6,
    "confusion": 0.8,
}
CONFUSION_HALF_LIFE_S = 60.0
_CAUSE_TEXT = {
    "mismatch": "agent and customer do not share a language",
    "accent": "strong accent",
    "difficulty": "agent speech hard to follow (rate, jargon, long sentences)",
    "confusion": "customer showed confusion",
}

BarrierEvent = MismatchDetected | AccentScored | DifficultyScored | ConfusionDetected


@dataclass(frozen=True, slots=True)
class BarrierPoint:
    """The barrier level at one moment, with each signal's share."""

    time_s: float
    level: float
    signals: dict[str, float]


@dataclass
class BarrierTimeline:
    """Accumulates barrier signals of one call; pure and clock-free."""

    call_id: str
    threshold: float = 0.5
    points: list[BarrierPoint] = field(default_factory=list)
    _mismatch: float | None = None
    _accent_customer: float | None = None
    _accent_agent: float | None = None
    _difficulty: list[float] = field(default_factory=list)
    _confusions: list[tuple[float, float]] = field(default_factory=list)
    _confusion_kinds: dict[str, int] = field(default_factory=dict)

    def observe(self, event: BarrierEvent) -> BarrierPoint | None:
        """Take one signal event; return the new barrier point (None if unknown score)."""
        value = event.score.value
        if value is None:
            return None
        if isinstance(event, MismatchDetected):
            self._mismatch = value
        elif isinstance(event, AccentScored):
            if event.track == AGENT:
                self._accent_agent = value
            else:
                self._accent_customer = value
        elif isinstance(event, DifficultyScored):
            self._difficulty = (self._difficulty + [value])[-3:]
        elif isinstance(event, ConfusionDetected):
            self._confusions.append((event.time_s, value))
            self._confusion_kinds[event.kind] = self._confusion_kinds.get(event.kind, 0) + 1
        point = self._point(event.time_s)
        self.points.append(point)
        return point

    def _signals(self, time_s: float) -> dict[str, float]:
        signals: dict[str, float] = {}
        if self._mismatch is not None:
            signals["mismatch"] = self._mismatch
        accents = [
            v for v in (self._accent_customer,
                        None if self._accent_agent is None else self._accent_agent * 0.5)
            if v is not None
        ]
        if accents:
            signals["accent"] = max(accents)
        if self._difficulty:
            signals["difficulty"] = sum(self._difficulty) / len(self._difficulty)
        if self._confusions:
            total = sum(
                value * math.pow(0.5, max(0.0, time_s - at) / CONFUSION_HALF_LIFE_S)
                for at, value in self._confusions
            )
            signals["confusion"] = min(1.0, total)
        return signals

    def _point(self, time_s: float) -> BarrierPoint:
        signals = self._signals(time_s)
        remaining = 1.0
        for name, value in signals.items():
            remaining *= 1.0 - WEIGHTS[name] * max(0.0, min(1.0, value))
        return BarrierPoint(time_s=time_s, level=round(1.0 - remaining, 4), signals=signals)

    def summary(self) -> CallSummary:
        """The call verdict: barrier yes/no (or unknown), confidence and main causes."""
        if not self.points:
            return CallSummary(
                call_id=self.call_id,
                barrier=None,
                score=Score(None, (Reason("evidence", 0.0, 0.0, "no barrier signal could be scored"),)),
            )
        levels = sorted(point.level for point in self.points)
        index = min(len(levels) - 1, int(math.ceil(0.9 * len(levels))) - 1)
        level = levels[index]
        peak = max(self.points, key=lambda point: point.level)
        # Each cause's share: its strongest weighted value over the call.
        strongest: dict[str, float] = {}
        for point in self.points:
            for name, value in point.signals.items():
                strongest[name] = max(strongest.get(name, 0.0), WEIGHTS[name] * value)
        reasons = []
        for name, contribution in sorted(strongest.items(), key=lambda item: -item[1]):
            detail = _CAUSE_TEXT[name]
            if name == "confusion" and self._confusion_kinds:
                kinds = ", ".join(f"{k.replace('_', ' ')} x{n}" for k, n in sorted(self._confusion_kinds.items()))
                detail = f"{detail} ({kinds})"
            reasons.append(Reason(name, round(contribution / WEIGHTS[name], 4), round(contribution, 4), detail))
        # Confidence grows with distance from the threshold and with the amount of evidence.
        evidence = 1.0 - math.exp(-len(self.points) / 4.0)
        margin = min(1.0, abs(level - self.threshold) / max(self.threshold, 1 - self.threshold))
        confidence = round(0.5 + 0.5 * margin * evidence, 4)
        barrier = level >= self.threshold
        causes = tuple(r.feature for r in reasons if r.contribution >= 0.2) if barrier else ()
        reasons.append(Reason("peak", peak.level, 0.0, f"highest level {peak.level:.2f} at {peak.time_s:.1f} s"))
        return CallSummary(
            call_id=self.call_id,
            barrier=barrier,
            score=Score(round(level, 4), tuple(reasons), confidence),
            main_causes=causes,
        )
