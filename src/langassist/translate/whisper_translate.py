"""Speech to English with Whisper's ``task="translate"`` (faster-whisper).

The translator is given an already-loaded model (the process's model pool owns it, and
the same multilingual Whisper serves transcription), so this module loads nothing by
itself; :func:`create_speech_translator` loads one from a local CTranslate2 directory
for scripts and tests. Only multilingual models translate (``whisper-base`` here; the
English-only ``tiny.en`` cannot).

Whisper invents text on silence and on languages it knows badly (Polish with the base
model, research/offline-models.md 1b), so segments are dropped when they look like
hallucinations: high no-speech probability with a low log-probability, or a
compression ratio that signals repetition. Results are fully materialized here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from langassist.errors import AudioFormatError, BackendError, BackendUnavailable, ConfigError
from langassist.events import LanguageCode, normalize_language
from langassist.translate.base import SpeechTranslation

__all__ = [
    "SpeechTranslationOptions",
    "WhisperModelLike",
    "WhisperSpeechTranslator",
    "create_speech_translator",
]

logger = logging.getLogger(__name__)

SAMPLE_RATE_HZ = 16000


class WhisperModelLike(Protocol):
    """What this module needs of ``faster_whisper.WhisperModel``."""

    def transcribe(self, audio: np.ndarray, **kwargs: Any) -> tuple[Any, Any]:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class SpeechTranslationOptions:
    """Decoding options and hallucination guards for speech translation."""

    beam_size: int = 1
    vad_filter: bool = True
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4


class WhisperSpeechTranslator:
    """:class:`~langassist.translate.base.SpeechTranslator` over a faster-whisper model.

    Args:
        model: a loaded multilingual ``faster_whisper.WhisperModel`` (or an object with
            the same ``transcribe`` method).
        options: decoding options and guards.
        name: recorded in results.
    """

    def __init__(
        self,
        model: WhisperModelLike,
        *,
        options: SpeechTranslationOptions | None = None,
        name: str = "whisper",
    ) -> None:
        inner = getattr(model, "model", None)
        if inner is not None and getattr(inner, "is_multilingual", True) is False:
            raise ConfigError(
                "speech translation needs a multilingual Whisper model (e.g. whisper-base); "
                "English-only models such as tiny.en cannot translate"
            )
        self._model = model
        self.options = options or SpeechTranslationOptions()
        self.name = name

    def translate_speech(
        self, audio: np.ndarray, *, source: LanguageCode | None = None
    ) -> SpeechTranslation:
        """Translate 16 kHz mono float32 ``audio`` to English.

        Args:
            audio: the samples.
            source: the spoken language when known; ``None`` lets Whisper detect it.
        """
        samples = np.asarray(audio)
        if samples.ndim != 1:
            raise AudioFormatError(
                f"speech translation needs mono audio, got shape {samples.shape}",
                status="unsupported",
            )
        samples = samples.astype(np.float32, copy=False)
        duration_s = samples.size / SAMPLE_RATE_HZ
        language = normalize_language(source) if source else None
        if samples.size == 0:
            return SpeechTranslation("", language, 0.0, None, 0.0, ("empty audio",), self.name)
        options = self.options
        try:
            generator, info = self._model.transcribe(
                samples,
                task="translate",
                language=language,
                beam_size=options.beam_size,
                vad_filter=options.vad_filter,
                condition_on_previous_text=False,
                no_speech_threshold=options.no_speech_threshold,
                log_prob_threshold=options.log_prob_threshold,
                compression_ratio_threshold=options.compression_ratio_threshold,
                without_timestamps=True,
            )
            raw_segments = list(generator)
        except (RuntimeError, ValueError) as exc:
            raise BackendError(f"Whisper speech translation failed: {exc}") from exc
        kept: list[str] = []
        logprobs: list[float] = []
        dropped: list[str] = []
        for segment in raw_segments:
            text = str(getattr(segment, "text", "")).strip()
            no_speech = float(getattr(segment, "no_speech_prob", 0.0) or 0.0)
            avg_logprob = float(getattr(segment, "avg_logprob", 0.0) or 0.0)
            ratio = float(getattr(segment, "compression_ratio", 0.0) or 0.0)
            if not text:
                continue
            if no_speech > options.no_speech_threshold and avg_logprob < options.log_prob_threshold:
                dropped.append(f"no speech ({no_speech:.2f}): {text[:60]!r}")
                continue
            if ratio > options.compression_ratio_threshold:
                dropped.append(f"repetitive (compression {ratio:.1f}): {text[:60]!r}")
                continue
            kept.append(text)
            logprobs.append(avg_logprob)
        detected = normalize_language(getattr(info, "language", None))
        probability = float(getattr(info, "language_probability", 0.0) or 0.0)
        return SpeechTranslation(
            text=" ".join(kept),
            source_language=language or detected,
            language_probability=0.0 if language else probability,
            avg_logprob=(sum(logprobs) / len(logprobs)) if logprobs else None,
            duration_s=duration_s,
            dropped=tuple(dropped),
            backend=self.name,
        )


def create_speech_translator(
    model_dir: str | Path,
    *,
    compute_type: str = "int8",
    cpu_threads: int = 2,
    options: SpeechTranslationOptions | None = None,
) -> WhisperSpeechTranslator:
    """Load a multilingual CTranslate2 Whisper model from ``model_dir`` (never the hub)."""
    path = Path(model_dir)
    if not (path / "model.bin").is_file():
        raise BackendError(f"no model.bin in {path}: not a CTranslate2 Whisper model")
    try:
        from faster_whisper import WhisperModel
    except ModuleNotFoundError as exc:  # pragma: no cover - core dependency
        raise BackendUnavailable("speech translation needs faster-whisper: pip install faster-whisper") from exc
    try:
        model = WhisperModel(
            str(path), device="cpu", compute_type=compute_type,
            cpu_threads=cpu_threads, num_workers=1, local_files_only=True,
        )
    except (RuntimeError, ValueError, OSError) as exc:
        raise BackendError(f"could not load Whisper model from {path}: {exc}") from exc
    return WhisperSpeechTranslator(model, options=options, name=f"whisper:{path.name}")
