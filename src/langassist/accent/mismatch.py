"""Agent vs customer language mismatch: do they share a language the agent can serve?

Three causes, each a probability that this cause is a barrier right now:

* ``unserved_language``: the customer's settled language is not one the agent serves
  (``AssessmentSettings.agent_languages``): ``0.95 x certainty``;
* ``different_language``: both sides have settled and differ, but the customer's
  language is served, so the agent could switch: ``0.75 x certainty``;
* ``accent_gap``: same language, but one side is much more accented than the other:
  ``0.6 x |accent_customer - accent_agent|`` (both accent scores must be known).

The certainty of a settled language is ``0.5 + 0.5 x P(language)`` under the speaker's
pooled distribution when one is given (a settled language already passed hysteresis, so
it is never below one half), else 1. The causes combine as a noisy-OR,
``1 - prod(1 - p_i)``. The weights are design values (there is no labelled mismatch data
to fit them on), chosen so one served-language difference or one unserved language is
enough to cross a 0.5 barrier threshold and an accent gap alone needs a gap of 0.85.

Everything here is pure and deterministic. :class:`MismatchMonitor` is the pipeline
stage: it keeps each side's latest language and accent and emits
:class:`~langassist.events.MismatchDetected` when the assessment changes. A side's
language comes from :class:`~langassist.events.LanguageDetected` (the language-ID stage's
settled ``speaker_language``); until one arrives for that side, Whisper's spoken
distribution on its :class:`~langassist.events.TranscriptFinal` events stands in, pooled
by duration, and settles only with ``min_speech_s`` of speech and a pooled top
probability of at least :data:`SPOKEN_SETTLE_PROBABILITY` (accented English spreads
Whisper's mass, so a lower bar would call an accented English speaker "zh").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from langassist.events import (
    AGENT,
    CUSTOMER,
    AccentScored,
    LanguageCode,
    LanguageDetected,
    LanguageDistribution,
    MismatchDetected,
    Reason,
    Score,
    TranscriptFinal,
    normalize_language,
)

__all__ = [
    "ACCENT_GAP_WEIGHT",
    "DIFFERENT_LANGUAGE_WEIGHT",
    "SPOKEN_SETTLE_PROBABILITY",
    "UNSERVED_LANGUAGE_WEIGHT",
    "MismatchMonitor",
    "SideState",
    "assess_mismatch",
    "score_mismatch",
]

UNSERVED_LANGUAGE_WEIGHT = 0.95
DIFFERENT_LANGUAGE_WEIGHT = 0.75
ACCENT_GAP_WEIGHT = 0.6
SPOKEN_SETTLE_PROBABILITY = 0.8
"""Least pooled Whisper probability for the spoken fallback to settle a side's language."""


@dataclass(frozen=True, slots=True)
class SideState:
    """What is known about one side of the call.

    Attributes:
        language: the settled language (``None`` = not settled / unknown).
        distribution: the side's pooled spoken/written language distribution.
        accent: accent strength 0..1 (``None`` = unknown).
        accent_confidence: confidence of the accent score.
        first_language: likely first language from the accent score.
    """

    language: LanguageCode | None = None
    distribution: LanguageDistribution | None = None
    accent: float | None = None
    accent_confidence: float = 1.0
    first_language: LanguageCode | None = None


def _certainty(language: LanguageCode, distribution: LanguageDistribution | None) -> float:
    if not distribution:
        return 1.0
    return 0.5 + 0.5 * min(1.0, max(0.0, distribution.probability(language)))


