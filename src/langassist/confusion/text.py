"""Text normalization shared by the confusion lexicon, features and repeat detection.

Normalization is deliberately blunt so that the same phrase matches however an ASR
engine or a chat user spells it: Unicode NFKC, case folding, curly apostrophes made
straight, accents removed (``"¿Cómo?"`` -> ``"como"``, ``"Słucham"`` -> ``"slucham"``),
hyphens and punctuation turned into spaces. Apostrophes inside a word are kept
(``"didn't"``, ``"qu'est"``).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "MAX_NORMALIZED_CHARS",
    "ends_with_question",
    "normalize_text",
    "tokenize",
]

MAX_NORMALIZED_CHARS = 4000
"""Only this many characters of an utterance are looked at (a clarification is short)."""

# Letters that Unicode does not decompose into a base letter plus a combining mark.
_SPECIAL_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"}
)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_NON_WORD_RE = re.compile(r"[^\w']+", re.UNICODE)
_EDGE_APOSTROPHE_RE = re.compile(r"(?<!\w)'|'(?!\w)")


def normalize_text(text: str) -> str:
    """Lower-case, accent-free, punctuation-free form of ``text``; words joined by one space.

    Any string is accepted (empty, emoji only, very long); the result may be empty.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize_text() takes a string, got {type(text).__name__}")
    text = unicodedata.normalize("NFKC", text[:MAX_NORMALIZED_CHARS]).casefold()
    text = text.translate(_APOSTROPHES).translate(_SPECIAL_LETTERS)
    text = "".join(
        char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char)
    )
    text = _NON_WORD_RE.sub(" ", text.replace("_", " "))
    text = _EDGE_APOSTROPHE_RE.sub(" ", text)
    return " ".join(text.split())


def tokenize(text: str) -> tuple[str, ...]:
    """Words of :func:`normalize_text` ``(text)``."""
    normalized = normalize_text(text)
    return tuple(normalized.split()) if normalized else ()


def ends_with_question(text: str) -> bool:
    """Whether the utterance is punctuated as a question (``?``, ``¿...``, full-width ``？``)."""
    stripped = text[-MAX_NORMALIZED_CHARS:].rstrip(" \t\r\n\"'.…)»”")
    return stripped.endswith(("?", "？", "¿")) or text.lstrip().startswith("¿")
