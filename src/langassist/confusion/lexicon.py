"""Clarification-request lexicon: whole-phrase, accent-insensitive matching in 8 languages.

The phrases live in ``langassist/data/clarification-lexicon.toml`` (its header explains the
entry kinds). :func:`load_lexicon` reads and compiles them once; the returned
:class:`ClarificationLexicon` is immutable and cheap to share between calls.

Matching works on the words of :func:`~langassist.confusion.text.normalize_text`:

* ``phrases`` match anywhere as a run of whole words;
* ``initial`` entries match at the start, after fillers ("Uh, you mean the router?");
* ``standalone`` entries match when the utterance is nothing but such entries and
  fillers ("Uh, pardon?", "Sorry, what?"); ``standalone_question`` entries only when the
  utterance is punctuated as a question ("Sorry?" but not "Sorry.").

Backchannels ("uh-huh", "mm-hmm") are removed first so that their "huh" never counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langassist.confusion.text import ends_with_question, tokenize
from langassist.errors import ConfigError

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = [
    "DEFAULT_LEXICON_PATH",
    "ClarificationLexicon",
    "LexiconEntry",
    "LexiconMatch",
    "load_lexicon",
]

DEFAULT_LEXICON_PATH = Path(__file__).resolve().parent.parent / "data" / "clarification-lexicon.toml"

ENTRY_KINDS = ("phrases", "initial", "standalone", "standalone_question")
MAX_STANDALONE_TOKENS = 12
"""Longer utterances are never "nothing but" clarification words."""


@dataclass(frozen=True, slots=True)
class LexiconEntry:
    """One compiled entry.

    Attributes:
        language: ISO 639-1 code of the section it came from.
        kind: one of ``phrases``, ``initial``, ``standalone``, ``standalone_question``.
        text: the entry as written in the file.
        tokens: its normalized words.
        prefix_last: the last word matches any word starting with it (``"powtórz*"``).
    """

    language: str
    kind: str
    text: str
    tokens: tuple[str, ...]
    prefix_last: bool = False

    def matches_at(self, words: Sequence[str], start: int) -> bool:
        """Whether this entry's words occur in ``words`` starting at ``start``."""
        end = start + len(self.tokens)
        if end > len(words):
            return False
        for offset, token in enumerate(self.tokens):
            word = words[start + offset]
            if self.prefix_last and offset == len(self.tokens) - 1:
                if not word.startswith(token):
                    return False
            elif word != token:
                return False
        return True


@dataclass(frozen=True, slots=True)
class LexiconMatch:
    """Where a lexicon entry matched an utterance (word positions, end exclusive)."""

    entry: LexiconEntry
    start: int
    end: int

    @property
    def language(self) -> str:
        return self.entry.language

    @property
    def kind(self) -> str:
        return self.entry.kind

    @property
    def phrase(self) -> str:
        return self.entry.text


def _compile(text: str) -> tuple[tuple[str, ...], bool]:
    """Normalize one written entry into words, keeping a trailing ``*`` as a prefix flag."""
    raw = text.strip()
    prefix = raw.endswith("*")
    tokens = tokenize(raw.rstrip("*"))
    return tokens, prefix


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"clarification lexicon: {where} must be a list of strings")
    return list(value)


