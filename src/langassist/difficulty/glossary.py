"""Domain glossary: jargon terms, acronyms and idioms, each with a plain explanation.

The default glossary ships as ``langassist/data/glossary-telecom-it.toml`` (telecom and
internet service, IT support, banking and payments, e-commerce). A user glossary in the
same layout, named by ``AssessmentSettings.glossary_path``, is merged over it: an entry
with the same term replaces the default one, and a top-level ``remove = [...]`` list
drops entries. The file format is described at the top of the default file.

Matching rules:

* terms and idioms match case-insensitively on word boundaries; a term may take a
  plural ``-s``/``-es``, and the first word of an idiom may be inflected
  (``touching base``, ``circled back``);
* acronyms match as written (``DHCP``, ``VoIP``), with an optional plural ``-s``;
* terms and idioms apply only to text in the glossary's ``language``; acronyms apply in
  every language;
* overlapping matches keep the longest one.

The suggestions feature reuses :meth:`Glossary.find` to rewrite jargon in plain words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from langassist.datafiles import bundled_text, read_user_file
from langassist.errors import ConfigError

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = [
    "DEFAULT_GLOSSARY",
    "Glossary",
    "GlossaryEntry",
    "GlossaryHit",
    "GlossaryKind",
    "dump_glossary",
    "load_glossary",
    "parse_glossary",
]

GlossaryKind = Literal["term", "acronym", "idiom"]

DEFAULT_GLOSSARY = "glossary-telecom-it.toml"
"""File name of the default glossary inside ``langassist/data``."""

_SECTIONS: dict[str, GlossaryKind] = {"terms": "term", "acronyms": "acronym", "idioms": "idiom"}
_MAX_TERM_CHARS = 80


@dataclass(frozen=True, slots=True)
class GlossaryEntry:
    """One glossary entry.

    Attributes:
        term: the jargon as written in the glossary (``"firmware"``, ``"DHCP"``).
        kind: ``"term"``, ``"acronym"`` or ``"idiom"``.
        plain: a plain way to say it (may be empty for an acronym with an expansion).
        expansion: what an acronym stands for; ``None`` for terms and idioms.
        language: language of a term or idiom; ``None`` means any language.
    """

    term: str
    kind: GlossaryKind
    plain: str
    expansion: str | None = None
    language: str | None = None

    @property
    def key(self) -> str:
        """Identity used when merging: acronyms as written, other kinds lower-cased."""
        return self.term if self.kind == "acronym" else self.term.lower()

    @property
    def explanation(self) -> str:
        """The plain explanation, falling back to the expansion of an acronym."""
        return self.plain or self.expansion or ""


@dataclass(frozen=True, slots=True)
class GlossaryHit:
    """A glossary entry found in a text at ``text[start:end]``."""

    term: str
    start: int
    end: int
    plain: str
    kind: GlossaryKind
    expansion: str | None = None
    matched: str = ""


@dataclass(frozen=True, slots=True)
class _Matcher:
    """One compiled alternation; each entry is a named group ``e<index>``."""

    pattern: re.Pattern[str]
    groups: dict[str, GlossaryEntry]


@dataclass(frozen=True, slots=True)
class Glossary:
    """An immutable set of entries with a compiled matcher.

    Build it with :func:`load_glossary` or :func:`parse_glossary`; derive edited copies
    with :meth:`merged`, :meth:`with_entries` and :meth:`without`.
    """

    entries: tuple[GlossaryEntry, ...] = ()
    sources: tuple[str, ...] = ()
    _matchers: tuple[_Matcher, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_matchers", _build_matchers(self.entries))

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.get(term) is not None

    def get(self, term: str) -> GlossaryEntry | None:
        """The entry for ``term`` (acronyms as written, other kinds in any case)."""
        for entry in self.entries:
            if entry.term == term or (entry.kind != "acronym" and entry.key == term.lower()):
                return entry
        return None

    def find(self, text: str, language: str | None = None) -> list[GlossaryHit]:
        """Entries found in ``text``, in order, without overlaps (longest match wins).

        Args:
            text: the utterance.
            language: its language; when given, terms and idioms of another language are
                skipped. Acronyms match whatever the language.
        """
        if not text:
            return []
        candidates: list[GlossaryHit] = []
        for matcher in self._matchers:
            for match in matcher.pattern.finditer(text):
                entry = matcher.groups.get(match.lastgroup or "")
                if entry is None:  # pragma: no cover - every alternative is a named group
                    continue
                if language is not None and entry.language not in (None, language):
                    continue
                candidates.append(
                    GlossaryHit(
                        term=entry.term,
                        start=match.start(),
                        end=match.end(),
                        plain=entry.explanation,
                        kind=entry.kind,
                        expansion=entry.expansion,
                        matched=match.group(),
                    )
                )
        candidates.sort(key=lambda hit: (hit.start, -(hit.end - hit.start)))
        hits: list[GlossaryHit] = []
        last_end = -1
        for hit in candidates:
            if hit.start >= last_end:
                hits.append(hit)
                last_end = hit.end
        return hits

    def merged(self, other: Glossary) -> Glossary:
        """A glossary with ``other``'s entries replacing ours where the terms agree."""
        return self.with_entries(other.entries, sources=other.sources)

    def with_entries(
        self, entries: Iterable[GlossaryEntry], *, sources: Sequence[str] = ()
    ) -> Glossary:
        """A copy with ``entries`` added (replacing entries with the same term)."""
        by_key = {(entry.kind == "acronym", entry.key): entry for entry in self.entries}
        for entry in entries:
            _check_entry(entry)
            by_key[(entry.kind == "acronym", entry.key)] = entry
        return Glossary(tuple(by_key.values()), self.sources + tuple(sources))

    def without(self, terms: Iterable[str]) -> Glossary:
        """A copy without the entries for ``terms`` (acronyms as written, others any case)."""
        drop = set(terms)
        drop_lower = {term.lower() for term in drop}
        kept = tuple(
            entry
            for entry in self.entries
            if not (entry.term in drop or (entry.kind != "acronym" and entry.key in drop_lower))
        )
        return Glossary(kept, self.sources)


