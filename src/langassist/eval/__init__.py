"""Evaluation metrics and data loaders, shared by tests, benchmarks and ``langassist eval``.

- :mod:`~langassist.eval.text_normalize`: Whisper's text normalizers plus the digit rule.
- :mod:`~langassist.eval.wer`: WER/CER per clip and per corpus, bootstrap intervals.
- :mod:`~langassist.eval.datasets`: typed loaders for the shared speech manifests, the
  shared text sets (benchmark splits recomputed) and user manifests (TSV/CSV/JSONL).
- :mod:`~langassist.eval.harness`: the task registry, grids and :func:`run_task`
  (``langassist eval``); :mod:`~langassist.eval.tasks` the tasks;
  :mod:`~langassist.eval.report` JSON / JSONL / Markdown / PNG outputs. Import them
  explicitly (they are not re-exported here).

Everything here is pure (no models); importing it loads nothing heavy.
"""

from __future__ import annotations

from langassist.eval.datasets import SPEECH_SETS, SpeechItem, load_speech_set, speech_set_dir
from langassist.eval.text_normalize import (
    Normalizer,
    join_digit_runs,
    normalize_basic,
    normalize_english,
    normalizer_for,
)
from langassist.eval.wer import (
    ClipScore,
    ConfidenceInterval,
    CorpusScore,
    EditCounts,
    align_tokens,
    bootstrap_ci,
    cer,
    score_clip,
    score_corpus,
    wer,
)

__all__ = [
    "SPEECH_SETS",
    "ClipScore",
    "ConfidenceInterval",
    "CorpusScore",
    "EditCounts",
    "Normalizer",
    "SpeechItem",
    "align_tokens",
    "bootstrap_ci",
    "cer",
    "join_digit_runs",
    "load_speech_set",
    "normalize_basic",
    "normalize_english",
    "normalizer_for",
    "score_clip",
    "score_corpus",
    "speech_set_dir",
    "wer",
]