def score_mismatch(
    agent: SideState, customer: SideState, agent_languages: Sequence[str]
) -> Score:
    """The mismatch score of one moment of a call (``value is None`` when unknown).

    Args:
        agent: the agent's side.
        customer: the customer's side.
        agent_languages: languages the agent serves (ISO 639-1).
    """
    served = {code for code in (normalize_language(c) for c in agent_languages) if code}
    agent_language = normalize_language(agent.language)
    customer_language = normalize_language(customer.language)
    causes: list[tuple[str, float, float, str]] = []  # feature, value, probability, detail
    confidences: list[float] = []
    if customer_language is not None:
        certainty_c = _certainty(customer_language, customer.distribution)
        confidences.append(certainty_c)
        if served and customer_language not in served:
            causes.append((
                "unserved_language", certainty_c, UNSERVED_LANGUAGE_WEIGHT * certainty_c,
                f"customer speaks {customer_language}, which the agent does not serve "
                f"(agent languages: {', '.join(sorted(served))})",
            ))
        elif agent_language is not None and agent_language != customer_language:
            certainty = certainty_c * _certainty(agent_language, agent.distribution)
            causes.append((
                "different_language", certainty, DIFFERENT_LANGUAGE_WEIGHT * certainty,
                f"agent speaks {agent_language}, customer speaks {customer_language}; "
                f"the agent serves {customer_language} and could switch",
            ))
    same_language = (
        agent_language is None or customer_language is None or agent_language == customer_language
    )
    if agent.accent is not None and customer.accent is not None and same_language:
        gap = abs(customer.accent - agent.accent)
        confidences.append(min(agent.accent_confidence, customer.accent_confidence))
        who = "customer" if customer.accent >= agent.accent else "agent"
        detail = f"accent gap {gap:.2f} (agent {agent.accent:.2f}, customer {customer.accent:.2f}; {who} more accented"
        first = customer.first_language if who == "customer" else agent.first_language
        detail += f", likely first language {first})" if first else ")"
        causes.append(("accent_gap", gap, ACCENT_GAP_WEIGHT * gap, detail))
    if customer_language is None and not causes:
        return Score(None, (Reason("customer_language", 0.0, 0.0, "customer language not settled yet"),))
    remaining = 1.0
    for _, _, probability, _ in causes:
        remaining *= 1.0 - min(1.0, max(0.0, probability))
    value = 1.0 - remaining
    reasons = [
        Reason(feature, round(raw, 4), round(probability, 4), detail)
        for feature, raw, probability, detail in sorted(causes, key=lambda c: -c[2])
    ]
    if not any(feature.endswith("_language") for feature, *_ in causes) and customer_language:
        shared = agent_language or customer_language
        reasons.append(Reason(
            "shared_language", 1.0, 0.0,
            f"customer speaks {customer_language}, which the agent serves"
            + (f" and speaks ({shared})" if agent_language else ""),
        ))
    confidence = min(confidences) if confidences else 0.0
    return Score(round(value, 4), tuple(reasons), round(confidence, 4))


def assess_mismatch(
    agent_language: LanguageCode | None,
    customer_language: LanguageCode | None,
    agent_languages: Sequence[str],
    *,
    call_id: str = "",
    time_s: float = 0.0,
    track: str = CUSTOMER,
    agent_distribution: LanguageDistribution | None = None,
    customer_distribution: LanguageDistribution | None = None,
    agent_accent: float | None = None,
    customer_accent: float | None = None,
    customer_first_language: LanguageCode | None = None,
    min_score: float = 0.0,
) -> MismatchDetected | None:
    """A :class:`MismatchDetected` for this moment, or ``None``.

    ``None`` means it cannot be judged yet (customer language not settled and no accent
    gap known) or the score is below ``min_score``. A known low score (the sides share a
    served language) is returned as an event, so a resolved mismatch can be reported.
    """
    score = score_mismatch(
        SideState(agent_language, agent_distribution, agent_accent),
        SideState(customer_language, customer_distribution, customer_accent,
                  first_language=customer_first_language),
        agent_languages,
    )
    if score.value is None or score.value < min_score:
        return None
    return MismatchDetected(
        call_id=call_id,
        track=track,
        time_s=time_s,
        agent_language=normalize_language(agent_language),
        customer_language=normalize_language(customer_language),
        score=score,
    )