def load_glossary(path: str | Path | None = None, *, include_default: bool = True) -> Glossary:
    """Load the default glossary, merged with the user glossary at ``path`` if given.

    Args:
        path: a user glossary TOML file (``AssessmentSettings.glossary_path``).
        include_default: start from the bundled default glossary (set ``False`` to use
            only the user file).

    Raises:
        ConfigError: the file is missing, not valid TOML, or has a malformed entry.
    """
    glossary = Glossary()
    if include_default:
        glossary = parse_glossary(bundled_text(DEFAULT_GLOSSARY), source=DEFAULT_GLOSSARY)
    if path is None:
        return glossary
    user_path, text = read_user_file(
        path, label=f"assessment.glossary_path = {str(path)!r}", noun="glossary",
        layout=DEFAULT_GLOSSARY,
    )
    document = _parse_document(text, str(user_path))
    user = _entries_from_document(document, str(user_path))
    merged = glossary.with_entries(user, sources=(str(user_path),))
    return merged.without(_remove_list(document, str(user_path)))


def parse_glossary(text: str, *, source: str = "<string>") -> Glossary:
    """Build a glossary from TOML text (no default merged in)."""
    document = _parse_document(text, source)
    entries = _entries_from_document(document, source)
    return Glossary((), (source,)).with_entries(entries).without(_remove_list(document, source))


def dump_glossary(glossary: Glossary, *, language: str | None = "en") -> str:
    """TOML text for ``glossary`` in the file layout :func:`load_glossary` reads.

    Entries whose language differs from ``language`` are written with it anyway; the
    file layout has one language per file.
    """
    lines = ["version = 1"]
    if language is not None:
        lines.append(f"language = {_quote(language)}")
    for section, kind in _SECTIONS.items():
        chosen = [entry for entry in glossary.entries if entry.kind == kind]
        if not chosen:
            continue
        lines.extend(["", f"[{section}]"])
        for entry in sorted(chosen, key=lambda item: item.key):
            if kind == "acronym":
                parts = []
                if entry.expansion:
                    parts.append(f"expansion = {_quote(entry.expansion)}")
                if entry.plain:
                    parts.append(f"plain = {_quote(entry.plain)}")
                lines.append(f"{_quote(entry.term)} = {{ {', '.join(parts)} }}")
            else:
                lines.append(f"{_quote(entry.term)} = {_quote(entry.plain)}")
    return "\n".join(lines) + "\n"


# -- parsing ------------------------------------------------------------------------------


def _parse_document(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"glossary {source} is not valid TOML: {exc}") from exc


def _remove_list(document: Mapping[str, Any], source: str) -> list[str]:
    remove = document.get("remove", [])
    if not isinstance(remove, list) or not all(isinstance(item, str) for item in remove):
        raise ConfigError(f"glossary {source}: 'remove' must be a list of terms")
    return remove


