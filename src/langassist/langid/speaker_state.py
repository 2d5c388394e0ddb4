"""Per-speaker language state with hysteresis (reliability test T9).

One :class:`SpeakerLanguageState` per speaker (track). Each utterance is an
:class:`LanguageObservation`: its fused language distribution, how much evidence it holds
(seconds of VAD speech for ``asr``; for typed ``chat`` text, words at a speaking rate of
:data:`CHAT_WORDS_PER_S`), and its source. The rule, with the
:class:`~langassist.config.LanguageIdSettings` fields:

* an observation is *ignored* when its top probability is below ``confidence_floor`` or
  it holds less than ``min_speech_s`` of evidence: a short or unsure utterance can
  never change the state. Typed chat text is held to :data:`CHAT_MIN_WORDS` words
  instead: text language ID on a typed sentence ("No entiendo. ¿Habla español?") is
  reliable where two seconds of speech are not, and a switch still needs
  ``switch_min_utterances`` observations and ``switch_min_speech_s`` of evidence.
  One exception: a short (but confident) observation of the language of the pending
  run joins that run, so that it can complete a switch or a first language that a
  longer utterance started, but it never starts, restarts or breaks a run. A Polish
  chat customer who types "Dzień dobry, mam problem z rachunkiem." (six words, 2.4 s of
  evidence) and then "Nie rozumiem." is settled as Polish on the second message; before,
  every later message of under three words was ignored and the customer never settled;
* a *run* is the consecutive non-ignored observations whose top language differs from
  the settled one (an observation agreeing with the settled language ends the run; one of
  a third language restarts it);
* the run replaces the settled language when it holds ``>= switch_min_utterances``
  observations, ``>= switch_min_speech_s`` seconds of evidence and an evidence-weighted
  mean top probability ``>= switch_probability``; with the defaults (2 utterances, 3 s,
  0.8) consistent evidence switches on the second utterance;
* the first language settles by the same rule, or at once from one observation with
  ``>= switch_probability`` over ``>= switch_min_speech_s``. For speech, that one
  observation must also have been *heard* as that language with ``>= switch_probability``
  (its ``spoken`` distribution; ``first_settle_needs_spoken``, on by default): Whisper
  writes an utterance in the language it decoded, so text from accented English decoded
  as Chinese reads as Chinese with certainty though Whisper heard Chinese with 0.45. On
  speech-en-accented this took the speakers settled on a wrong language from 4 of 21 to
  1 (``benchmarks/speaker_language.py``); two consistent utterances still settle.

This generalizes ``LocalHysteresis`` in ``benchmarks/spoken_langid.py`` (same thresholds,
plus chat evidence and the minimum-speech gate). Pure and deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from langassist.events import LanguageCode, LanguageDistribution, Reason

__all__ = [
    "CHAT_MIN_WORDS",
    "CHAT_WORDS_PER_S",
    "LanguageObservation",
    "SpeakerLanguageState",
    "SpeakerLanguages",
    "StateUpdate",
]

CHAT_WORDS_PER_S = 2.5
"""Typed words count as this many words per second of speech evidence."""

CHAT_MIN_WORDS = 3
"""A chat message of fewer words is too short to count as language evidence."""


@dataclass(frozen=True, slots=True)
class LanguageObservation:
    """One utterance's language evidence for the state machine."""

    distribution: LanguageDistribution
    evidence_s: float
    source: Literal["asr", "chat"] = "asr"
    spoken: LanguageDistribution | None = None
    """Whisper's spoken-language distribution of the utterance (speech only), when known."""

    @classmethod
    def from_chat(cls, distribution: LanguageDistribution, n_words: int) -> LanguageObservation:
        return cls(distribution, n_words / CHAT_WORDS_PER_S, "chat")


@dataclass(frozen=True, slots=True)
class StateUpdate:
    """What one observation did: the settled language after it, and why."""

    language: LanguageCode | None
    changed: bool
    reason: Reason


