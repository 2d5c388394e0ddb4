"""Accent strength per speaker and agent/customer language mismatch.

* :class:`AccentScorer` scores how far each speaker's speech is from a native speaker
  of the language being spoken (0..1, calibrated, with reasons), with the likely first
  language when the evidence points to one.
* :func:`assess_mismatch` / :func:`score_mismatch` judge whether agent and customer
  share a language the agent can serve; :class:`MismatchMonitor` is the stage form.

Nothing here loads a speech model: the evidence is the ASR output already carried by
:class:`~langassist.events.TranscriptFinal` events.
"""

from __future__ import annotations

from langassist.accent.evidence import (
    EvidenceAccumulator,
    SpeakerEvidence,
    UtteranceEvidence,
    accumulate_evidence,
    extract_evidence,
)
from langassist.accent.first_language import FirstLanguageGuess, guess_first_language
from langassist.accent.mismatch import MismatchMonitor, SideState, assess_mismatch, score_mismatch
from langassist.accent.model import AccentModel, load_accent_model, speaker_features
from langassist.accent.scorer import AccentOptions, AccentScorer, score_evidence

__all__ = [
    "AccentModel",
    "AccentOptions",
    "AccentScorer",
    "EvidenceAccumulator",
    "FirstLanguageGuess",
    "MismatchMonitor",
    "SideState",
    "SpeakerEvidence",
    "UtteranceEvidence",
    "accumulate_evidence",
    "assess_mismatch",
    "extract_evidence",
    "guess_first_language",
    "load_accent_model",
    "score_evidence",
    "score_mismatch",
    "speaker_features",
]
