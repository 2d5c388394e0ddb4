"""Typed, frozen events and value types that flow between stages.

Conventions (one place for each):

* Language codes are ISO 639-1 lower-case strings (``"en"``, ``"pt"``), as Whisper
  emits them; regional and script suffixes are dropped by :func:`normalize_language`.
  A language that is not known is ``None``, never a guess.
* Times are float seconds from the start of the call (absolute stream time), never
  relative to a buffer.
* A track is the name of one side of the call: ``"agent"``, ``"customer"`` or ``"mixed"``
  for a mono recording that carries both.
* Partial and final transcripts are different types. A partial has an utterance id and
  a revision and is replaced by later revisions; a final is emitted once.

This module imports nothing of ours and only the standard library and numpy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = [
    "AGENT",
    "CUSTOMER",
    "MIXED",
    "AudioChunk",
    "CallSummary",
    "ConfusionDetected",
    "DifficultyScored",
    "LanguageCode",
    "LanguageDetected",
    "LanguageDistribution",
    "MismatchDetected",
    "AccentScored",
    "Reason",
    "Score",
    "SpeechEnded",
    "SpeechStarted",
    "StageFailed",
    "StreamEnded",
    "SuggestionProposed",
    "Track",
    "TranscriptFinal",
    "TranscriptPartial",
    "Word",
    "normalize_language",
]

LanguageCode = str
"""ISO 639-1 code, lower case. See :func:`normalize_language`."""

Track = str
"""Name of a side of the call: ``"agent"``, ``"customer"`` or ``"mixed"``."""

AGENT: Track = "agent"
CUSTOMER: Track = "customer"
MIXED: Track = "mixed"

_THREE_TO_TWO = {
    "eng": "en", "spa": "es", "deu": "de", "ger": "de", "fra": "fr", "fre": "fr",
    "pol": "pl", "por": "pt", "ita": "it", "nld": "nl", "dut": "nl", "tur": "tr",
    "zho": "zh", "chi": "zh", "cmn": "zh", "jpn": "ja", "kor": "ko", "rus": "ru",
    "ukr": "uk", "ara": "ar", "ces": "cs", "cze": "cs", "fas": "fa", "per": "fa",
    "hin": "hi", "ind": "id", "ron": "ro", "rum": "ro", "swe": "sv", "vie": "vi",
    "cat": "ca", "glg": "gl", "eus": "eu", "baq": "eu",
}
_CODE_RE = re.compile(r"^[a-z]{2,3}$")


def normalize_language(code: str | None) -> LanguageCode | None:
    """Return the ISO 639-1 form of ``code``, or ``None`` when it is empty or unknown.

    ``"EN-us"`` -> ``"en"``, ``"zh-Hant"`` -> ``"zh"``, ``"spa"`` -> ``"es"``,
    ``"__label__de"`` (fastText) -> ``"de"``.
    """
    if code is None:
        return None
    text = str(code).strip().lower().removeprefix("__label__")
    if not text or text in {"unknown", "und", "un", "xx"}:
        return None
    base = re.split(r"[-_]", text, maxsplit=1)[0]
    base = _THREE_TO_TWO.get(base, base)
    if not _CODE_RE.match(base):
        return None
    return base


@dataclass(frozen=True, slots=True)
class LanguageDistribution:
    """Probabilities over languages, highest first; they need not sum to one.

    Build it with :meth:`from_mapping`, which normalizes codes, merges duplicates and
    sorts. ``probabilities`` is a tuple of ``(code, probability)`` pairs.
    """

    probabilities: tuple[tuple[LanguageCode, float], ...] = ()

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, float] | Iterable[tuple[str, float]]
    ) -> LanguageDistribution:
        items = values.items() if isinstance(values, Mapping) else values
        merged: dict[str, float] = {}
        for code, probability in items:
            normalized = normalize_language(code)
            if normalized is None:
                continue
            merged[normalized] = merged.get(normalized, 0.0) + float(probability)
        ordered = sorted(merged.items(), key=lambda pair: (-pair[1], pair[0]))
        return cls(tuple(ordered))

    @property
    def top(self) -> LanguageCode | None:
        """Most probable language, or ``None`` when the distribution is empty."""
        return self.probabilities[0][0] if self.probabilities else None

    @property
    def top_probability(self) -> float:
        return self.probabilities[0][1] if self.probabilities else 0.0

    def probability(self, code: LanguageCode) -> float:
        """Probability of ``code`` (0.0 when absent)."""
        code = normalize_language(code) or code
        for candidate, probability in self.probabilities:
            if candidate == code:
                return probability
        return 0.0

    def as_dict(self) -> dict[str, float]:
        return dict(self.probabilities)

    def head(self, n: int = 5) -> LanguageDistribution:
        """The ``n`` most probable languages only."""
        return LanguageDistribution(self.probabilities[:n])

    def __bool__(self) -> bool:
        return bool(self.probabilities)


@dataclass(frozen=True, slots=True)
class Word:
    """One recognized word with its absolute times and the model's probability."""

    start_s: float
    end_s: float
    text: str
    probability: float