def _entries_from_document(document: Mapping[str, Any], source: str) -> list[GlossaryEntry]:
    language = document.get("language", "en")
    if language is not None and not isinstance(language, str):
        raise ConfigError(f"glossary {source}: 'language' must be a language code like \"en\"")
    known = set(_SECTIONS) | {"version", "language", "remove"}
    unknown = sorted(set(document) - known)
    if unknown:
        raise ConfigError(
            f"glossary {source}: unknown key(s) {', '.join(unknown)}; "
            "use [terms], [acronyms], [idioms], language, remove"
        )
    entries: list[GlossaryEntry] = []
    for section, kind in _SECTIONS.items():
        table = document.get(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"glossary {source}: [{section}] must be a table")
        for term, value in table.items():
            entries.append(_entry(term, kind, value, language, source, section))
    return entries


def _entry(
    term: str, kind: GlossaryKind, value: Any, language: str | None, source: str, section: str
) -> GlossaryEntry:
    where = f"glossary {source}: [{section}] {term!r}"
    if kind == "acronym":
        if isinstance(value, str):
            return GlossaryEntry(term, kind, plain="", expansion=value or None)
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a string or {{ expansion = ..., plain = ... }}")
        extra = set(value) - {"expansion", "plain"}
        if extra:
            raise ConfigError(f"{where}: unknown field(s) {', '.join(sorted(extra))}")
        expansion = value.get("expansion")
        plain = value.get("plain", "")
        if not isinstance(plain, str) or (expansion is not None and not isinstance(expansion, str)):
            raise ConfigError(f"{where}: expansion and plain must be strings")
        entry = GlossaryEntry(term, kind, plain=plain, expansion=expansion or None)
    else:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string with the plain explanation")
        entry = GlossaryEntry(term, kind, plain=value, language=language)
    _check_entry(entry, where)
    return entry


def _check_entry(entry: GlossaryEntry, where: str | None = None) -> None:
    where = where or f"glossary entry {entry.term!r}"
    term = entry.term.strip()
    if not term or term != entry.term:
        raise ConfigError(f"{where}: the term must be non-empty without surrounding spaces")
    if len(term) > _MAX_TERM_CHARS:
        raise ConfigError(f"{where}: the term is longer than {_MAX_TERM_CHARS} characters")
    if not any(ch.isalnum() for ch in term):
        raise ConfigError(f"{where}: the term must contain a letter or digit")
    if not entry.explanation:
        raise ConfigError(f"{where}: give a plain explanation (or an expansion for an acronym)")


# -- matching -----------------------------------------------------------------------------


def _build_matchers(entries: Sequence[GlossaryEntry]) -> tuple[_Matcher, ...]:
    matchers: list[_Matcher] = []
    acronyms = sorted(
        (entry for entry in entries if entry.kind == "acronym"), key=lambda e: -len(e.term)
    )
    if acronyms:
        groups = {f"e{index}": entry for index, entry in enumerate(acronyms)}
        alternatives = "|".join(
            f"(?P<{name}>{re.escape(entry.term)})" for name, entry in groups.items()
        )
        pattern = re.compile(rf"(?<![\w&])(?:{alternatives})(?:s|'s)?(?![\w&])")
        matchers.append(_Matcher(pattern, groups))
    words = sorted(
        (entry for entry in entries if entry.kind != "acronym"), key=lambda e: -len(e.term)
    )
    if words:
        groups = {f"e{index}": entry for index, entry in enumerate(words)}
        alternatives = "|".join(
            f"(?P<{name}>{_word_pattern(entry)})" for name, entry in groups.items()
        )
        pattern = re.compile(rf"(?<![\w])(?:{alternatives})(?![\w])", re.IGNORECASE)
        matchers.append(_Matcher(pattern, groups))
    return tuple(matchers)


def _word_pattern(entry: GlossaryEntry) -> str:
    """Regex for a term (plural allowed) or an idiom (first word inflected)."""
    parts = entry.term.lower().split()
    escaped = [_flexible(re.escape(part)) for part in parts]
    if entry.kind == "term":
        escaped[-1] += "(?:s|es)?"
    else:
        escaped[0] = "(?:" + "|".join(re.escape(form) for form in _inflections(parts[0])) + ")"
    return r"[\s-]+".join(escaped)


def _inflections(verb: str) -> list[str]:
    """Simple English verb forms of ``verb``, longest first (``touch`` -> ``touching`` ...)."""
    stem = verb[:-1] if verb.endswith("e") and len(verb) > 2 else verb
    doubled = verb + verb[-1] if re.search(r"(?:^|[^aeiou])[aeiou][bdgmnpt]$", verb) else verb
    forms = {verb, verb + "s", verb + "es", stem + "ed", stem + "ing", doubled + "ed", doubled + "ing"}
    return sorted(forms, key=lambda form: (-len(form), form))


def _flexible(escaped: str) -> str:
    """Let a hyphen in a term also match a space or nothing (``self service``)."""
    return escaped.replace(r"\-", r"[-\s]?")


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
