"""Accent and mismatch stages: build the :mod:`langassist.accent` stages from settings.

:class:`~langassist.accent.AccentScorer` and :class:`~langassist.accent.MismatchMonitor`
already speak the stage protocol (``name``, ``accepts``, ``feed``, ``flush``, ``reset``);
these factories only read :class:`~langassist.config.Settings`, so pipelines, the CLI
and benchmarks build them the same way.

* accent stage: accepts ``TranscriptFinal`` (evidence) and ``LanguageDetected`` (the
  speaker's settled language); emits ``AccentScored`` per speaker once the speaker has
  ``language_id.min_speech_s`` of speech.
* mismatch stage: accepts ``LanguageDetected`` (settled language per side),
  ``AccentScored`` and ``TranscriptFinal`` (Whisper's spoken distribution, used for a
  side only until a ``LanguageDetected`` for it arrives); emits ``MismatchDetected``
  against ``assessment.agent_languages`` when the assessment changes.
"""

from __future__ import annotations

from langassist.accent import AccentModel, AccentOptions, AccentScorer, MismatchMonitor
from langassist.config import Settings

__all__ = ["create_accent_stage", "create_mismatch_stage"]


def create_accent_stage(settings: Settings, *, model: AccentModel | None = None) -> AccentScorer:
    """The per-speaker accent stage.

    Args:
        settings: ``language_id.min_speech_s`` is the least speech before a score.
        model: a fitted accent model; the bundled ``accent-model.json`` by default.

    Raises:
        ConfigError: the bundled model is missing or malformed.
    """
    return AccentScorer(AccentOptions.from_settings(settings), model=model)


def create_mismatch_stage(settings: Settings) -> MismatchMonitor:
    """The agent/customer language mismatch stage (``assessment.agent_languages``)."""
    return MismatchMonitor(
        settings.assessment.agent_languages,
        min_speech_s=settings.language_id.min_speech_s,
    )
