"""LocalAgreement commit policy: commit what consecutive hypotheses agree on.

A streaming recognizer re-decodes a growing buffer; each decode gives a *hypothesis*, a
list of timed words. A word is *committed* (stable, never revised) once ``agreement``
consecutive hypotheses agree on it: the committed part grows by the longest common
prefix of the last ``agreement`` hypotheses, after the words already committed. The rest
of the newest hypothesis is the *tail*, shown as a partial and free to change.

This is whisper_streaming's ``HypothesisBuffer`` (LocalAgreement-2), generalized to
``n`` and written as a pure class: no audio, no engine, no clock. Words carry absolute
times, so a hypothesis decoded from a buffer that still holds committed audio is
aligned by dropping words that end before the committed end and any words at its start
that repeat the last committed words (Whisper often re-emits them).

Words are compared by :func:`word_key` (case and punctuation folded), so ``"you,"``
agrees with ``"You"``; the newest hypothesis's spelling is the one committed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from langassist.events import Word

__all__ = ["CommitStep", "LocalAgreement", "align_hypothesis", "common_prefix", "word_key"]

_KEY_RE = re.compile(r"[\W_]+", re.UNICODE)
MAX_OVERLAP_WORDS = 5
"""Longest run of already-committed words looked for at the start of a hypothesis."""
TIME_TOLERANCE_S = 0.1
"""A hypothesis word that starts this much before the committed end still counts as new."""


def word_key(text: str) -> str:
    """The form words are compared in: lower case, letters and digits only."""
    key = _KEY_RE.sub("", text.lower())
    return key or text.strip().lower()


def common_prefix(first: Sequence[Word], second: Sequence[Word]) -> int:
    """Length of the longest common prefix of two word lists, compared by :func:`word_key`."""
    count = 0
    for left, right in zip(first, second, strict=False):
        if word_key(left.text) != word_key(right.text):
            break
        count += 1
    return count


def align_hypothesis(
    words: Sequence[Word],
    committed: Sequence[Word],
    *,
    committed_end_s: float | None = None,
) -> tuple[Word, ...]:
    """The words of a hypothesis that come after the committed ones.

    Drops words starting before ``committed_end_s - TIME_TOLERANCE_S`` (default: the end
    of the last committed word), then the longest run of up to ``MAX_OVERLAP_WORDS`` words
    at the start that repeats the end of ``committed``.
    """
    if committed_end_s is None:
        committed_end_s = committed[-1].end_s if committed else None
    if committed_end_s is None:
        return tuple(words)
    fresh = [word for word in words if word.start_s > committed_end_s - TIME_TOLERANCE_S]
    if fresh and committed:
        longest = min(MAX_OVERLAP_WORDS, len(fresh), len(committed))
        for size in range(longest, 0, -1):
            head = [word_key(word.text) for word in fresh[:size]]
            tail = [word_key(word.text) for word in committed[-size:]]
            if head == tail:
                fresh = fresh[size:]
                break
    return tuple(fresh)


@dataclass(frozen=True, slots=True)
class CommitStep:
    """What one hypothesis did: the words it committed now, and the new tail."""

    committed: tuple[Word, ...]
    tail: tuple[Word, ...]


class LocalAgreement:
    """LocalAgreement-n over timed words.

    Args:
        agreement: how many consecutive hypotheses must agree before a word commits
            (2 is whisper_streaming's choice; 1 commits every hypothesis at once).

    Attributes:
        committed: every word committed since the last :meth:`reset` or :meth:`take`.
        tail: the newest hypothesis after the committed words.
    """

    def __init__(self, agreement: int = 2) -> None:
        if agreement < 1:
            raise ValueError(f"agreement must be at least 1, got {agreement}")
        self.agreement = agreement
        self.committed: tuple[Word, ...] = ()
        self.tail: tuple[Word, ...] = ()
        self._recent: list[tuple[Word, ...]] = []
        self._committed_end_s: float | None = None

    @property
    def committed_end_s(self) -> float | None:
        """End time of the last committed word (kept after :meth:`take`)."""
        return self._committed_end_s

    def insert(self, words: Sequence[Word]) -> CommitStep:
        """Add one hypothesis (absolute times); return what it committed and the tail."""
        fresh = align_hypothesis(words, self.committed, committed_end_s=self._committed_end_s)
        self._recent.append(fresh)
        del self._recent[: -self.agreement]
        newly: tuple[Word, ...] = ()
        if len(self._recent) == self.agreement:
            size = len(fresh)
            for other in self._recent[:-1]:
                size = min(size, common_prefix(other, fresh))
            newly = fresh[:size]
        if newly:
            self.committed += newly
            self._committed_end_s = newly[-1].end_s
            # Every kept hypothesis starts with the words committed now (that is what
            # agreement means), so cut them off: the next comparison starts after them.
            self._recent = [hypothesis[len(newly):] for hypothesis in self._recent]
        self.tail = self._recent[-1] if self._recent else ()
        return CommitStep(committed=newly, tail=self.tail)

    def take(self, count: int | None = None) -> tuple[Word, ...]:
        """Remove and return the first ``count`` committed words (all by default).

        The committed end time stays, so later hypotheses still skip those words.
        """
        count = len(self.committed) if count is None else count
        taken, self.committed = self.committed[:count], self.committed[count:]
        return taken

    def reset(self) -> None:
        """Forget everything: a new utterance with nothing committed."""
        self.committed = ()
        self.tail = ()
        self._recent = []
        self._committed_end_s = None
