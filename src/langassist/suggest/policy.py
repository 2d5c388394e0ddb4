"""Flood control for suggestions: ranking, de-duplication, rate limit, and a record.

For each triggering event the engine proposes candidates; :class:`SuggestionPolicy`
admits the few that help most:

1. rank by priority (highest first; ties keep the proposal order);
2. drop a candidate equal to one already admitted for this event, or shown within
   ``duplicate_cooldown_s`` (same category, kind and text);
3. drop a candidate whose category already had ``max_per_category_window`` suggestions
   in the last ``category_window_s`` seconds of call time (default: one per 10 s);
4. keep at most ``max_per_event``.

Time is the events' call time, never the wall clock, so replays are deterministic.
Every candidate, admitted or not, is recorded with the reason for the decision.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from langassist.suggest.settings import SuggestionSettings
from langassist.suggest.suggestion import Suggestion

__all__ = ["SuggestionPolicy", "SuggestionRecord"]


@dataclass(frozen=True, slots=True)
class SuggestionRecord:
    """What happened to one candidate.

    Attributes:
        time_s: call time of the decision.
        suggestion: the candidate (with its id when shown).
        shown: whether it was admitted.
        note: ``"shown"`` or why it was held back.
    """

    time_s: float
    suggestion: Suggestion
    shown: bool
    note: str


class SuggestionPolicy:
    """Admits suggestions under the rate limit and keeps the history of one call."""

    def __init__(self, settings: SuggestionSettings | None = None) -> None:
        self.settings = settings or SuggestionSettings()
        self._history: deque[SuggestionRecord] = deque(maxlen=self.settings.history_limit)
        self._shown_at: dict[str, tuple[float, str]] = {}
        self._category_times: dict[str, deque[float]] = {}
        self._counter = 0

    @property
    def history(self) -> tuple[SuggestionRecord, ...]:
        return tuple(self._history)

    def shown(self) -> list[Suggestion]:
        """Every admitted suggestion, in order."""
        return [record.suggestion for record in self._history if record.shown]

    def reset(self) -> None:
        self._history.clear()
        self._shown_at.clear()
        self._category_times.clear()
        self._counter = 0

    def admit(self, candidates: Sequence[Suggestion], time_s: float) -> list[Suggestion]:
        """Decide on ``candidates`` proposed at call time ``time_s``; return the admitted."""
        settings = self.settings
        order = sorted(range(len(candidates)), key=lambda i: (-candidates[i].priority, i))
        admitted: list[Suggestion] = []
        keys_now: set[str] = set()
        for index in order:
            candidate = candidates[index]
            key = candidate.key
            note = ""
            if key in keys_now:
                note = "duplicate of a suggestion admitted for the same event"
            elif key in self._shown_at and time_s - self._shown_at[key][0] < settings.duplicate_cooldown_s:
                shown_time, shown_id = self._shown_at[key]
                note = (
                    f"duplicate of {shown_id} shown at {shown_time:.1f} s "
                    f"(cooldown {settings.duplicate_cooldown_s:g} s)"
                )
            elif len(admitted) >= settings.max_per_event:
                note = f"over max_per_event = {settings.max_per_event}"
            else:
                times = self._category_times.setdefault(candidate.category, deque())
                while times and time_s - times[0] >= settings.category_window_s:
                    times.popleft()
                if len(times) >= settings.max_per_category_window:
                    note = (
                        f"rate limit: {candidate.category} already had {len(times)} in the last "
                        f"{settings.category_window_s:g} s"
                    )
            if note:
                self._history.append(SuggestionRecord(time_s, candidate, False, note))
                continue
            self._counter += 1
            suggestion = candidate.with_id(f"s{self._counter}")
            keys_now.add(key)
            self._shown_at[key] = (time_s, suggestion.suggestion_id)
            self._category_times.setdefault(candidate.category, deque()).append(time_s)
            admitted.append(suggestion)
            self._history.append(SuggestionRecord(time_s, suggestion, True, "shown"))
        return admitted
