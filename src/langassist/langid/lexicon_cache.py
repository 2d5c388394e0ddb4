"""Disk cache for a built :class:`~langassist.langid.lexicon.WordfreqLexicon`.

Building the 22-language lexicon reads every wordfreq list (seconds), so the process
owner keeps it as one uncompressed ``.npz`` file in the model cache folder (arrays only:
word keys, row ids, uint8 rows; tens of MB, loaded in well under a second), keyed by the
languages, ``min_zipf``, the wordfreq version and :data:`FORMAT_VERSION`. The file is
derived data (nothing is downloaded); a damaged or unreadable one is rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from langassist.events import LanguageCode
from langassist.langid.lexicon import (
    DEFAULT_MIN_ZIPF,
    HashedVocabulary,
    WordfreqLexicon,
    build_wordfreq_lexicon,
)

__all__ = ["FORMAT_VERSION", "cache_path", "cached_wordfreq_lexicon", "load_lexicon", "save_lexicon"]

FORMAT_VERSION = 4
"""Bumped whenever the file layout or the build's semantics change."""

_READ_ERRORS = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile)
logger = logging.getLogger(__name__)


def save_lexicon(lexicon: WordfreqLexicon, path: Path) -> None:
    """Write ``lexicon`` to ``path`` atomically (temp file in the same folder, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    vocabulary = lexicon.vocabulary
    if not isinstance(vocabulary, HashedVocabulary):
        if not isinstance(vocabulary, Mapping):
            raise TypeError(f"cannot save a vocabulary of type {type(vocabulary).__name__}")
        vocabulary = HashedVocabulary.from_mapping(vocabulary)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npz")
    os.close(handle)
    try:
        np.savez(
            temporary,
            format_version=np.array(FORMAT_VERSION),
            languages=np.array(lexicon.languages),
            keys=vocabulary.keys,
            row_ids=vocabulary.row_ids,
            rows=lexicon.rows,
            floors=lexicon.list_floor_zipf,
            min_zipf=np.array(lexicon.min_zipf),
        )
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def load_lexicon(path: Path) -> WordfreqLexicon:
    """Read a lexicon written by :func:`save_lexicon`; ``ValueError`` when inconsistent."""
    with open(path, "rb") as handle:
        data = np.load(handle, allow_pickle=False)
        if not isinstance(data, Mapping):
            raise ValueError(f"{path} is not a lexicon cache file")
        if int(data["format_version"]) != FORMAT_VERSION:
            raise ValueError(f"lexicon cache format {int(data['format_version'])} != {FORMAT_VERSION}")
        keys = data["keys"]
        row_ids = data["row_ids"]
        rows = data["rows"]
        languages = tuple(str(code) for code in data["languages"])
        floors = data["floors"]
        min_zipf = float(data["min_zipf"])
    if rows.dtype != np.uint8 or row_ids.dtype != np.int32:
        raise ValueError("lexicon cache arrays have unexpected types")
    if row_ids.size and (int(row_ids.min()) < 0 or int(row_ids.max()) >= rows.shape[0]):
        raise ValueError("lexicon cache row ids point outside the rows")
    if keys.size > 1 and not bool((keys[1:] > keys[:-1]).all()):
        raise ValueError("lexicon cache keys are not sorted")
    return WordfreqLexicon(
        languages=languages,
        vocabulary=HashedVocabulary(keys, row_ids),
        rows=rows,
        list_floor_zipf=floors,
        min_zipf=min_zipf,
    )


def _wordfreq_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("wordfreq")
    except metadata.PackageNotFoundError:  # pragma: no cover - wordfreq is a core dependency
        return "unknown"


def cache_path(
    languages: Sequence[LanguageCode], cache_dir: str | Path, *, min_zipf: float = DEFAULT_MIN_ZIPF
) -> Path:
    """Where :func:`cached_wordfreq_lexicon` keeps the lexicon for these settings."""
    text = f"{','.join(languages)}|{float(min_zipf)}|{_wordfreq_version()}|{FORMAT_VERSION}"
    key = hashlib.sha256(text.encode()).hexdigest()[:16]
    return Path(cache_dir) / "langid" / f"wordfreq-lexicon-{key}.npz"


def cached_wordfreq_lexicon(
    languages: Sequence[LanguageCode], cache_dir: str | Path, *, min_zipf: float = DEFAULT_MIN_ZIPF
) -> WordfreqLexicon:
    """The lexicon for ``languages`` from ``cache_dir``, building and caching it if absent."""
    path = cache_path(languages, cache_dir, min_zipf=min_zipf)
    if path.is_file():
        try:
            lexicon = load_lexicon(path)
            if lexicon.languages == tuple(languages):
                return lexicon
        except _READ_ERRORS:
            pass
        try:
            path.unlink(missing_ok=True)  # a damaged or foreign cache file is rebuilt
        except OSError:
            pass
    logger.info("building the wordfreq lexicon for %d languages once (about 10-20 s); cached at %s",
                len(languages), path)
    started = time.perf_counter()
    lexicon = build_wordfreq_lexicon(languages, min_zipf=min_zipf)
    logger.info("wordfreq lexicon built in %.1f s: %d words, %.1f MB",
                time.perf_counter() - started, len(lexicon.vocabulary), lexicon.nbytes / 1e6)
    try:
        save_lexicon(lexicon, path)
    except OSError:
        logger.warning("could not write the lexicon cache %s: it is rebuilt next time", path)
    return lexicon
