"""A compact word-frequency lexicon over several languages, built from wordfreq's lists.

Each language's list is cut at ``min_zipf`` (default :data:`DEFAULT_MIN_ZIPF`): a word
is kept when at least one language lists it at or above that Zipf frequency, and for a
kept word the lexicon stores its Zipf value in every language whose cut list holds it,
rounded to 0.1 Zipf, as one byte (Zipf × :data:`ZIPF_STEP`, ``0`` = not in the cut
list). Words with the same profile share one row of :attr:`WordfreqLexicon.rows`.

wordfreq ships "large" lists (down to Zipf 1) for some languages and "small" ones (down
to Zipf 3) for others; :attr:`WordfreqLexicon.list_floor_zipf` records the lowest value
each cut list holds (``max(list floor, min_zipf)``), because a word missing from a list
that stops at Zipf 3 is much less surprising than one missing from a list that goes on
to Zipf 2. Cutting the large lists at Zipf 2 keeps a third of their entries and leaves
the ensemble's benchmark accuracy unchanged.

The vocabulary maps a canonical word form (:func:`~langassist.langid.text.canonical_word`)
to its row. A built lexicon holds no strings: :class:`HashedVocabulary` is a sorted
array of 62-bit keys of the word forms (:func:`word_key`) and the row of each, 12 bytes
a word (about 22 MB for the 22 default languages, 1.7 million words). A word outside the
vocabulary matches a key by chance with a probability of about ``n_words / 2**62``.
Plain dicts work too (tests, hand-made lexicons).

Building reads each list file once (``wordfreq.read_cBpack``, leaving no wordfreq cache
behind) and filters, canonicalizes and hashes whole buckets as one string or one numpy
array, so no Python code runs per word (a few seconds for 22 languages). Entries the
tokenizer can never produce are skipped: forms with a character other than a letter or
mark, and Chinese or Japanese entries longer than one character
(:func:`~langassist.langid.text.iter_word_tokens` splits those into characters).
Nothing happens at import time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from langassist.errors import BackendUnavailable, ConfigError
from langassist.events import LanguageCode
from langassist.langid.text import canonical_text, canonical_word

__all__ = [
    "DEFAULT_MIN_ZIPF",
    "HashedVocabulary",
    "Vocabulary",
    "WordfreqLexicon",
    "build_wordfreq_lexicon",
    "word_key",
    "word_keys",
    "wordfreq_languages",
]

DEFAULT_MIN_ZIPF = 2.0
"""Words rarer than this in every language are left out (see the module docstring)."""

ZIPF_STEP = 10
"""Rows keep Zipf values in steps of ``1 / ZIPF_STEP`` (``0`` = not listed)."""


def _import_wordfreq() -> Any:
    try:
        import wordfreq
    except ModuleNotFoundError as exc:  # pragma: no cover - wordfreq is a core dependency
        raise BackendUnavailable(
            "the wordfreq lexicon needs the package 'wordfreq': pip install wordfreq"
        ) from exc
    return wordfreq


def _traditional_forms() -> dict[str, tuple[str, ...]]:
    """Simplified Chinese character -> its traditional forms, from the mapping wordfreq
    ships for its own Chinese lookups (``{}`` when it is missing)."""
    import gzip
    from importlib import resources

    try:
        import msgpack

        source = resources.files("wordfreq") / "data" / "_chinese_mapping.msgpack.gz"
        with resources.as_file(source) as path, gzip.open(path) as handle:
            mapping = msgpack.load(handle, raw=False, strict_map_key=False)
    except (ModuleNotFoundError, OSError, ValueError):
        return {}
    forms: dict[str, list[str]] = {}
    for code_point, simplified in mapping.items():
        traditional = chr(code_point)
        if simplified != traditional:
            forms.setdefault(simplified, []).append(traditional)
    return {simplified: tuple(sorted(group)) for simplified, group in forms.items()}


def wordfreq_languages() -> tuple[LanguageCode, ...]:
    """ISO 639-1 codes of the languages wordfreq ships a frequency list for."""
    wordfreq = _import_wordfreq()
    return tuple(sorted(code for code in wordfreq.available_languages("best") if len(code) == 2))


_P1 = 2_147_483_647  # 2**31 - 1
_P2 = 2_147_483_629  # the largest prime below it
# A word's UTF-8 bytes read as one little-endian integer V: the key is
# (V mod P1) * P2 + (V mod P2), below 2**62. Distinct words shorter than 8 bytes
# always get distinct keys (V < P1 * P2; UTF-8 letters hold no zero byte).


def word_key(word: str) -> int:
    """The stable 62-bit key of an (already canonical) word form.

    Its UTF-8 bytes as a little-endian integer, reduced modulo two primes near 2**31
    (a polynomial hash in base 256); two C-level big-integer operations, about half a
    microsecond. :func:`_line_keys` computes the same keys for many words with numpy.
    """
    return _key_of_value(int.from_bytes(word.encode("utf-8"), "little"))


def _key_of_value(value: int) -> int:
    return (value % _P1) * _P2 + value % _P2


_CHUNKED_MAX_BYTES = 64
"""Words up to this many UTF-8 bytes are hashed as rows of 8-byte chunks; longer ones
(rare) one by one."""
_KEY_BLOCK_WORDS = 1 << 17
""":func:`_line_keys` works through this many lines at a time (bounds its memory)."""


def _line_keys(data: bytes) -> np.ndarray:
    """:func:`word_key` of every line of newline-joined UTF-8 words (vectorized).

    The lines become rows of a fixed-width byte array (numpy's ``S`` type pads them with
    zero bytes, which add nothing to the little-endian value), read as 64-bit chunks
    ``c_i``: ``V = sum c_i * 2**(64 i)``, so ``V mod p = sum (c_i mod p) * (2**(64 i)
    mod p) mod p``, a few array operations per chunk. Lines longer than
    ``_CHUNKED_MAX_BYTES`` (rare) are hashed one by one.
    """
    lines = data.split(b"\n")
    keys = np.zeros(len(lines), dtype=np.int64)
    for first in range(0, len(lines), _KEY_BLOCK_WORDS):
        block = lines[first : first + _KEY_BLOCK_WORDS]
        keys[first : first + len(block)] = _chunked_keys(block)
    return keys


def _chunked_keys(lines: list[bytes]) -> np.ndarray:
    lengths = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
    keys = np.zeros(len(lines), dtype=np.int64)
    long = np.flatnonzero(lengths > _CHUNKED_MAX_BYTES).tolist()
    if long:
        lines = list(lines)
        for i in long:  # a long "word" (a URL, a run of letters): one by one
            keys[i] = _key_of_value(int.from_bytes(lines[i], "little"))
            lines[i] = b""
            lengths[i] = 0
    longest = int(lengths.max(initial=0))
    if longest == 0:
        return keys
    width = -(-longest // 8) * 8
    chunks = np.array(lines, dtype=f"S{width}").view("<u8").reshape(len(lines), width // 8)
    # Column 0 for every line; later columns only for the lines that reach them.
    reaching = [np.flatnonzero(lengths > 8 * column) for column in range(width // 8)]
    residues = []
    for prime in (_P1, _P2):
        modulus = np.uint64(prime)
        residue = chunks[:, 0] % modulus
        factor = 1
        for column in range(1, width // 8):
            factor = factor * (1 << 64) % prime
            rows = reaching[column]
            # (c mod p) * factor < 2**62, and adding a residue below 2**31 still fits
            residue[rows] = (residue[rows] + chunks[rows, column] % modulus * np.uint64(factor)) % modulus
        residues.append(residue.astype(np.int64))
    short = lengths > 0
    keys[short] = (residues[0] * _P2 + residues[1])[short]
    return keys


def word_keys(words: Sequence[str]) -> np.ndarray:
    """:func:`word_key` of many words at once (int64)."""
    if not words:
        return np.zeros(0, dtype=np.int64)
    return _line_keys("\n".join(words).encode("utf-8"))


_SORTED_SEARCH_FROM = 256
"""``rows_of_keys`` sorts the keys first from this many on."""


class Vocabulary(Protocol):
    """Canonical word form -> row index (a dict or a :class:`HashedVocabulary`)."""

    def get(self, word: str, default: None = None, /) -> int | None: ...

    def __len__(self) -> int: ...


@dataclass(frozen=True, slots=True, eq=False)
class HashedVocabulary:
    """A string-free vocabulary: sorted word keys (:func:`word_key`) and their rows.

    Attributes:
        keys: ``(n_words,)`` int64, sorted ascending, unique.
        row_ids: ``(n_words,)`` int32, the row of each key.
    """

    keys: np.ndarray
    row_ids: np.ndarray

    def __post_init__(self) -> None:
        if self.keys.ndim != 1 or self.keys.shape != self.row_ids.shape:
            raise ValueError("vocabulary keys and row ids must be 1-d arrays of one length")
        if self.keys.dtype != np.int64:
            raise ValueError(f"vocabulary keys must be int64, not {self.keys.dtype}")

    @classmethod
    def from_words(cls, words: Iterable[str], row_ids: Iterable[int] | np.ndarray) -> HashedVocabulary:
        """Hash ``words`` (canonical forms) and sort; a repeated key keeps its first row."""
        keys = np.array([word_key(word) for word in words], dtype=np.int64)
        rows = np.asarray(row_ids if isinstance(row_ids, np.ndarray) else list(row_ids), dtype=np.int32)
        if rows.shape != keys.shape:
            raise ValueError("one row id per word is needed")
        keys, first = np.unique(keys, return_index=True)
        return cls(keys, rows[first])

    @classmethod
    def from_mapping(cls, vocabulary: Mapping[str, int]) -> HashedVocabulary:
        return cls.from_words(vocabulary.keys(), vocabulary.values())

    def get(self, word: str, default: None = None, /) -> int | None:
        """The row of ``word`` (a canonical form), or ``default`` when not listed."""
        row = self.row_of_key(word_key(word))
        return default if row < 0 else row

    def row_of_key(self, key: int) -> int:
        """The row of one word key, ``-1`` when not listed."""
        keys = self.keys
        position = keys.searchsorted(key)
        if position < keys.size and keys.item(position) == key:
            return int(self.row_ids.item(position))
        return -1

    def rows_of_keys(self, keys: Sequence[int] | np.ndarray) -> np.ndarray:
        """Rows of many word keys at once (int64, ``-1`` where a key is not listed).

        Many keys are searched in sorted order: successive searches then walk nearby
        parts of the key array, which is about twice as fast as searching at random.
        """
        wanted = np.asarray(keys, dtype=np.int64)
        if self.keys.size == 0:
            return np.full(wanted.shape, -1, dtype=np.int64)
        if wanted.size > _SORTED_SEARCH_FROM:
            order = np.argsort(wanted)
            position = np.empty(wanted.shape, dtype=np.intp)
            position[order] = self.keys.searchsorted(wanted[order])
        else:
            position = self.keys.searchsorted(wanted)
        np.minimum(position, self.keys.size - 1, out=position)
        found = self.keys[position] == wanted
        return np.where(found, self.row_ids[position], -1)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.get(word) is not None

    def __len__(self) -> int:
        return int(self.keys.size)

    @property
    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.row_ids.nbytes)


def quantize_zipf(values: np.ndarray) -> np.ndarray:
    """Float Zipf values (``NaN`` = not listed) as the uint8 row encoding."""
    values = np.asarray(values, dtype=np.float64)
    steps = np.clip(np.rint(np.nan_to_num(values, nan=0.0) * ZIPF_STEP), 1, 255)
    return np.where(np.isnan(values), 0, steps).astype(np.uint8)


@dataclass(frozen=True, slots=True, eq=False)
class WordfreqLexicon:
    """Zipf profiles of words over :attr:`languages` (see the module docstring).

    Attributes:
        languages: the column order of :attr:`rows`.
        vocabulary: canonical word form -> row index.
        rows: ``(n_rows, n_languages)`` uint8 Zipf × :data:`ZIPF_STEP`, ``0`` where
            unlisted (float rows with ``NaN`` for unlisted are converted on construction).
        list_floor_zipf: the lowest Zipf value each language's list holds.
        min_zipf: words rarer than this in every language were left out.
    """

    languages: tuple[LanguageCode, ...]
    vocabulary: Vocabulary
    rows: np.ndarray
    list_floor_zipf: np.ndarray
    min_zipf: float

    def __post_init__(self) -> None:
        rows = np.asarray(self.rows)
        if rows.dtype != np.uint8:
            rows = quantize_zipf(rows)
        if rows.ndim != 2 or rows.shape[1] != len(self.languages):
            raise ValueError(f"lexicon rows must be (n_rows, {len(self.languages)}), not {rows.shape}")
        if len(self.list_floor_zipf) != len(self.languages):
            raise ValueError("lexicon list floors must have one value per language")
        object.__setattr__(self, "rows", rows)

    @property
    def nbytes(self) -> int:
        """Array memory of the lexicon (a dict vocabulary is not counted)."""
        vocabulary = getattr(self.vocabulary, "nbytes", 0)
        return int(self.rows.nbytes + self.list_floor_zipf.nbytes + vocabulary)

    def row_of(self, word: str) -> int | None:
        """Row index of ``word`` (canonicalized here), or ``None`` when not listed."""
        return self.vocabulary.get(canonical_word(word))

    def zipf(self, word: str, language: LanguageCode) -> float | None:
        """Zipf value of ``word`` in ``language``; ``None`` when that list lacks it."""
        row = self.row_of(word)
        if row is None or language not in self.languages:
            return None
        value = int(self.rows[row, self.languages.index(language)])
        return None if value == 0 else value / ZIPF_STEP


_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}ー"
# A whole line of letters and marks without Chinese/Japanese characters, or one such
# character alone: the only entries the tokenizer can produce.
_ENTRY_PATTERN = rf"^(?:[[\p{{L}}\p{{M}}]--[{_CJK}]]+|[{_CJK}])$"


def build_wordfreq_lexicon(
    languages: Sequence[LanguageCode], *, min_zipf: float = DEFAULT_MIN_ZIPF
) -> WordfreqLexicon:
    """Build a :class:`WordfreqLexicon` for ``languages`` from wordfreq's "best" lists.

    Raises :class:`ConfigError` for a language wordfreq has no list for.
    """
    if not languages:
        raise ConfigError("the wordfreq lexicon needs at least one language")
    if not 0.0 <= min_zipf <= 8.0:
        raise ConfigError(f"lexicon min_zipf = {min_zipf!r} is out of range: allowed 0 to 8")
    wordfreq = _import_wordfreq()
    paths = wordfreq.available_languages("best")
    missing = [code for code in languages if code not in paths]
    if missing:
        raise ConfigError(
            f"wordfreq has no frequency list for {', '.join(missing)}: "
            f"choose among {', '.join(wordfreq_languages())}"
        )
    import regex

    entries = regex.compile(_ENTRY_PATTERN, regex.MULTILINE | regex.V1)
    # Bucket i of a cBpack holds the words of frequency 10 ** (-i / 100), Zipf 9 - i / 100.
    last_bucket = math.floor(round(900 - min_zipf * 100, 6))
    keys: list[np.ndarray] = []
    values: list[np.ndarray] = []
    floors: list[float] = []
    for code in languages:
        buckets = wordfreq.read_cBpack(paths[code])
        last = max((i for i, bucket in enumerate(buckets) if bucket), default=None)
        floor = round(9.0 - last / 100, 1) if last is not None else 0.0
        floors.append(max(floor, round(min_zipf, 1)))
        texts: list[str] = []
        counts: list[int] = []
        steps: list[int] = []
        traditional = _traditional_forms() if code == "zh" else {}
        for index, bucket in enumerate(buckets[: last_bucket + 1]):
            found = entries.findall("\n".join(bucket)) if bucket else None
            if found and traditional:
                # wordfreq's Chinese list is simplified: each traditional form of a
                # listed character is listed with it, at its frequency.
                found.extend(form for entry in found for form in traditional.get(entry, ()))
            if found:
                texts.append("\n".join(found))
                counts.append(len(found))
                # Zipf x 10, from wordfreq's frequency value as the fitted weights saw it.
                steps.append(round((math.log10(10.0 ** (-index / 100)) + 9.0) * ZIPF_STEP))
        if texts:
            keys.append(_line_keys(canonical_text("\n".join(texts)).encode("utf-8")))
            values.append(np.repeat(np.array(steps, dtype=np.uint8), counts))
        else:
            keys.append(np.zeros(0, dtype=np.int64))
            values.append(np.zeros(0, dtype=np.uint8))
    word_keys, word_of_entry = np.unique(np.concatenate(keys), return_inverse=True)
    word_of_entry = word_of_entry.reshape(-1)
    quantized = np.zeros((word_keys.size, len(languages)), dtype=np.uint8)
    first = 0
    for column, column_values in enumerate(values):
        ids = word_of_entry[first : first + column_values.size]
        first += column_values.size
        # Two spellings folding to one form keep the higher frequency.
        np.maximum.at(quantized[:, column], ids, column_values)
    profiles = quantized.view(np.dtype((np.void, len(languages)))).ravel()
    unique, row_ids = np.unique(profiles, return_inverse=True)
    rows = unique.view(np.uint8).reshape(-1, len(languages)).copy()
    vocabulary = HashedVocabulary(word_keys, row_ids.reshape(-1).astype(np.int32))
    return WordfreqLexicon(
        languages=tuple(languages),
        vocabulary=vocabulary,
        rows=rows,
        list_floor_zipf=np.array(floors, dtype=np.float32),
        min_zipf=float(min_zipf),
    )