@dataclass(frozen=True, slots=True)
class Reason:
    """One feature that drove a score, in plain words.

    Attributes:
        feature: stable machine name (``"speech_rate"``, ``"rare_words"``).
        value: the measured value of the feature.
        contribution: how much this feature moved the score (same scale as the score).
        detail: one human sentence ("4.9 syllables/s, fast for a non-native listener").
    """

    feature: str
    value: float
    contribution: float
    detail: str


@dataclass(frozen=True, slots=True)
class Score:
    """A 0..1 score with its reasons; ``value is None`` means "unknown"."""

    value: float | None
    reasons: tuple[Reason, ...] = ()
    confidence: float = 0.0

    @property
    def known(self) -> bool:
        return self.value is not None


# --------------------------------------------------------------------------------------
# Pipeline events. Every event has call_id, track and an absolute time.


@dataclass(frozen=True, slots=True, eq=False)
class AudioChunk:
    """A block of mono float32 audio at ``sample_rate_hz`` for one track."""

    call_id: str
    track: Track
    start_s: float
    samples: np.ndarray
    sample_rate_hz: int = 16000

    @property
    def duration_s(self) -> float:
        return len(self.samples) / float(self.sample_rate_hz)

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    call_id: str
    track: Track
    time_s: float


@dataclass(frozen=True, slots=True)
class SpeechEnded:
    call_id: str
    track: Track
    time_s: float


@dataclass(frozen=True, slots=True)
class TranscriptPartial:
    """An utterance still being decoded; replace earlier revisions of the same id."""

    call_id: str
    track: Track
    utterance_id: str
    revision: int
    start_s: float
    end_s: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True, slots=True)
class TranscriptFinal:
    """A finished utterance, emitted once.

    Attributes:
        source: ``"asr"`` for speech, ``"chat"`` for typed text (no audio features).
        avg_logprob / no_speech_prob / compression_ratio: Whisper's segment statistics
            (``None`` for chat).
        language: Whisper's spoken-language distribution for this utterance, when the
            model is multilingual and detection ran; ``None`` otherwise.
    """

    call_id: str
    track: Track
    utterance_id: str
    start_s: float
    end_s: float
    text: str
    words: tuple[Word, ...] = ()
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    compression_ratio: float | None = None
    language: LanguageDistribution | None = None
    source: Literal["asr", "chat"] = "asr"

    @property
    def duration_s(self) -> float:
        return max(0.0, self.end_s - self.start_s)


@dataclass(frozen=True, slots=True)
class LanguageDetected:
    """The language of one utterance (text and/or speech evidence), possibly unknown.

    ``speaker_language`` is the speaker's settled language after hysteresis, which may
    differ from this utterance's own ``language``.
    """

    call_id: str
    track: Track
    time_s: float
    utterance_id: str
    language: LanguageCode | None
    distribution: LanguageDistribution
    speaker_language: LanguageCode | None = None
    spans: tuple[tuple[int, int, LanguageCode], ...] = ()
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True, slots=True)
class MismatchDetected:
    """Agent and customer do not share a language the agent can serve."""

    call_id: str
    track: Track
    time_s: float
    agent_language: LanguageCode | None
    customer_language: LanguageCode | None
    score: Score


@dataclass(frozen=True, slots=True)
class AccentScored:
    """How far a speaker's speech is from a native speaker of the spoken language."""

    call_id: str
    track: Track
    time_s: float
    language: LanguageCode | None
    score: Score
    likely_first_language: LanguageCode | None = None


@dataclass(frozen=True, slots=True)
class DifficultyScored:
    """How hard one agent utterance is for this listener to understand (0 easy, 1 hard)."""

    call_id: str
    track: Track
    time_s: float
    utterance_id: str
    score: Score


@dataclass(frozen=True, slots=True)
class ConfusionDetected:
    """A sign that the customer did not understand.

    ``kind`` is one of ``clarification_request``, ``repeated_question``,
    ``long_silence``, ``language_switch``.
    """

    call_id: str
    track: Track
    time_s: float
    kind: str
    score: Score
    utterance_id: str | None = None


@dataclass(frozen=True, slots=True)
class SuggestionProposed:
    call_id: str
    track: Track
    time_s: float
    suggestion_id: str
    category: str
    text: str
    trigger: str
    reason: str


@dataclass(frozen=True, slots=True)
class StageFailed:
    call_id: str
    track: Track
    time_s: float
    stage: str
    message: str
    recoverable: bool = True


@dataclass(frozen=True, slots=True)
class StreamEnded:
    call_id: str
    track: Track
    time_s: float
    aborted: bool = False


@dataclass(frozen=True, slots=True)
class CallSummary:
    """Whole-call verdict: is there a language barrier, how sure, and why."""

    call_id: str
    barrier: bool | None
    score: Score
    main_causes: tuple[str, ...] = field(default=())
