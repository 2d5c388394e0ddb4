"""Tokens and sentences of an utterance, without any model.

A token is a run of letters and digits that may hold inner connectors (``don't``,
``e-mail``, ``AB12-X9``, ``1,000``). Han and kana characters, which are written without
spaces, become one token each. Every token gets a kind:

* ``word``: letters only (``router``, ``don't``);
* ``number``: digits with optional separators (``42``, ``1,000``, ``3.5``);
* ``code``: letters mixed with digits (``AB12-X9``, ``4G``, ``MP3``).

Whether a word is an acronym depends on the lexicon, so :mod:`features` decides that.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

__all__ = ["Token", "TokenKind", "is_all_caps", "normalize_text", "split_sentences", "tokenize"]

TokenKind = Literal["word", "number", "code"]

_CONNECTOR = r"(?:['’\-./]|(?<=\d),(?=\d))"
_TOKEN = re.compile(rf"[^\W_]+(?:{_CONNECTOR}[^\W_]+)*")
_IDEOGRAPHIC = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HAS_DIGIT = re.compile(r"\d")
_HAS_LETTER = re.compile(r"[^\W\d_]")
# A sentence ends at . ! ? … (and their CJK forms) followed by space or the end, unless
# the dot belongs to a short abbreviation ("Mr.", "e.g.", "U.S.") or a single initial.
_SENTENCE_END = re.compile(r"[.!?…。！？]+[\"'”’)\]]*(?=\s|$)|[。！？]+")
HEADING_TOKENS = 8
"""A line this short without end punctuation is read together with the next line."""
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt vs etc e.g i.e u.s u.k a.m p.m no approx dept inc ltd co "
    "jan feb mar apr jun jul aug sep sept oct nov dec fig ca".split()
)


@dataclass(frozen=True, slots=True)
class Token:
    """One token with its character span in the (normalized) text."""

    text: str
    start: int
    end: int
    kind: TokenKind


def normalize_text(text: str) -> str:
    """NFC-normalize, drop byte-order marks and zero-width characters, unify apostrophes."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\ufeff", "").replace("\u200b", "").replace("\u200c", "")
    return text.replace("’", "'").replace("‘", "'")


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into word, number and code tokens (punctuation and emoji dropped)."""
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        piece = match.group()
        if _IDEOGRAPHIC.search(piece):
            tokens.extend(_split_ideographic(piece, match.start()))
            continue
        tokens.append(Token(piece, match.start(), match.end(), _kind(piece)))
    return tokens


def _split_ideographic(piece: str, offset: int) -> list[Token]:
    """One token per Han/kana character; other runs inside ``piece`` stay whole."""
    tokens: list[Token] = []
    run_start: int | None = None
    for index, char in enumerate(piece):
        if _IDEOGRAPHIC.match(char):
            if run_start is not None:
                run = piece[run_start:index]
                tokens.append(Token(run, offset + run_start, offset + index, _kind(run)))
                run_start = None
            tokens.append(Token(char, offset + index, offset + index + 1, "word"))
        elif run_start is None:
            run_start = index
    if run_start is not None:
        run = piece[run_start:]
        tokens.append(Token(run, offset + run_start, offset + len(piece), _kind(run)))
    return tokens


def _kind(piece: str) -> TokenKind:
    has_digit = _HAS_DIGIT.search(piece) is not None
    has_letter = _HAS_LETTER.search(piece) is not None
    if has_digit and has_letter:
        return "code"
    if has_digit:
        return "number"
    return "word"


def is_all_caps(word: str) -> bool:
    """True for a word of two or more letters that are all upper case (``DHCP``, ``U.S``)."""
    letters = [ch for ch in word if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text``, each holding at least one token.

    A line break also ends a sentence (transcripts and chat lines rarely carry a final
    dot), except after a short line without end punctuation (at most
    :data:`HEADING_TOKENS` tokens, such as a heading or a list label), which is read
    together with the line that follows it.
    """
    spans: list[tuple[int, int]] = []
    pending: int | None = None
    lines = list(re.finditer(r"[^\n]+", text))
    for index, line in enumerate(lines):
        start = line.start() if pending is None else pending
        pending = None
        ended_here = False
        for end_match in _SENTENCE_END.finditer(line.group()):
            end = line.start() + end_match.end()
            if end_match.group().startswith(".") and _is_abbreviation(text, start, end):
                continue
            spans.append((start, end))
            start = end
            ended_here = True
        tail_tokens = len(_TOKEN.findall(text, start, line.end()))
        is_heading = not ended_here and 0 < tail_tokens <= HEADING_TOKENS
        if is_heading and index + 1 < len(lines):
            pending = start
            continue
        spans.append((start, line.end()))
    return [(s, e) for s, e in spans if _TOKEN.search(text, s, e)]


def _is_abbreviation(text: str, start: int, end: int) -> bool:
    """True when the dot ending ``text[start:end]`` closes an abbreviation or an initial."""
    head = text[start:end].rstrip("\"'”’)]").rstrip(".")
    last = re.search(r"[^\W_](?:[^\W_]|\.(?=[^\W_]))*$", head)
    if last is None:
        return False
    word = last.group()
    if word.lower() in _ABBREVIATIONS:
        return True
    return len(word) == 1 and word.isupper()
