"""Prompt building: the end of the committed text, to condition the next decode.

Whisper takes up to 224 prompt tokens; a couple of hundred characters of the most recent
committed text is enough to keep spelling and casing consistent across buffer trims
(whisper_streaming's ``prompt()`` keeps the committed text that has left the buffer).
The prompt starts at a word boundary. Pure string work: no tokenizer, no engine.
"""

from __future__ import annotations

from collections.abc import Sequence

from langassist.events import Word

__all__ = ["build_prompt", "join_words"]


def join_words(words: Sequence[Word]) -> str:
    """Words joined with single spaces (Whisper's words carry no leading space here)."""
    return " ".join(word.text.strip() for word in words if word.text.strip())


def build_prompt(committed: Sequence[Word] | str, *, max_chars: int = 200) -> str | None:
    """The last ``max_chars`` characters of the committed text, cut at a word boundary.

    Returns ``None`` when there is nothing to say (or ``max_chars`` is 0).
    """
    text = committed if isinstance(committed, str) else join_words(committed)
    text = " ".join(text.split())
    if max_chars <= 0 or not text:
        return None
    if len(text) <= max_chars:
        return text
    cut = text[-max_chars:]
    space = cut.find(" ")
    if space == -1:
        return None
    cut = cut[space + 1:]
    return cut or None
