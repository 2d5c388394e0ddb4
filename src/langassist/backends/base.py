"""Backend protocols: one small protocol per role, returning our own types.

Engine adapters (``faster_whisper.py``, ``langid_*.py`` ...) implement these and import
only this module, :mod:`langassist.events`, :mod:`langassist.errors` and their own
library. Deterministic fakes live in :mod:`langassist.backends.fake`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from langassist.events import LanguageDistribution, Word

__all__ = [
    "Embedder",
    "LanguageIdentifier",
    "Segment",
    "Transcriber",
    "Transcription",
    "VoiceActivityDetector",
]


@dataclass(frozen=True, slots=True)
class Segment:
    """One decoded segment with absolute times (seconds from call start)."""

    start_s: float
    end_s: float
    text: str
    words: tuple[Word, ...] = ()
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    compression_ratio: float | None = None
    temperature: float | None = None
    language: LanguageDistribution | None = None
    """Spoken-language distribution of the window this segment was decoded in."""


@dataclass(frozen=True, slots=True)
class Transcription:
    """Everything a transcriber returns for one block of audio, fully materialized.

    Attributes:
        segments: decoded segments after the backend's own guards.
        language: spoken-language distribution over the whole input, else ``None``
            (per-window distributions are on each segment).
        duration_s: seconds of audio given.
        speech_s: seconds the VAD kept (equal to ``duration_s`` without VAD).
        decode_s: wall time spent decoding.
        dropped: human-readable notes on segments removed by guards.
        options: the decoding options actually used.
    """

    segments: tuple[Segment, ...]
    language: LanguageDistribution | None
    duration_s: float
    speech_s: float
    decode_s: float
    dropped: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(segment.text.strip() for segment in self.segments if segment.text.strip())


@runtime_checkable
class Transcriber(Protocol):
    """Speech to text for one track of 16 kHz mono float32 audio."""

    name: str
    multilingual: bool

    def transcribe(
        self, audio: np.ndarray, *, language: str | None = None, offset_s: float = 0.0
    ) -> Transcription:
        """Decode ``audio``; ``offset_s`` is added to every time in the result.

        A transcriber may also take ``prompt: str | None`` (text said just before the
        audio, to condition decoding); the streaming stage passes it only to those that do.
        """
        raise NotImplementedError

    def detect_language(self, audio: np.ndarray) -> LanguageDistribution:
        """Spoken-language distribution of ``audio`` (empty for English-only models)."""
        raise NotImplementedError


@runtime_checkable
class LanguageIdentifier(Protocol):
    """Text to a language distribution. Empty distribution means "no evidence"."""

    name: str

    def identify(self, text: str) -> LanguageDistribution:
        raise NotImplementedError


@runtime_checkable
class Embedder(Protocol):
    """Sentences to L2-normalized vectors (rows), for similarity and retrieval."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError


@runtime_checkable
class VoiceActivityDetector(Protocol):
    """Streaming speech probabilities for one track of 16 kHz mono float32 audio.

    Stateful: one instance per track. :meth:`probabilities` takes the next samples of
    the stream and returns one probability per frame of ``frame_samples`` completed by
    them (a partial frame is kept for the next call), so frame ``k`` of the stream
    covers samples ``k * frame_samples`` to ``(k + 1) * frame_samples``.
    """

    name: str
    frame_samples: int

    def probabilities(self, samples: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def reset(self) -> None:
        raise NotImplementedError