class ClarificationLexicon:
    """Compiled lexicon; build it with :func:`load_lexicon` or :meth:`from_mapping`."""

    def __init__(
        self,
        entries: Iterable[LexiconEntry],
        *,
        fillers: Iterable[tuple[str, ...]] = (),
        backchannels: Iterable[tuple[str, ...]] = (),
        question_words: Mapping[str, frozenset[str]] | None = None,
        pronoun_pairs: Mapping[str, tuple[tuple[str, str], ...]] | None = None,
        source: str = "",
    ) -> None:
        self.entries: tuple[LexiconEntry, ...] = tuple(entries)
        self.fillers: tuple[tuple[str, ...], ...] = tuple(f for f in fillers if f)
        self.backchannels: tuple[tuple[str, ...], ...] = tuple(
            sorted((b for b in backchannels if b), key=len, reverse=True)
        )
        self.question_words: dict[str, frozenset[str]] = dict(question_words or {})
        self.pronoun_pairs: dict[str, tuple[tuple[str, str], ...]] = dict(pronoun_pairs or {})
        self.source = source
        self.languages: tuple[str, ...] = tuple(dict.fromkeys(e.language for e in self.entries))
        self._by_kind: dict[str, tuple[LexiconEntry, ...]] = {
            kind: tuple(e for e in self.entries if e.kind == kind) for kind in ENTRY_KINDS
        }
        index: dict[str, list[LexiconEntry]] = {}
        for entry in self._by_kind["phrases"]:
            index.setdefault(entry.tokens[0], []).append(entry)
        self._phrase_index = {word: tuple(items) for word, items in index.items()}
        self._prefix_phrases = tuple(
            e for e in self._by_kind["phrases"] if e.prefix_last and len(e.tokens) == 1
        )
        self.all_question_words: frozenset[str] = frozenset().union(*self.question_words.values())
        swaps: dict[str, set[str]] = {}
        for pairs in self.pronoun_pairs.values():
            for first, second in pairs:
                swaps.setdefault(first, set()).add(second)
                swaps.setdefault(second, set()).add(first)
        self.pronoun_swaps: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in swaps.items()}
        self._filler_words = frozenset(f[0] for f in self.fillers if len(f) == 1)

    @classmethod
    def from_mapping(cls, document: Mapping[str, Any], *, source: str = "") -> ClarificationLexicon:
        """Compile a parsed lexicon document (the TOML layout)."""
        common = document.get("common", {})
        languages = document.get("languages")
        if not isinstance(languages, Mapping) or not languages:
            raise ConfigError(f"clarification lexicon {source or ''}: no [languages.*] sections")
        entries: list[LexiconEntry] = []
        question_words: dict[str, frozenset[str]] = {}
        pronoun_pairs: dict[str, tuple[tuple[str, str], ...]] = {}
        for language, section in languages.items():
            if not isinstance(section, Mapping):
                raise ConfigError(f"clarification lexicon: [languages.{language}] must be a table")
            for kind in ENTRY_KINDS:
                for text in _strings(section.get(kind, []), f"languages.{language}.{kind}"):
                    tokens, prefix = _compile(text)
                    if not tokens:
                        raise ConfigError(
                            f"clarification lexicon: entry {text!r} in languages.{language}.{kind} "
                            "has no words"
                        )
                    entries.append(LexiconEntry(language, kind, text, tokens, prefix))
            words = _strings(section.get("question_words", []), f"languages.{language}.question_words")
            question_words[language] = frozenset(w for text in words for w in tokenize(text))
            pairs: list[tuple[str, str]] = []
            for pair in section.get("pronoun_pairs", []):
                items = _strings(pair, f"languages.{language}.pronoun_pairs")
                if len(items) != 2:
                    raise ConfigError(
                        f"clarification lexicon: languages.{language}.pronoun_pairs holds pairs"
                    )
                first, second = (" ".join(tokenize(item)) for item in items)
                if " " not in first and " " not in second and first and second:
                    pairs.append((first, second))
            pronoun_pairs[language] = tuple(pairs)
        fillers = [tokenize(text) for text in _strings(common.get("fillers", []), "common.fillers")]
        backchannels = [
            tokenize(text) for text in _strings(common.get("backchannels", []), "common.backchannels")
        ]
        return cls(
            entries,
            fillers=fillers,
            backchannels=backchannels,
            question_words=question_words,
            pronoun_pairs=pronoun_pairs,
            source=source,
        )

    # ----------------------------------------------------------------------------------

    def content_words(self, text: str) -> tuple[str, ...]:
        """Words of ``text`` without backchannels and one-word fillers."""
        words = self._strip_backchannels(tokenize(text))
        return tuple(word for word in words if word not in self._filler_words)

    def _strip_backchannels(self, words: tuple[str, ...]) -> tuple[str, ...]:
        if not self.backchannels or not words:
            return words
        kept: list[str] = []
        position = 0
        while position < len(words):
            for backchannel in self.backchannels:
                if tuple(words[position : position + len(backchannel)]) == backchannel:
                    position += len(backchannel)
                    break
            else:
                kept.append(words[position])
                position += 1
        return tuple(kept)

    def _filler_lengths_at(self, words: Sequence[str], start: int) -> list[int]:
        return [
            len(filler)
            for filler in self.fillers
            if tuple(words[start : start + len(filler)]) == filler
        ]

    def _phrase_matches(self, words: tuple[str, ...]) -> list[LexiconMatch]:
        found: list[LexiconMatch] = []
        for start, word in enumerate(words):
            for entry in self._phrase_index.get(word, ()):
                if entry.matches_at(words, start):
                    found.append(LexiconMatch(entry, start, start + len(entry.tokens)))
            for entry in self._prefix_phrases:
                if word.startswith(entry.tokens[0]):
                    found.append(LexiconMatch(entry, start, start + 1))
        return found

    def _initial_matches(self, words: tuple[str, ...]) -> list[LexiconMatch]:
        starts = {0}
        frontier = [0]
        while frontier:  # every position reachable by skipping leading fillers
            position = frontier.pop()
            for length in self._filler_lengths_at(words, position):
                if position + length not in starts:
                    starts.add(position + length)
                    frontier.append(position + length)
        found: list[LexiconMatch] = []
        for start in sorted(starts):
            for entry in self._by_kind["initial"]:
                if entry.matches_at(words, start):
                    found.append(LexiconMatch(entry, start, start + len(entry.tokens)))
        return found

    def _standalone_match(self, words: tuple[str, ...], question: bool) -> LexiconMatch | None:
        """A segmentation of all ``words`` into fillers and stand-alone entries, if any."""
        if not words or len(words) > MAX_STANDALONE_TOKENS:
            return None
        candidates = self._by_kind["standalone"]
        if question:
            candidates = candidates + self._by_kind["standalone_question"]
        size = len(words)
        # reach_any[i]: words[i:] splits into fillers and entries; first[i]: the first
        # entry of such a split that holds at least one entry (entries win over fillers).
        reach_any = [False] * size + [True]
        first: list[LexiconMatch | None] = [None] * (size + 1)
        for start in range(size - 1, -1, -1):
            for entry in candidates:
                end = start + len(entry.tokens)
                if entry.matches_at(words, start) and reach_any[end]:
                    first[start] = LexiconMatch(entry, start, end)
                    break
            fillers = self._filler_lengths_at(words, start)
            if first[start] is None:
                for length in fillers:
                    if first[start + length] is not None:
                        first[start] = first[start + length]
                        break
            reach_any[start] = first[start] is not None or any(
                reach_any[start + length] for length in fillers
            )
        return first[0]

    def matches(self, text: str) -> list[LexiconMatch]:
        """Every match in ``text``: the stand-alone one first, then initial, then phrases."""
        words = self._strip_backchannels(tokenize(text))
        if not words:
            return []
        found: list[LexiconMatch] = []
        standalone = self._standalone_match(words, ends_with_question(text))
        if standalone is not None:
            found.append(standalone)
        found.extend(self._initial_matches(words))
        found.extend(self._phrase_matches(words))
        return found

    def match(self, text: str) -> LexiconMatch | None:
        """The most telling match in ``text`` (stand-alone, then initial, then phrase)."""
        found = self.matches(text)
        return found[0] if found else None

    def is_question_word(self, word: str) -> bool:
        return word in self.all_question_words


def load_lexicon(path: str | Path | None = None) -> ClarificationLexicon:
    """Read and compile the lexicon TOML (the bundled one when ``path`` is ``None``)."""
    target = Path(path) if path is not None else DEFAULT_LEXICON_PATH
    try:
        with target.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"clarification lexicon not found: {target}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"clarification lexicon {target} is not valid TOML: {exc}") from exc
    return ClarificationLexicon.from_mapping(document, source=str(target))
