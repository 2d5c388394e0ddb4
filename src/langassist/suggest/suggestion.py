"""The suggestion value type: what the agent is told, why, and what triggered it."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from langassist.events import SuggestionProposed, Track

__all__ = ["KINDS", "Suggestion"]

KINDS: dict[str, str] = {
    "plain_rewrite": "rewrite",
    "slow_down": "coach",
    "check_understanding": "coach",
    "spell_it": "coach",
    "send_in_writing": "coach",
    "short_sentences": "coach",
    "repeat_simply": "recover",
    "confirm": "recover",
    "switch_language": "recover",
    "translation": "translate",
    "incoming_translation": "translate",
    "phrase": "translate",
    "no_translation": "translate",
    "offer_interpreter": "escalate",
    "offer_queue": "escalate",
}
"""Every suggestion kind and the category its rate limit counts against."""


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggestion for the agent.

    Attributes:
        call_id / track: the call, and the track whose event triggered it.
        time_s: call time of the triggering event.
        category: ``rewrite``, ``coach``, ``recover``, ``translate`` or ``escalate``.
        kind: what to do (see :data:`KINDS`).
        text: what the agent can say, type or copy.
        trigger: the event that caused it, in a few words.
        reason: why it helps, in one or two plain sentences.
        priority: 0..1, for ranking; higher first.
        utterance_id: the utterance it is about, if any.
        details: extra ``(name, value)`` facts (``original``, ``language``,
            ``backend``, ``read_back`` ...).
        suggestion_id: set when the policy admits it (``"s1"``, ``"s2"`` ...).
    """

    call_id: str
    track: Track
    time_s: float
    category: str
    kind: str
    text: str
    trigger: str
    reason: str
    priority: float = 0.5
    utterance_id: str | None = None
    details: tuple[tuple[str, str], ...] = ()
    suggestion_id: str = ""

    @property
    def key(self) -> str:
        """Identity for de-duplication: category, kind and the text, normalized."""
        normalized = re.sub(r"\W+", " ", self.text.lower()).strip()
        return f"{self.category}|{self.kind}|{normalized}"

    def detail(self, name: str) -> str | None:
        for key, value in self.details:
            if key == name:
                return value
        return None

    def with_id(self, suggestion_id: str) -> Suggestion:
        return replace(self, suggestion_id=suggestion_id)

    def to_event(self) -> SuggestionProposed:
        """The pipeline event for an admitted suggestion."""
        return SuggestionProposed(
            call_id=self.call_id,
            track=self.track,
            time_s=self.time_s,
            suggestion_id=self.suggestion_id,
            category=self.category,
            text=self.text,
            trigger=self.trigger,
            reason=self.reason,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for reports and the CLI."""
        return {
            "id": self.suggestion_id,
            "time_s": round(self.time_s, 3),
            "track": self.track,
            "category": self.category,
            "kind": self.kind,
            "text": self.text,
            "trigger": self.trigger,
            "reason": self.reason,
            "priority": round(self.priority, 3),
            "utterance_id": self.utterance_id,
            "details": dict(self.details),
        }