class MismatchMonitor:
    """Pipeline stage: tracks both sides and emits a mismatch when it changes.

    Accepts :class:`LanguageDetected` (``speaker_language``; the utterance
    ``distribution`` values are averaged per side for the certainty),
    :class:`AccentScored`, and :class:`TranscriptFinal` (Whisper's spoken distribution,
    a side's fallback until its first ``LanguageDetected``; see the module docstring).
    Emits when the first known score appears, when either side's settled language
    changes, or when the score moves by ``min_change`` or more. Tracks other than agent
    and customer (a mixed mono track) are ignored.

    Args:
        agent_languages: languages the agent serves (``AssessmentSettings.agent_languages``).
        min_change: least score change that is reported again.
        min_speech_s: speech the spoken fallback needs before it settles a language.
    """

    name = "mismatch"
    accepts: tuple[type, ...] = (LanguageDetected, AccentScored, TranscriptFinal)

    def __init__(
        self, agent_languages: Sequence[str], *, min_change: float = 0.1, min_speech_s: float = 2.0
    ) -> None:
        self.agent_languages = tuple(agent_languages)
        self.min_change = min_change
        self.min_speech_s = min_speech_s
        self.reset()

    def reset(self) -> None:
        self._sides: dict[str, SideState] = {AGENT: SideState(), CUSTOMER: SideState()}
        self._pools: dict[str, dict[str, float]] = {}
        self._counts: dict[str, int] = {}
        self._detected: set[str] = set()
        self._spoken: dict[str, dict[str, float]] = {}
        self._spoken_s: dict[str, float] = {}
        self._last: MismatchDetected | None = None

    def _from_detected(self, side: SideState, event: LanguageDetected) -> SideState:
        if event.track not in self._detected:
            # The language-ID stage now speaks for this side: drop the spoken fallback.
            self._detected.add(event.track)
            side = replace(side, language=None, distribution=None)
        pooled = self._pools.setdefault(event.track, {})
        if event.distribution:
            for code, probability in event.distribution.probabilities:
                pooled[code] = pooled.get(code, 0.0) + probability
            self._counts[event.track] = self._counts.get(event.track, 0) + 1
        count = self._counts.get(event.track, 0)
        distribution = (
            LanguageDistribution.from_mapping({c: v / count for c, v in pooled.items()})
            if count else None
        )
        language = normalize_language(event.speaker_language) or side.language
        return replace(side, language=language, distribution=distribution)

    def _from_spoken(self, side: SideState, final: TranscriptFinal) -> SideState | None:
        if final.track in self._detected or final.source != "asr" or not final.language:
            return None
        duration = final.duration_s
        if not duration > 0.0:
            return None
        pooled = self._spoken.setdefault(final.track, {})
        for code, probability in final.language.probabilities:
            pooled[code] = pooled.get(code, 0.0) + probability * duration
        speech = self._spoken_s.get(final.track, 0.0) + duration
        self._spoken_s[final.track] = speech
        distribution = LanguageDistribution.from_mapping({c: v / speech for c, v in pooled.items()})
        language = side.language
        if speech >= self.min_speech_s and distribution.top_probability >= SPOKEN_SETTLE_PROBABILITY:
            language = distribution.top
        return replace(side, language=language, distribution=distribution)

    def feed(self, event: Any) -> list[Any]:
        side = self._sides.get(getattr(event, "track", ""))
        if side is None:
            return []
        if isinstance(event, LanguageDetected):
            side = self._from_detected(side, event)
            time_s = event.time_s
        elif isinstance(event, AccentScored):
            if event.score.value is None:
                return []
            side = replace(side, accent=event.score.value, accent_confidence=event.score.confidence,
                           first_language=event.likely_first_language)
            time_s = event.time_s
        elif isinstance(event, TranscriptFinal):
            spoken = self._from_spoken(side, event)
            if spoken is None:
                return []
            side = spoken
            time_s = event.end_s
        else:
            return []
        self._sides[event.track] = side
        agent, customer = self._sides[AGENT], self._sides[CUSTOMER]
        score = score_mismatch(agent, customer, self.agent_languages)
        if score.value is None:
            return []
        current = MismatchDetected(
            call_id=event.call_id, track=event.track, time_s=time_s,
            agent_language=agent.language, customer_language=customer.language, score=score,
        )
        last = self._last
        if last is not None and last.score.value is not None and (
            last.agent_language == current.agent_language
            and last.customer_language == current.customer_language
            and abs(last.score.value - score.value) < self.min_change
        ):
            return []
        self._last = current
        return [current]

    def flush(self) -> list[Any]:
        return []
