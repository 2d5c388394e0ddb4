"""Per-speaker accent strength: accumulate evidence, score with the calibrated model.

:class:`AccentScorer` keeps one evidence pool per track (speaker). Each final utterance
adds to its speaker's pool; once the speaker has spoken for ``min_speech_s`` it returns
an :class:`~langassist.events.AccentScored` event (before that, nothing: too little
speech is "unknown", not a guess). The score's ``confidence`` grows with the amount of
speech (``1 - exp(-speech_s / confidence_speech_s)``) and shrinks when features could
not be measured.

The language being spoken is, in order: the language passed to :meth:`observe`, the
speaker's settled language from a :class:`~langassist.events.LanguageDetected` event
(``speaker_language``, from the per-speaker language state), else the most probable
language of the speaker's pooled Whisper distribution.

The scorer is also a pipeline stage (``feed``/``flush``/``reset``): it accepts
``TranscriptFinal`` and ``LanguageDetected`` events.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from langassist.accent.evidence import EvidenceAccumulator, SpeakerEvidence, extract_evidence
from langassist.accent.first_language import guess_first_language
from langassist.accent.model import AccentModel, load_accent_model, speaker_features
from langassist.errors import ConfigError
from langassist.events import (
    AccentScored,
    LanguageCode,
    LanguageDetected,
    Reason,
    Score,
    TranscriptFinal,
    normalize_language,
)

__all__ = ["AccentOptions", "AccentScorer", "score_evidence"]


@dataclass(frozen=True, slots=True)
class AccentOptions:
    """How much speech the accent score needs.

    Attributes:
        min_speech_s: below this much speech a speaker's accent is unknown.
        confidence_speech_s: speech time constant of the confidence
            (``1 - exp(-speech / this)``: 10 s gives 0.63 at 10 s, 0.86 at 20 s).
    """

    min_speech_s: float = 2.0
    confidence_speech_s: float = 10.0

    def __post_init__(self) -> None:
        if not (0.0 <= self.min_speech_s <= 600.0):
            raise ConfigError(f"accent.min_speech_s = {self.min_speech_s!r} is out of range: allowed 0 to 600")
        if not (0.1 <= self.confidence_speech_s <= 3600.0):
            raise ConfigError(
                f"accent.confidence_speech_s = {self.confidence_speech_s!r} is out of range: allowed 0.1 to 3600"
            )

    @classmethod
    def from_settings(cls, settings: Any) -> AccentOptions:
        """Options from a :class:`~langassist.config.Settings` (``language_id.min_speech_s``)."""
        language_id = getattr(settings, "language_id", None)
        min_speech = getattr(language_id, "min_speech_s", None)
        return cls() if min_speech is None else cls(min_speech_s=float(min_speech))


def score_evidence(
    evidence: SpeakerEvidence,
    language: LanguageCode | None,
    *,
    model: AccentModel,
    options: AccentOptions,
) -> tuple[Score, LanguageCode | None, LanguageCode | None]:
    """Score pooled evidence: ``(score, spoken language, likely first language)``.

    The spoken language falls back to the top of the pooled distribution when ``None``.
    """
    spoken = normalize_language(language) if language else None
    if spoken is None and evidence.language:
        spoken = evidence.language.top
    if evidence.speech_s < options.min_speech_s or evidence.utterances == 0:
        detail = (
            f"{evidence.speech_s:.1f} s of speech; at least {options.min_speech_s:.1f} s is needed"
        )
        return Score(None, (Reason("speech_s", round(evidence.speech_s, 3), 0.0, detail),)), spoken, None
    output = model.score(speaker_features(evidence, spoken))
    if output.coverage <= 0.0:
        detail = "no usable evidence (no words and no language distribution)"
        return Score(None, (Reason("evidence", 0.0, 0.0, detail),)), spoken, None
    confidence = (1.0 - math.exp(-evidence.speech_s / options.confidence_speech_s)) * output.coverage
    reasons = list(output.reasons)
    guess = guess_first_language(
        evidence.language, spoken,
        min_mass=model.first_language_min_mass, min_share=model.first_language_min_share,
    )
    first_language = guess.language if output.value >= 0.5 else None
    if first_language is not None:
        reasons.append(
            Reason(
                "first_language", round(guess.mass, 4), 0.0,
                f"Whisper hears {first_language} in {guess.mass:.0%} of the speech "
                f"({guess.share_of_other:.0%} of the mass off {spoken} and catch-all labels)",
            )
        )
    reasons.append(
        Reason("speech_s", round(evidence.speech_s, 3), 0.0,
               f"{evidence.speech_s:.1f} s of speech in {evidence.utterances} utterance(s)")
    )
    score = Score(round(output.value, 4), tuple(reasons), round(confidence, 4))
    return score, spoken, first_language


@dataclass
class _Speaker:
    accumulator: EvidenceAccumulator
    call_id: str
    settled_language: LanguageCode | None = None
    last_time_s: float = 0.0
    scored_language: LanguageCode | None = None


class AccentScorer:
    """Accent strength per speaker (track) of one call; see the module docstring.

    Args:
        options: speech thresholds.
        model: the calibrated model; the bundled one by default.
    """

    name = "accent"
    accepts: tuple[type, ...] = (TranscriptFinal, LanguageDetected)

    def __init__(self, options: AccentOptions | None = None, *, model: AccentModel | None = None) -> None:
        self.options = options or AccentOptions()
        self.model = model or load_accent_model()
        self._speakers: dict[str, _Speaker] = {}

    def _speaker(self, call_id: str, track: str) -> _Speaker:
        speaker = self._speakers.get(track)
        if speaker is None:
            speaker = _Speaker(EvidenceAccumulator(), call_id)
            self._speakers[track] = speaker
        return speaker

    def set_language(self, track: str, language: LanguageCode | None, *, call_id: str = "") -> None:
        """Record the speaker's settled language (``None`` forgets it)."""
        self._speaker(call_id, track).settled_language = normalize_language(language)

    def observe(self, final: TranscriptFinal, *, language: LanguageCode | None = None) -> AccentScored | None:
        """Add one final utterance; return the speaker's updated score once known.

        Returns ``None`` for utterances without accent evidence (chat, empty) and while
        the speaker has less than ``min_speech_s`` of speech.
        """
        evidence = extract_evidence(final)
        if evidence is None:
            return None
        speaker = self._speaker(final.call_id, final.track)
        speaker.accumulator.add(evidence)
        speaker.last_time_s = max(speaker.last_time_s, final.end_s)
        if speaker.accumulator.speech_s < self.options.min_speech_s:
            return None
        event = self._event(final.call_id, final.track, speaker, language)
        if not event.score.known:
            return None
        speaker.scored_language = event.language
        return event

    def current(self, track: str, *, language: LanguageCode | None = None) -> AccentScored | None:
        """The speaker's score now (possibly unknown), or ``None`` for an unseen track."""
        speaker = self._speakers.get(track)
        if speaker is None:
            return None
        return self._event(speaker.call_id, track, speaker, language)

    def score_speaker(
        self,
        utterances: Iterable[TranscriptFinal],
        *,
        language: LanguageCode | None = None,
        call_id: str | None = None,
        track: str | None = None,
    ) -> AccentScored:
        """Score one speaker's utterances at once (stateless; "unknown" if too little speech)."""
        finals = list(utterances)
        accumulator = EvidenceAccumulator()
        for final in finals:
            evidence = extract_evidence(final)
            if evidence is not None:
                accumulator.add(evidence)
        speaker = _Speaker(
            accumulator,
            call_id if call_id is not None else (finals[0].call_id if finals else ""),
            last_time_s=max((f.end_s for f in finals), default=0.0),
        )
        name = track if track is not None else (finals[0].track if finals else "")
        return self._event(speaker.call_id, name, speaker, language)

    def _event(
        self, call_id: str, track: str, speaker: _Speaker, language: LanguageCode | None
    ) -> AccentScored:
        score, spoken, first_language = score_evidence(
            speaker.accumulator.summary(),
            language or speaker.settled_language,
            model=self.model,
            options=self.options,
        )
        return AccentScored(
            call_id=call_id,
            track=track,
            time_s=speaker.last_time_s,
            language=spoken,
            score=score,
            likely_first_language=first_language,
        )

    # -- stage protocol ------------------------------------------------------------

    def feed(self, event: Any) -> list[Any]:
        if isinstance(event, LanguageDetected):
            language = normalize_language(event.speaker_language)
            if language is None:
                return []
            speaker = self._speaker(event.call_id, event.track)
            speaker.settled_language = language
            # The settled language changed after the speaker was scored: rescore.
            if speaker.scored_language is not None and speaker.scored_language != language:
                updated = self._event(event.call_id, event.track, speaker, None)
                if updated.score.known:
                    speaker.scored_language = updated.language
                    return [updated]
            return []
        if isinstance(event, TranscriptFinal):
            scored = self.observe(event)
            return [] if scored is None else [scored]
        return []

    def flush(self) -> list[Any]:
        return []

    def reset(self) -> None:
        self._speakers.clear()
