"""Accent evidence: what one utterance tells about how native the speech sounds.

Everything here comes from the ASR output of a :class:`~langassist.events.TranscriptFinal`
(no audio is read):

* the spoken-language distribution of the utterance's decode window (Whisper's
  ``detect_language``): accented speech puts probability on languages other than the
  one being spoken;
* the recognizer's confidence: mean word probability, the share of words below
  ``LOW_WORD_PROBABILITY``, and the segment's ``avg_logprob``;
* fluency: words per second over the voiced span, and the share of that span spent in
  pauses between words of ``PAUSE_S`` or more.

:class:`EvidenceAccumulator` pools a speaker's utterances: distributions and
``avg_logprob`` weighted by duration, word statistics pooled over all words, rates over
the total voiced time. Chat text and empty utterances carry no evidence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from langassist.events import LanguageDistribution, TranscriptFinal

__all__ = [
    "LOW_WORD_PROBABILITY",
    "PAUSE_S",
    "EvidenceAccumulator",
    "SpeakerEvidence",
    "UtteranceEvidence",
    "accumulate_evidence",
    "extract_evidence",
]

LOW_WORD_PROBABILITY = 0.5
"""A word the recognizer gives less than this probability counts as "low probability"."""

PAUSE_S = 0.25
"""A gap between consecutive words at least this long counts as a pause."""

_MAX_UTTERANCE_S = 600.0


@dataclass(frozen=True, slots=True)
class UtteranceEvidence:
    """Accent evidence from one utterance; a field is ``None`` when it was not measured.

    Attributes:
        duration_s: length of the utterance.
        language: spoken-language distribution of its decode window.
        word_count: number of recognized words with timestamps.
        probability_sum: sum of the words' probabilities (for pooling).
        low_probability_count: words below :data:`LOW_WORD_PROBABILITY`.
        avg_logprob: Whisper's mean token log-probability of the segment.
        voiced_s: first word start to last word end.
        pause_s: total time in inter-word gaps of at least :data:`PAUSE_S`.
    """

    duration_s: float
    language: LanguageDistribution | None
    word_count: int
    probability_sum: float
    low_probability_count: int
    avg_logprob: float | None
    voiced_s: float
    pause_s: float


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return value


def extract_evidence(final: TranscriptFinal) -> UtteranceEvidence | None:
    """The accent evidence in one final utterance, or ``None`` when it holds none.

    Chat messages, utterances without duration and utterances with neither words nor a
    language distribution give ``None``. Malformed numbers (NaN, negative durations) are
    dropped rather than trusted.
    """
    if final.source != "asr":
        return None
    duration = _finite(final.duration_s) or 0.0
    if duration <= 0.0:
        return None
    duration = min(duration, _MAX_UTTERANCE_S)
    words = [
        word for word in final.words
        if _finite(word.probability) is not None and _finite(word.start_s) is not None
        and _finite(word.end_s) is not None and word.end_s >= word.start_s
    ]
    language = final.language if final.language else None
    if not words and language is None:
        return None
    probabilities = [min(1.0, max(0.0, word.probability)) for word in words]
    voiced = max(0.0, words[-1].end_s - words[0].start_s) if words else 0.0
    pause = 0.0
    for previous, current in zip(words, words[1:], strict=False):
        gap = current.start_s - previous.end_s
        if gap >= PAUSE_S:
            pause += gap
    return UtteranceEvidence(
        duration_s=duration,
        language=language,
        word_count=len(words),
        probability_sum=sum(probabilities),
        low_probability_count=sum(1 for p in probabilities if p < LOW_WORD_PROBABILITY),
        avg_logprob=_finite(final.avg_logprob),
        voiced_s=min(voiced, _MAX_UTTERANCE_S),
        pause_s=min(pause, voiced),
    )


@dataclass(frozen=True, slots=True)
class SpeakerEvidence:
    """A speaker's pooled evidence. Rates and means are ``None`` when not measured."""

    speech_s: float = 0.0
    utterances: int = 0
    word_count: int = 0
    language: LanguageDistribution | None = None
    mean_word_probability: float | None = None
    low_probability_share: float | None = None
    avg_logprob: float | None = None
    words_per_s: float | None = None
    pause_share: float | None = None


class EvidenceAccumulator:
    """Pools :class:`UtteranceEvidence` of one speaker; cheap to update per utterance."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._speech_s = 0.0
        self._utterances = 0
        self._words = 0
        self._probability_sum = 0.0
        self._low = 0
        self._logprob_sum = 0.0
        self._logprob_weight = 0.0
        self._voiced_s = 0.0
        self._pause_s = 0.0
        self._language: dict[str, float] = {}
        self._language_weight = 0.0

    def add(self, evidence: UtteranceEvidence) -> None:
        self._speech_s += evidence.duration_s
        self._utterances += 1
        self._words += evidence.word_count
        self._probability_sum += evidence.probability_sum
        self._low += evidence.low_probability_count
        if evidence.avg_logprob is not None:
            self._logprob_sum += evidence.avg_logprob * evidence.duration_s
            self._logprob_weight += evidence.duration_s
        self._voiced_s += evidence.voiced_s
        self._pause_s += evidence.pause_s
        if evidence.language is not None:
            self._language_weight += evidence.duration_s
            for code, probability in evidence.language.probabilities:
                self._language[code] = self._language.get(code, 0.0) + probability * evidence.duration_s

    @property
    def speech_s(self) -> float:
        return self._speech_s

    def summary(self) -> SpeakerEvidence:
        words = self._words
        language = (
            LanguageDistribution.from_mapping(
                {code: value / self._language_weight for code, value in self._language.items()}
            )
            if self._language_weight > 0.0
            else None
        )
        return SpeakerEvidence(
            speech_s=self._speech_s,
            utterances=self._utterances,
            word_count=words,
            language=language,
            mean_word_probability=self._probability_sum / words if words else None,
            low_probability_share=self._low / words if words else None,
            avg_logprob=self._logprob_sum / self._logprob_weight if self._logprob_weight else None,
            words_per_s=words / self._voiced_s if words >= 2 and self._voiced_s > 0.0 else None,
            pause_share=self._pause_s / self._voiced_s if words >= 2 and self._voiced_s > 0.0 else None,
        )


def accumulate_evidence(finals: Iterable[TranscriptFinal]) -> SpeakerEvidence:
    """Pool the evidence of several utterances (one speaker) in one call."""
    accumulator = EvidenceAccumulator()
    for final in finals:
        evidence = extract_evidence(final)
        if evidence is not None:
            accumulator.add(evidence)
    return accumulator.summary()
