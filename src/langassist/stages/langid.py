"""Language ID stage: each final transcript -> :class:`LanguageDetected`.

Accepts :class:`TranscriptFinal` from speech (``source="asr"``) and from chat. The text
goes to the injected identifier; when it is a
:class:`~langassist.langid.ensemble.TextLanguageEnsemble`, the call context (languages
already settled in the call, and Whisper's spoken-language distribution of the same
utterance) is folded in and code-switch spans come back too. The fused distribution then
feeds the per-speaker hysteresis (:mod:`langassist.langid.speaker_state`), whose settled
language is ``speaker_language``. ``language`` is ``None`` when the top probability is
under ``confidence_floor``. The stage loads nothing: :func:`create_language_stage` does.
"""

from __future__ import annotations

from typing import Any

from langassist.backends.base import LanguageIdentifier
from langassist.events import LanguageDetected, LanguageDistribution, Reason, TranscriptFinal
from langassist.langid.ensemble import LanguageContext, TextLanguageEnsemble
from langassist.langid.speaker_state import LanguageObservation, SpeakerLanguages
from langassist.langid.text import word_tokens

__all__ = ["LanguageStage", "create_language_stage"]


def _speech_s(event: TranscriptFinal) -> float:
    if event.words:
        return sum(max(0.0, w.end_s - w.start_s) for w in event.words) or event.duration_s
    return event.duration_s


class LanguageStage:
    """Pipeline stage (see the module docstring).

    Args:
        settings: a :class:`~langassist.config.LanguageIdSettings`.
        identifier: the text language identifier (usually the ensemble).
    """

    name = "langid"
    accepts: tuple[type, ...] = (TranscriptFinal,)

    def __init__(self, settings: Any, identifier: LanguageIdentifier) -> None:
        self.settings = settings
        self.identifier = identifier
        self.reset()

    def reset(self) -> None:
        self._speakers = SpeakerLanguages.from_settings(self.settings)

    def feed(self, event: Any) -> list[Any]:
        if not isinstance(event, TranscriptFinal):
            return []
        floor = float(self.settings.confidence_floor)
        spoken = event.language if event.source == "asr" else None
        reasons: list[Reason] = []
        spans: tuple[tuple[int, int, str], ...] = ()
        if isinstance(self.identifier, TextLanguageEnsemble):
            context = LanguageContext(self._speakers.established(), spoken)
            result = self.identifier.analyze(event.text, context)
            distribution, spans = result.distribution, result.spans
            reasons.extend(result.reasons)
        else:
            distribution = self.identifier.identify(event.text)
            if not distribution and spoken:
                distribution = spoken
                reasons.append(Reason("spoken_language", spoken.top_probability, 1.0,
                                      "no text evidence; using the spoken-language distribution"))
        language = distribution.top if distribution.top_probability >= floor else None
        n_words = len(word_tokens(event.text))
        observation = (
            LanguageObservation(distribution, _speech_s(event), "asr", spoken=spoken)
            if event.source == "asr"
            else LanguageObservation.from_chat(distribution, n_words)
        )
        update = self._speakers.observe(event.track, observation)
        reasons.append(update.reason)
        return [LanguageDetected(
            call_id=event.call_id,
            track=event.track,
            time_s=event.end_s,
            utterance_id=event.utterance_id,
            language=language,
            distribution=distribution.head(10) if distribution else LanguageDistribution(),
            speaker_language=update.language,
            spans=spans,
            reasons=tuple(reasons),
        )]

    def flush(self) -> list[Any]:
        return []


def create_language_stage(settings: Any) -> LanguageStage:
    """Build the stage with the ensemble over ``settings.language_id.backends``.

    Args:
        settings: the full :class:`~langassist.config.Settings`.
    """
    from langassist.langid.factory import create_ensemble_identifier

    return LanguageStage(settings.language_id, create_ensemble_identifier(settings))
