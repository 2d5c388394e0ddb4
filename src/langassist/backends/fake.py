"""Deterministic fakes for unit tests. Named as fakes; never used by default.

* :class:`ScriptedTranscriber` returns one given script of segments per call, so tests
  state exactly what the "engine" said (including hallucinations and loops).
* :class:`FakeEmbedder` hashes words into a fixed-size bag-of-words vector, so texts that
  share words are similar and nothing needs model weights.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable, Sequence

import numpy as np

from langassist.backends.base import Segment, Transcription
from langassist.events import LanguageDistribution

__all__ = ["FakeEmbedder", "ScriptedTranscriber"]


class ScriptedTranscriber:
    """A fake :class:`~langassist.backends.base.Transcriber`.

    Args:
        scripts: one sequence of segments per expected ``transcribe`` call, in order
            (times relative to the audio given); after the last script, an empty
            transcription is returned.
        language: the spoken-language distribution to report (multilingual fake).
        name: recorded as the model name.
    """

    def __init__(
        self,
        scripts: Iterable[Sequence[Segment]] = (),
        *,
        language: LanguageDistribution | None = None,
        name: str = "fake-scripted",
    ) -> None:
        self.name = name
        self.multilingual = language is not None
        self._scripts = [tuple(script) for script in scripts]
        self._language = language
        self.calls: list[tuple[int, str | None, float]] = []

    def detect_language(self, audio: np.ndarray) -> LanguageDistribution:
        return self._language or LanguageDistribution()

    def transcribe(
        self, audio: np.ndarray, *, language: str | None = None, offset_s: float = 0.0
    ) -> Transcription:
        index = len(self.calls)
        self.calls.append((int(audio.size), language, offset_s))
        script = self._scripts[index] if index < len(self._scripts) else ()
        segments = tuple(
            dataclasses.replace(
                segment,
                start_s=segment.start_s + offset_s,
                end_s=segment.end_s + offset_s,
                words=tuple(
                    dataclasses.replace(word, start_s=word.start_s + offset_s, end_s=word.end_s + offset_s)
                    for word in segment.words
                ),
                language=segment.language or self._language,
            )
            for segment in script
        )
        duration = audio.size / 16000.0
        return Transcription(
            segments=segments,
            language=self._language,
            duration_s=duration,
            speech_s=duration,
            decode_s=0.0,
            options={"model": self.name},
        )


_FAKE_WORD_RE = re.compile(r"\w+", re.UNICODE)


class FakeEmbedder:
    """A fake :class:`~langassist.backends.base.Embedder`: hashed bag of words, no model.

    Each lower-cased word adds one to a bucket picked by a stable hash (BLAKE2b, not
    Python's salted ``hash``), so results are identical across runs and processes. Rows
    are L2-normalized; a text without words maps to one fixed "empty" bucket. Cosine
    similarity is then word overlap, which is enough to test logic that compares texts.

    Args:
        dim: vector size.
        name: recorded as the embedder name.
    """

    similarity_floor = 0.0

    def __init__(self, dim: int = 256, *, name: str = "fake-hash") -> None:
        if dim < 2:
            raise ValueError(f"FakeEmbedder dim must be at least 2, got {dim}")
        self.dim = dim
        self.name = name
        self.calls = 0

    def _bucket(self, word: str) -> int:
        digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
        return 1 + int.from_bytes(digest, "little") % (self.dim - 1)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of strings; wrap a single text in a list")
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _FAKE_WORD_RE.findall(text.lower())
            if not words:
                out[row, 0] = 1.0
                continue
            for word in words:
                out[row, self._bucket(word)] += 1.0
            out[row] /= np.linalg.norm(out[row])
        return out