@dataclass(slots=True)
class SpeakerLanguageState:
    """Hysteresis for one speaker (see the module docstring)."""

    confidence_floor: float = 0.5
    switch_probability: float = 0.8
    switch_min_speech_s: float = 3.0
    switch_min_utterances: int = 2
    min_speech_s: float = 1.0
    first_needs_spoken: bool = True
    settled: LanguageCode | None = None
    pooled: dict[LanguageCode, float] = field(default_factory=dict)
    _run: list[tuple[LanguageCode, float, float]] = field(default_factory=list)

    def observe(self, observation: LanguageObservation) -> StateUpdate:
        """Add one utterance's evidence; return the settled language after it."""
        distribution = observation.distribution
        top, probability = distribution.top, distribution.top_probability
        evidence = max(0.0, observation.evidence_s)
        if top is None or probability < self.confidence_floor:
            return self._keep("ignored_low_confidence", probability,
                              f"top p={probability:.2f} below {self.confidence_floor:.2f}")
        minimum = (CHAT_MIN_WORDS / CHAT_WORDS_PER_S) if observation.source == "chat" else self.min_speech_s
        if evidence < minimum - 1e-9 and not (self._run and self._run[-1][0] == top):
            return self._keep("ignored_short", evidence,
                              f"{evidence:.1f} s of evidence, under {minimum:.1f} s")
        for code, p in distribution.probabilities:
            self.pooled[code] = self.pooled.get(code, 0.0) + p * evidence
        if top == self.settled:
            self._run.clear()
            return self._keep("agrees", probability, f"agrees with settled {top}")
        if self._run and self._run[-1][0] != top:
            self._run.clear()
        self._run.append((top, probability, evidence))
        speech = sum(d for _, _, d in self._run)
        mean_p = sum(q * d for _, q, d in self._run) / speech if speech else 0.0
        first_strong = (
            self.settled is None
            and probability >= self.switch_probability
            and evidence >= self.switch_min_speech_s
            and (not self.first_needs_spoken or observation.spoken is None
                 or observation.spoken.probability(top) >= self.switch_probability)
        )
        if first_strong or (
            len(self._run) >= self.switch_min_utterances
            and speech >= self.switch_min_speech_s
            and mean_p >= self.switch_probability
        ):
            previous = self.settled
            self.settled = top
            self._run.clear()
            detail = (f"settled on {top}" if previous is None
                      else f"switched {previous} -> {top}") + f" (mean p={mean_p:.2f}, {speech:.1f} s)"
            return StateUpdate(top, True, Reason("speaker_language", mean_p, 1.0, detail))
        return self._keep("pending_switch", mean_p,
                          f"{len(self._run)} utterance(s), {speech:.1f} s toward {top}")

    def _keep(self, feature: str, value: float, detail: str) -> StateUpdate:
        return StateUpdate(self.settled, False, Reason(feature, round(value, 4), 0.0, detail))

    def reset(self) -> None:
        self.settled = None
        self.pooled.clear()
        self._run.clear()


class SpeakerLanguages:
    """One :class:`SpeakerLanguageState` per track, built from shared thresholds."""

    def __init__(
        self,
        *,
        confidence_floor: float = 0.5,
        switch_probability: float = 0.8,
        switch_min_speech_s: float = 3.0,
        switch_min_utterances: int = 2,
        min_speech_s: float = 1.0,
        first_needs_spoken: bool = True,
    ) -> None:
        self._thresholds = (confidence_floor, switch_probability, switch_min_speech_s,
                            switch_min_utterances, min_speech_s)
        self._first_needs_spoken = first_needs_spoken
        self._states: dict[str, SpeakerLanguageState] = {}

    @classmethod
    def from_settings(cls, settings: object) -> SpeakerLanguages:
        """From a :class:`~langassist.config.LanguageIdSettings`."""
        return cls(
            confidence_floor=float(getattr(settings, "confidence_floor", 0.5)),
            switch_probability=float(getattr(settings, "switch_probability", 0.8)),
            switch_min_speech_s=float(getattr(settings, "switch_min_speech_s", 3.0)),
            switch_min_utterances=int(getattr(settings, "switch_min_utterances", 2)),
            min_speech_s=float(getattr(settings, "min_speech_s", 1.0)),
            first_needs_spoken=bool(getattr(settings, "first_settle_needs_spoken", True)),
        )

    def state(self, track: str) -> SpeakerLanguageState:
        if track not in self._states:
            floor, switch_p, switch_s, switch_n, min_s = self._thresholds
            self._states[track] = SpeakerLanguageState(floor, switch_p, switch_s, switch_n, min_s,
                                                       first_needs_spoken=self._first_needs_spoken)
        return self._states[track]

    def observe(self, track: str, observation: LanguageObservation) -> StateUpdate:
        return self.state(track).observe(observation)

    def established(self) -> dict[LanguageCode, float]:
        """Settled languages over all tracks, each with weight 1 (for the call prior)."""
        return {s.settled: 1.0 for s in self._states.values() if s.settled is not None}

    def reset(self) -> None:
        self._states.clear()
