"""The phrasebook: common support phrases in many languages, loaded from TOML.

The bundled book is ``langassist/data/phrasebook.toml`` (70 phrases in en, es, de, fr,
pl, pt, it, nl, tr, zh); its header describes the layout. A user file in the same layout
is merged over it: a phrase with an existing ``id`` replaces the bundled one, and a
top-level ``remove = ["id", ...]`` drops phrases. Every phrase must carry every language
its file lists, so a lookup in a supported language never comes back empty.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langassist.datafiles import bundled_text, read_user_file
from langassist.errors import ConfigError
from langassist.events import LanguageCode, normalize_language

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = ["DEFAULT_PHRASEBOOK", "Phrase", "Phrasebook", "load_phrasebook", "parse_phrasebook"]

DEFAULT_PHRASEBOOK = "phrasebook.toml"
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$")
_MAX_PHRASE_CHARS = 500


@dataclass(frozen=True, slots=True)
class Phrase:
    """One phrase with its text per language.

    Attributes:
        id: stable identifier, ``"<category>.<name>"``.
        category: what it is for (``greeting``, ``hold``, ``confirm`` ...).
        texts: ``(language, text)`` pairs, in the book's language order.
    """

    id: str
    category: str
    texts: tuple[tuple[LanguageCode, str], ...]

    @property
    def languages(self) -> tuple[LanguageCode, ...]:
        return tuple(code for code, _ in self.texts)

    def text(self, language: str | None) -> str | None:
        """The phrase in ``language`` (any form ``normalize_language`` accepts), or ``None``."""
        code = normalize_language(language)
        for candidate, text in self.texts:
            if candidate == code:
                return text
        return None


@dataclass(frozen=True, slots=True)
class Phrasebook:
    """An immutable, ordered set of phrases."""

    phrases: tuple[Phrase, ...] = ()
    languages: tuple[LanguageCode, ...] = ()
    sources: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.phrases)

    def __iter__(self) -> Iterator[Phrase]:
        return iter(self.phrases)

    def get(self, phrase_id: str) -> Phrase | None:
        for phrase in self.phrases:
            if phrase.id == phrase_id:
                return phrase
        return None

    def categories(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for phrase in self.phrases:
            seen.setdefault(phrase.category, None)
        return tuple(seen)

    def in_category(self, category: str) -> tuple[Phrase, ...]:
        return tuple(phrase for phrase in self.phrases if phrase.category == category)

    def supports(self, language: str | None) -> bool:
        code = normalize_language(language)
        return code is not None and code in self.languages

    def merged(self, other: Phrasebook, remove: tuple[str, ...] = ()) -> Phrasebook:
        """``other``'s phrases replace ours with the same id; ``remove`` drops ids.

        The merged book supports the languages both books have.
        """
        by_id = {phrase.id: phrase for phrase in self.phrases}
        for phrase in other.phrases:
            by_id[phrase.id] = phrase
        for phrase_id in remove:
            by_id.pop(phrase_id, None)
        languages = tuple(code for code in self.languages if code in other.languages) if (
            other.phrases
        ) else self.languages
        return Phrasebook(tuple(by_id.values()), languages, self.sources + other.sources)

    def fingerprint(self) -> str:
        """SHA-256 of the phrases, for caching embeddings and recording in outputs."""
        payload = [[phrase.id, phrase.category, list(phrase.texts)] for phrase in self.phrases]
        blob = json.dumps([list(self.languages), payload], ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()


def parse_phrasebook(text: str, *, source: str = "<string>") -> Phrasebook:
    """Build a phrasebook from TOML text in the bundled layout.

    Raises:
        ConfigError: invalid TOML, an unknown key, a bad id, a duplicate id, or a phrase
            missing one of the file's languages.
    """
    book, _ = _parse(text, source)
    return book


def _parse(text: str, source: str) -> tuple[Phrasebook, tuple[str, ...]]:
    try:
        document: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"phrasebook {source} is not valid TOML: {exc}") from exc
    unknown = sorted(set(document) - {"version", "languages", "review", "phrases", "remove"})
    if unknown:
        raise ConfigError(
            f"phrasebook {source}: unknown key(s) {', '.join(unknown)}; "
            "use version, languages, review, [[phrases]], remove"
        )
    raw_languages = document.get("languages")
    if not isinstance(raw_languages, list) or not raw_languages:
        raise ConfigError(f'phrasebook {source}: give languages = ["en", "es", ...]')
    languages: list[str] = []
    for item in raw_languages:
        code = normalize_language(item) if isinstance(item, str) else None
        if code is None or code in languages:
            raise ConfigError(f"phrasebook {source}: {item!r} in languages is not a new language code")
        languages.append(code)
    remove = document.get("remove", [])
    if not isinstance(remove, list) or not all(isinstance(item, str) for item in remove):
        raise ConfigError(f"phrasebook {source}: remove must be a list of phrase ids")
    raw_phrases = document.get("phrases", [])
    if not isinstance(raw_phrases, list):
        raise ConfigError(f"phrasebook {source}: phrases must be [[phrases]] tables")
    phrases: list[Phrase] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_phrases):
        phrase = _phrase(raw, index, languages, source)
        if phrase.id in seen:
            raise ConfigError(f"phrasebook {source}: phrase id {phrase.id!r} appears twice")
        seen.add(phrase.id)
        phrases.append(phrase)
    return Phrasebook(tuple(phrases), tuple(languages), (source,)), tuple(remove)


def _phrase(raw: Any, index: int, languages: list[str], source: str) -> Phrase:
    where = f"phrasebook {source}: phrase #{index + 1}"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} must be a table")
    phrase_id = raw.get("id")
    if not isinstance(phrase_id, str) or not _ID_RE.match(phrase_id):
        raise ConfigError(f'{where}: id must look like "category.name", got {phrase_id!r}')
    where = f"phrasebook {source}: phrase {phrase_id!r}"
    category = raw.get("category")
    if not isinstance(category, str) or not category:
        raise ConfigError(f"{where}: give a category")
    if phrase_id.split(".", 1)[0] != category:
        raise ConfigError(f"{where}: the id must start with its category {category!r}")
    extra = sorted(set(raw) - {"id", "category", *languages})
    if extra:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(extra)} (languages of this file: "
            f"{', '.join(languages)})"
        )
    texts: list[tuple[str, str]] = []
    for code in languages:
        value = raw.get(code)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: missing the {code!r} text")
        if len(value) > _MAX_PHRASE_CHARS:
            raise ConfigError(f"{where}: the {code!r} text is longer than {_MAX_PHRASE_CHARS} characters")
        texts.append((code, value.strip()))
    return Phrase(phrase_id, category, tuple(texts))


def load_phrasebook(path: str | Path | None = None, *, include_default: bool = True) -> Phrasebook:
    """The bundled phrasebook, merged with the user file at ``path`` if given.

    Raises:
        ConfigError: the file is missing or malformed.
    """
    book = Phrasebook()
    if include_default:
        book = parse_phrasebook(bundled_text(DEFAULT_PHRASEBOOK), source=DEFAULT_PHRASEBOOK)
    if path is None:
        return book
    user_path, text = read_user_file(
        path, label=f"phrasebook {str(path)!r}", noun="phrasebook", layout=DEFAULT_PHRASEBOOK
    )
    user, remove = _parse(text, str(user_path))
    if not include_default:
        return user.merged(Phrasebook(), remove) if remove else user
    return book.merged(user, remove)
