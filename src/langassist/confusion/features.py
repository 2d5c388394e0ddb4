"""Hand-made features of a possible clarification request, with the turn before it.

These complement the sentence embedding: they carry what an embedding of the utterance
alone cannot see, above all *echo questions*, where the listener repeats part of what
was just said with a question mark ("Two hundred fifty?" after "...two hundred and fifty
thousand people"). All features are language-independent given the lexicon, cheap, and
defined for any input (an empty utterance gives all zeros).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from langassist.confusion.lexicon import ClarificationLexicon, LexiconMatch
from langassist.confusion.text import ends_with_question

__all__ = ["FEATURE_NAMES", "ClarificationFeatures", "extract_features"]

FEATURE_NAMES: tuple[str, ...] = (
    "lexicon_standalone",
    "lexicon_phrase",
    "question_mark",
    "log_words",
    "short",
    "echo_overlap",
    "echo_question",
    "echo_content",
    "question_word_end",
    "question_words_only",
)
"""Order of the feature vector; stored in the model file and checked at load."""

SHORT_WORDS = 3
"""Utterances with at most this many content words count as short."""

ECHO_MAX_WORDS = 6
"""Echo questions are short: longer utterances get no ``echo_question`` credit."""

CONTENT_MIN_CHARS = 4
"""Words this long (or holding a digit) count as content words, unless listed as
question words or pronouns in the lexicon: a language-free stand-in for a stop list."""

_DETAILS = {
    "lexicon_standalone": "the utterance is only a clarification word or phrase",
    "lexicon_phrase": "contains a clarification phrase",
    "question_mark": "punctuated as a question",
    "log_words": "length in content words (log scale)",
    "short": "a short utterance",
    "echo_overlap": "share of its words repeated from the other party's last turn",
    "echo_question": "a short question echoing the other party's words",
    "echo_content": "a short question repeating the other party's content words",
    "question_word_end": "ends with a question word",
    "question_words_only": "nothing but question words",
}


@dataclass(frozen=True, slots=True)
class ClarificationFeatures:
    """The feature values of one utterance, plus the lexicon match that set them."""

    values: tuple[float, ...]
    words: tuple[str, ...]
    match: LexiconMatch | None

    def as_dict(self) -> dict[str, float]:
        return dict(zip(FEATURE_NAMES, self.values, strict=True))

    @staticmethod
    def describe(name: str) -> str:
        """A plain-words description of feature ``name``."""
        return _DETAILS.get(name, name)


def _echo_overlap(
    words: tuple[str, ...], previous: tuple[str, ...], lexicon: ClarificationLexicon
) -> float:
    """Share of ``words`` found in ``previous``, counting pronoun swaps (you -> I)."""
    if not words or not previous:
        return 0.0
    available = set(previous)
    for word in previous:
        available.update(lexicon.pronoun_swaps.get(word, ()))
    hits = sum(1 for word in words if word in available)
    return hits / len(words)


def _is_content(word: str, lexicon: ClarificationLexicon) -> bool:
    if any(char.isdigit() for char in word):
        return True
    return (
        len(word) >= CONTENT_MIN_CHARS
        and "'" not in word
        and not lexicon.is_question_word(word)
        and word not in lexicon.pronoun_swaps
    )


def extract_features(
    text: str, previous_turn: str | None, lexicon: ClarificationLexicon
) -> ClarificationFeatures:
    """Features of ``text`` as a reply to ``previous_turn`` (the other party's last words)."""
    words = lexicon.content_words(text)
    matches = lexicon.matches(text)
    standalone = any(m.kind in ("standalone", "standalone_question") for m in matches)
    phrase = any(m.kind in ("phrases", "initial") for m in matches)
    question = ends_with_question(text) and bool(words)
    previous = lexicon.content_words(previous_turn) if previous_turn else ()
    overlap = _echo_overlap(words, previous, lexicon)
    count = len(words)
    content = tuple(word for word in words if _is_content(word, lexicon))
    content_overlap = _echo_overlap(content, previous, lexicon) if content else 0.0
    question_end = bool(words) and lexicon.is_question_word(words[-1])
    question_only = bool(words) and all(lexicon.is_question_word(word) for word in words)
    values = (
        float(standalone),
        float(phrase),
        float(question),
        math.log1p(count),
        float(0 < count <= SHORT_WORDS),
        overlap,
        overlap * float(question and count <= ECHO_MAX_WORDS),
        content_overlap * float(question and count <= ECHO_MAX_WORDS),
        float(question_end),
        float(question_only),
    )
    return ClarificationFeatures(values, words, matches[0] if matches else None)
