"""Plain-word replacements (``langassist/data/plain-words.toml``), loaded and matched.

Each entry maps one exact formal form to a plain one (``"purchased" = "bought"``), so
a replacement never needs grammar. Matching is case-insensitive on word boundaries,
longest phrase first, and skips words that look like names (capitalized in the middle
of a sentence) or acronyms (all capitals).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from langassist.errors import ConfigError

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = ["DEFAULT_PLAIN_WORDS", "PlainWordHit", "PlainWords", "load_plain_words"]

DEFAULT_PLAIN_WORDS = "plain-words.toml"


@dataclass(frozen=True, slots=True)
class PlainWordHit:
    """``text[start:end]`` can be said as ``plain``."""

    start: int
    end: int
    matched: str
    plain: str


@dataclass(frozen=True, slots=True)
class PlainWords:
    """An immutable formal -> plain table with a compiled matcher."""

    entries: Mapping[str, str] = field(default_factory=dict)
    language: str = "en"
    _pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.entries:
            alternatives = "|".join(
                re.escape(term) for term in sorted(self.entries, key=lambda t: (-len(t), t))
            )
            pattern = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)
            object.__setattr__(self, "_pattern", pattern)

    def __len__(self) -> int:
        return len(self.entries)

    def find(self, text: str) -> list[PlainWordHit]:
        """Replaceable words and phrases in ``text``, left to right, not overlapping."""
        if self._pattern is None:
            return []
        hits: list[PlainWordHit] = []
        for match in self._pattern.finditer(text):
            matched = match.group()
            if _looks_like_name(text, match.start(), matched):
                continue
            plain = self.entries[matched.lower()]
            hits.append(PlainWordHit(match.start(), match.end(), matched, plain))
        return hits


def _looks_like_name(text: str, start: int, matched: str) -> bool:
    if matched.isupper() and len(matched) > 1:
        return True
    if not matched[:1].isupper():
        return False
    before = text[:start].rstrip()
    sentence_start = not before or before[-1] in ".!?:;\"'(\n"
    return not sentence_start


def load_plain_words(path: str | Path | None = None, *, include_default: bool = True) -> PlainWords:
    """The default list, merged with the user list at ``path`` if given.

    Raises:
        ConfigError: the file is missing, not valid TOML, or malformed.
    """
    entries: dict[str, str] = {}
    if include_default:
        default = resources.files("langassist").joinpath("data", DEFAULT_PLAIN_WORDS)
        entries.update(_parse(default.read_text(encoding="utf-8"), DEFAULT_PLAIN_WORDS)[0])
    if path is not None:
        user_path = Path(path).expanduser()
        if not user_path.is_file():
            raise ConfigError(
                f"suggestions.plain_words_path = {str(path)!r}: no such file; give a TOML "
                f"file in the layout of langassist/data/{DEFAULT_PLAIN_WORDS}"
            )
        user, remove = _parse(user_path.read_text(encoding="utf-8"), str(user_path))
        entries.update(user)
        for term in remove:
            entries.pop(term.lower(), None)
    return PlainWords(entries)


def _parse(text: str, source: str) -> tuple[dict[str, str], list[str]]:
    try:
        document: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"plain-word list {source} is not valid TOML: {exc}") from exc
    unknown = sorted(set(document) - {"version", "language", "words", "remove"})
    if unknown:
        raise ConfigError(f"plain-word list {source}: unknown key(s) {', '.join(unknown)}")
    words = document.get("words", {})
    remove = document.get("remove", [])
    if not isinstance(words, dict) or not isinstance(remove, list):
        raise ConfigError(f"plain-word list {source}: [words] must be a table and remove a list")
    entries: dict[str, str] = {}
    for term, plain in words.items():
        if not isinstance(plain, str) or not plain.strip() or not term.strip():
            raise ConfigError(f"plain-word list {source}: {term!r} needs a non-empty plain form")
        entries[term.strip().lower()] = plain.strip()
    return entries, [str(item) for item in remove]
