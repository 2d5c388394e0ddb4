"""Text helpers shared by the language-ID ensemble: word tokens, canonical word forms.

A *word token* is a maximal run of letters and combining marks (``\\p{L}\\p{M}``), so
digits, punctuation, emoji and spaces separate words and never count as evidence. Runs
of Chinese or Japanese characters (Han, Hiragana, Katakana), which are written without
spaces, are split into single characters: a frequency list can say how likely each
character is in Chinese or in Japanese, while a whole unspaced sentence is never in a list.

:func:`canonical_word` maps a token to the form the frequency lexicon stores: case
folded, NFC, Turkish dotted capital I folded to ``i``, and Romanian/Turkish S and T with
a comma or cedilla below written one way (the lists disagree on which one they use).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

import regex

__all__ = [
    "WordToken",
    "canonical_text",
    "canonical_tokens",
    "canonical_word",
    "exclusive_script_language",
    "has_letters",
    "iter_word_tokens",
    "word_tokens",
]

_WORD_RE = regex.compile(r"[\p{L}\p{M}]+")
_ASCII_WORD_RE = re.compile(r"[a-z]+")  # on lower-cased ASCII text: the same tokens
_CJK_RE = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}ー]")
# Scripts that only one language among the supported ones writes: kana (Hiragana and
# Katakana letters, the prolonged-sound mark; not the middle dot U+30FB, which Chinese
# text borrows for names) and Hangul (syllables and jamo).
_KANA_RE = re.compile("[\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9d]")
_HANGUL_RE = re.compile("[\u1100-\u11ff\u3131-\u318e\ua960-\ua97f\uac00-\ud7a3\ud7b0-\ud7ff]")
_UNDER_MARK_PAIRS = (("ș", "ş"), ("ț", "ţ"), ("Ș", "ş"), ("Ț", "ţ"), ("Ş", "ş"), ("Ţ", "ţ"))
_UNDER_MARKS = str.maketrans(dict(_UNDER_MARK_PAIRS))

WordToken = tuple[int, int, str]
"""``(start_char, end_char, text)`` of one word token; ``end_char`` is exclusive."""


def has_letters(text: str) -> bool:
    """Whether ``text`` holds at least one letter (emoji, digits and punctuation do not)."""
    return _WORD_RE.search(text) is not None


def exclusive_script_language(text: str) -> str | None:
    """``"ja"`` when ``text`` holds a kana letter, ``"ko"`` when it holds Hangul, else
    ``None`` (also when it holds both). Only Japanese is written with kana and only
    Korean with Hangul, so one such letter settles the language (lingua applies the same
    rule); Han characters alone do not, since Chinese and Japanese share them."""
    if text.isascii():
        return None
    kana = _KANA_RE.search(text) is not None
    hangul = _HANGUL_RE.search(text) is not None
    if kana == hangul:
        return None
    return "ja" if kana else "ko"


def canonical_word(token: str) -> str:
    """The lexicon key of ``token`` (see the module docstring)."""
    if not token.isascii():
        token = unicodedata.normalize("NFC", token.replace("İ", "i")).translate(_UNDER_MARKS)
    return token.casefold()


def canonical_tokens(text: str) -> list[WordToken]:
    """Word tokens of ``text`` with offsets, the text of each in canonical form
    (:func:`canonical_word`); one regex pass and no per-token checks for the common
    case of text without Chinese or Japanese characters."""
    if text.isascii():
        # ASCII letters are exactly [A-Za-z]; lower() == casefold() there, same offsets.
        folded = text.lower()
        return [(m.start(), m.end(), folded[m.start() : m.end()]) for m in _ASCII_WORD_RE.finditer(folded)]
    if _CJK_RE.search(text) is not None:
        return [(start, end, canonical_word(word)) for start, end, word in iter_word_tokens(text)]
    return [(m.start(), m.end(), canonical_word(m.group())) for m in _WORD_RE.finditer(text)]


def iter_word_tokens(text: str) -> Iterator[WordToken]:
    """Word tokens of ``text`` with their character offsets, in order."""
    for match in _WORD_RE.finditer(text):
        start, end = match.span()
        word = match.group()
        if _CJK_RE.search(word) is None:
            yield start, end, word
            continue
        # Unspaced CJK: one token per CJK character, other letters kept as runs.
        run_start = start
        for offset, char in enumerate(word):
            if _CJK_RE.match(char) is not None:
                if run_start < start + offset:
                    yield run_start, start + offset, text[run_start : start + offset]
                yield start + offset, start + offset + 1, char
                run_start = start + offset + 1
        if run_start < end:
            yield run_start, end, text[run_start:end]


def canonical_text(text: str) -> str:
    """:func:`canonical_word` applied to a whole text at once (it maps characters one by
    one, and NFC never composes across a space or newline); ``str.replace`` instead of
    a translation table, which is several times faster on long strings."""
    if text.isascii():
        return text.casefold()
    text = unicodedata.normalize("NFC", text.replace("İ", "i"))
    for source, target in _UNDER_MARK_PAIRS:
        text = text.replace(source, target)
    return text.casefold()


def word_tokens(text: str) -> list[str]:
    """Canonical word forms of ``text`` (see :func:`iter_word_tokens`), without offsets.

    The text is canonicalized once and then split, which gives the same words as
    canonicalizing each token, faster.
    """
    if text.isascii():
        return _ASCII_WORD_RE.findall(text.lower())
    canonical = canonical_text(text)
    if _CJK_RE.search(canonical) is not None:
        # A space on each side of every Chinese/Japanese character splits the runs as
        # iter_word_tokens does, in one C-level pass instead of a loop per character.
        canonical = _CJK_RE.sub(r" \g<0> ", canonical)
    return _WORD_RE.findall(canonical)  # type: ignore[no-any-return]
