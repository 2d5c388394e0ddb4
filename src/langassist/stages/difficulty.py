"""Difficulty stage: score each agent utterance for the customer who hears it.

Accepts :class:`~langassist.events.TranscriptFinal` (only the agent track is scored),
:class:`~langassist.events.LanguageDetected` and :class:`~langassist.events.AccentScored`
(which tell it what is known about each side). Emits one
:class:`~langassist.events.DifficultyScored` per agent final, at the utterance's end
time, with a 0..1 :class:`~langassist.events.Score` (``value is None`` when the text
carries no evidence: empty, emoji only, a single common word).

The language of an agent utterance is, in order: the language a
:class:`LanguageDetected` already gave for that utterance id; the agent's settled
``speaker_language``; Whisper's distribution on the final when its top language has
probability >= :data:`WHISPER_LANGUAGE_MIN`; else the first of
``AssessmentSettings.agent_languages``. The stage scores at once and never waits for a
later event, so a language-ID stage placed after the ASR changes the language of the
*next* utterances, not of this one.

The listener is the customer: their settled ``speaker_language``, and from their latest
known :class:`AccentScored` the accent strength (used when the accent was measured in the
utterance's language, or in an unknown one) and the likely first language (a known
first language equal to the utterance's language means a native listener, a different
one a non-native listener). See :func:`~langassist.difficulty.score_for_listener`.

State is kept per call id; :meth:`DifficultyStage.reset` forgets every call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langassist.config import AssessmentSettings, Settings
from langassist.difficulty.listener import ListenerProfile
from langassist.difficulty.scorer import DifficultyScorer
from langassist.events import (
    AGENT,
    CUSTOMER,
    AccentScored,
    DifficultyScored,
    LanguageCode,
    LanguageDetected,
    TranscriptFinal,
    normalize_language,
)

__all__ = ["WHISPER_LANGUAGE_MIN", "DifficultyStage", "create_difficulty_stage"]

WHISPER_LANGUAGE_MIN = 0.8
"""Whisper's per-utterance language is trusted from this probability on."""
_UTTERANCE_LANGUAGES_KEPT = 64


@dataclass
class _CallState:
    """What one call has told the stage so far."""

    agent_language: LanguageCode | None = None
    customer_language: LanguageCode | None = None
    customer_accent: float | None = None
    customer_accent_language: LanguageCode | None = None
    customer_first_language: LanguageCode | None = None
    utterance_languages: dict[str, LanguageCode] = field(default_factory=dict)


class DifficultyStage:
    """Pipeline stage around :class:`~langassist.difficulty.DifficultyScorer`.

    Args:
        settings: assessment settings (agent languages, glossary, target speech rate).
        scorer: an already built scorer to share (one is built from ``settings`` when
            omitted; building loads the glossary and model files).
    """

    name = "difficulty"
    accepts: tuple[type, ...] = (TranscriptFinal, LanguageDetected, AccentScored)

    def __init__(
        self, settings: AssessmentSettings | None = None, *, scorer: DifficultyScorer | None = None
    ) -> None:
        self.settings = settings or AssessmentSettings()
        self.scorer = scorer if scorer is not None else DifficultyScorer(self.settings)
        self._default_language = normalize_language(self.settings.agent_languages[0])
        self._calls: dict[str, _CallState] = {}

    def reset(self) -> None:
        self._calls = {}

    def flush(self) -> list[Any]:
        return []

    def feed(self, event: Any) -> list[Any]:
        state = self._calls.setdefault(str(getattr(event, "call_id", "")), _CallState())
        if isinstance(event, LanguageDetected):
            self._observe_language(state, event)
            return []
        if isinstance(event, AccentScored):
            if event.track == CUSTOMER and event.score.value is not None:
                state.customer_accent = event.score.value
                state.customer_accent_language = normalize_language(event.language)
                state.customer_first_language = normalize_language(event.likely_first_language)
            return []
        if isinstance(event, TranscriptFinal) and event.track == AGENT:
            return [self._score(state, event)]
        return []

    # ----------------------------------------------------------------------------------

    def _observe_language(self, state: _CallState, event: LanguageDetected) -> None:
        settled = normalize_language(event.speaker_language)
        if event.track == AGENT:
            if settled is not None:
                state.agent_language = settled
            language = normalize_language(event.language)
            if language is not None:
                languages = state.utterance_languages
                languages[event.utterance_id] = language
                while len(languages) > _UTTERANCE_LANGUAGES_KEPT:
                    del languages[next(iter(languages))]
        elif event.track == CUSTOMER and settled is not None:
            state.customer_language = settled

    def utterance_language(self, state: _CallState, event: TranscriptFinal) -> LanguageCode | None:
        """The language the agent utterance is taken to be in (see the module docstring)."""
        known = state.utterance_languages.get(event.utterance_id)
        if known is not None:
            return known
        if state.agent_language is not None:
            return state.agent_language
        distribution = event.language
        if distribution and distribution.top_probability >= WHISPER_LANGUAGE_MIN:
            return distribution.top
        return self._default_language

    def listener(self, state: _CallState, language: LanguageCode | None) -> ListenerProfile | None:
        """The customer as a listener of an utterance in ``language``; ``None`` if unknown."""
        native: bool | None = None
        if state.customer_first_language is not None and language is not None:
            native = state.customer_first_language == language
        accent: float | None = None
        if state.customer_accent is not None and state.customer_accent_language in (None, language):
            accent = state.customer_accent
        if state.customer_language is None and native is None and accent is None:
            return None
        return ListenerProfile(language=state.customer_language, native=native, accent_strength=accent)

    def _score(self, state: _CallState, event: TranscriptFinal) -> DifficultyScored:
        language = self.utterance_language(state, event)
        score = self.scorer.score(
            event.text,
            language=language,
            words=event.words,
            listener=self.listener(state, language),
        )
        return DifficultyScored(
            call_id=event.call_id,
            track=event.track,
            time_s=event.end_s,
            utterance_id=event.utterance_id,
            score=score,
        )


def create_difficulty_stage(
    settings: Settings | AssessmentSettings | None = None, *, scorer: DifficultyScorer | None = None
) -> DifficultyStage:
    """Build the difficulty stage from resolved settings (``Settings`` or its ``assessment``)."""
    assessment = settings.assessment if isinstance(settings, Settings) else settings
    return DifficultyStage(assessment, scorer=scorer)
