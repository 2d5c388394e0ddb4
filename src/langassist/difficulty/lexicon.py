"""Word frequency (wordfreq Zipf) and CEFR level (cefrpy) lookups, cached per instance.

Both libraries ship their data in their wheels and load it lazily on first use (wordfreq
about 0.2 s and 50 MB for English). Lookups read wordfreq's frequency table directly
instead of calling ``zipf_frequency``, because that function runs wordfreq's tokenizer,
which needs optional packages (jieba, MeCab) for Chinese, Japanese and Korean and raises
without them. The caches belong to the :class:`Lexicon` object, so whoever builds it
(one scorer per process) owns the memory.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping

from langassist.errors import BackendUnavailable

__all__ = ["Lexicon", "ZIPF_UNKNOWN"]

ZIPF_UNKNOWN = 0.0
"""Zipf value given to a word the frequency list does not hold: rarer than any listed word."""

_CACHE_LIMIT = 100_000


class Lexicon:
    """Zipf frequencies in any wordfreq language and CEFR levels for English words."""

    def __init__(self) -> None:
        self._tables: dict[str, Mapping[str, float] | None] = {}
        self._zipf_cache: dict[tuple[str, str], float] = {}
        self._cefr_cache: dict[str, float | None] = {}
        self._cefr_analyzer: object | None = None
        self._lock = threading.Lock()

    # -- word frequency -------------------------------------------------------------

    def supports_frequency(self, language: str | None) -> bool:
        """Whether wordfreq has a frequency list for ``language``."""
        return language is not None and self._table(language) is not None

    def zipf(self, word: str, language: str) -> float | None:
        """Zipf frequency of ``word`` (0 to about 8), or ``None`` without a list.

        A word missing from the list gets :data:`ZIPF_UNKNOWN`. A hyphenated word missing
        as a whole counts as its rarest part ("e-mail" -> "e", "mail").
        """
        key = (language, word)
        cached = self._zipf_cache.get(key)
        if cached is not None:
            return cached
        table = self._table(language)
        if table is None:
            return None
        value = _lookup_zipf(table, word.lower())
        if len(self._zipf_cache) < _CACHE_LIMIT:
            self._zipf_cache[key] = value
        return value

    def _table(self, language: str) -> Mapping[str, float] | None:
        if language in self._tables:
            return self._tables[language]
        with self._lock:
            if language not in self._tables:
                self._tables[language] = _load_frequency_table(language)
        return self._tables[language]

    # -- CEFR -------------------------------------------------------------------------

    def cefr(self, word: str) -> float | None:
        """Average CEFR level of an English word (1 = A1 ... 6 = C2), ``None`` if unlisted."""
        lowered = word.lower()
        if lowered in self._cefr_cache:
            return self._cefr_cache[lowered]
        analyzer = self._analyzer()
        level: float | None = None
        if lowered.isalpha() and analyzer.is_word_in_database(lowered):  # type: ignore[attr-defined]
            raw = analyzer.get_average_word_level_float(lowered)  # type: ignore[attr-defined]
            level = float(raw) if raw is not None else None
        if len(self._cefr_cache) < _CACHE_LIMIT:
            self._cefr_cache[lowered] = level
        return level

    def _analyzer(self) -> object:
        if self._cefr_analyzer is None:
            with self._lock:
                if self._cefr_analyzer is None:
                    try:
                        import cefrpy
                    except ImportError as exc:
                        raise BackendUnavailable(
                            "cefrpy is not installed: pip install cefrpy"
                        ) from exc
                    self._cefr_analyzer = cefrpy.CEFRAnalyzer()
        return self._cefr_analyzer


def _load_frequency_table(language: str) -> Mapping[str, float] | None:
    try:
        import wordfreq
    except ImportError as exc:
        raise BackendUnavailable("wordfreq is not installed: pip install wordfreq") from exc
    if language not in wordfreq.available_languages():
        return None
    table: Mapping[str, float] = wordfreq.get_frequency_dict(language, wordlist="best")
    return table


def _lookup_zipf(table: Mapping[str, float], lowered: str) -> float:
    frequency = table.get(lowered)
    if frequency is None and ("-" in lowered or "." in lowered or "'" in lowered):
        parts = [part for part in lowered.replace(".", "-").replace("'", "-").split("-") if part]
        values = [table.get(part) for part in parts]
        if parts and all(value is not None for value in values):
            frequency = min(value for value in values if value is not None)
    if not frequency:
        return ZIPF_UNKNOWN
    return max(0.0, math.log10(frequency) + 9.0)
