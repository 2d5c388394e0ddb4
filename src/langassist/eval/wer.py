"""Word and character error rates, per clip and over a corpus, with bootstrap intervals.

Definitions (the same as jiwer's and the Whisper paper's):

- An alignment is a minimum-cost Levenshtein alignment of reference and hypothesis
  tokens; each substitution, deletion and insertion costs 1.
- WER = (S + D + I) / N, with N the number of reference words after normalization.
- CER = the same over characters, with all whitespace removed first (so word splits,
  which mean nothing in Chinese or Japanese, are not errors).
- Corpus WER = total edits over all clips / total reference words (not the mean of the
  per-clip rates, which would give a 3-word clip the weight of a 300-word one).

Text is normalized first by :mod:`langassist.eval.text_normalize` (Whisper's English
normalizer plus the digit rule for ``en``, the basic normalizer otherwise).

Sets are small (tens of clips), so report :func:`bootstrap_ci` with every figure: it
resamples whole clips and recomputes the corpus ratio, with a fixed seed so a report is
reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from langassist.eval.text_normalize import Normalizer, normalizer_for

__all__ = [
    "ClipScore",
    "ConfidenceInterval",
    "CorpusScore",
    "EditCounts",
    "align_tokens",
    "bootstrap_ci",
    "cer",
    "score_clip",
    "score_corpus",
    "wer",
]


@dataclass(frozen=True, slots=True)
class EditCounts:
    """Edit operations of one alignment (or the sum over many)."""

    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0
    reference_length: int = 0

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def hits(self) -> int:
        return self.reference_length - self.substitutions - self.deletions

    @property
    def rate(self) -> float | None:
        """errors / reference length; ``None`` when the reference is empty (undefined)."""
        if self.reference_length == 0:
            return None
        return self.errors / self.reference_length

    def __add__(self, other: EditCounts) -> EditCounts:
        return EditCounts(
            self.substitutions + other.substitutions,
            self.deletions + other.deletions,
            self.insertions + other.insertions,
            self.reference_length + other.reference_length,
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "substitutions": self.substitutions,
            "deletions": self.deletions,
            "insertions": self.insertions,
            "reference_length": self.reference_length,
        }


def align_tokens(reference: Sequence[str], hypothesis: Sequence[str]) -> EditCounts:
    """Count substitutions, deletions and insertions of a minimum-edit alignment.

    Among alignments of equal cost the backtrace prefers match/substitution, then
    deletion, then insertion, so the split into S/D/I is deterministic; the total is
    always the Levenshtein distance.
    """
    n, m = len(reference), len(hypothesis)
    if n == 0 or m == 0:
        return EditCounts(deletions=n, insertions=m, reference_length=n)
    vocabulary: dict[str, int] = {}
    ref = np.array([vocabulary.setdefault(token, len(vocabulary)) for token in reference])
    hyp = np.array([vocabulary.setdefault(token, len(vocabulary)) for token in hypothesis])
    columns = np.arange(m + 1, dtype=np.int64)
    table = np.empty((n + 1, m + 1), dtype=np.int64)
    table[0] = columns
    for i in range(1, n + 1):
        previous = table[i - 1]
        row = np.empty(m + 1, dtype=np.int64)
        row[0] = i
        row[1:] = np.minimum(previous[1:] + 1, previous[:-1] + (hyp != ref[i - 1]))
        # Insertions chain left to right: row[j] = min_k(row[k] + j - k).
        table[i] = np.minimum.accumulate(row - columns) + columns
    substitutions = deletions = insertions = 0
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0:
            cost = int(ref[i - 1] != hyp[j - 1])
            if table[i, j] == table[i - 1, j - 1] + cost:
                substitutions += cost
                i, j = i - 1, j - 1
                continue
        if i > 0 and table[i, j] == table[i - 1, j] + 1:
            deletions += 1
            i -= 1
        else:
            insertions += 1
            j -= 1
    return EditCounts(substitutions, deletions, insertions, n)


def _characters(normalized: str) -> list[str]:
    return [character for character in normalized if not character.isspace()]


@dataclass(frozen=True, slots=True)
class ClipScore:
    """One clip's reference, hypothesis, their normalized forms and edit counts."""

    id: str
    language: str | None
    reference: str
    hypothesis: str
    normalized_reference: str
    normalized_hypothesis: str
    words: EditCounts
    characters: EditCounts

    @property
    def wer(self) -> float | None:
        return self.words.rate

    @property
    def cer(self) -> float | None:
        return self.characters.rate

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "language": self.language,
            "reference": self.reference,
            "hypothesis": self.hypothesis,
            "normalized_reference": self.normalized_reference,
            "normalized_hypothesis": self.normalized_hypothesis,
            "wer": self.wer,
            "cer": self.cer,
            "words": self.words.as_dict(),
            "characters": self.characters.as_dict(),
        }


def score_clip(
    reference: str,
    hypothesis: str,
    *,
    language: str | None = "en",
    id: str = "",
    normalizer: Normalizer | None = None,
) -> ClipScore:
    """Normalize both texts and count word and character edits.

    Args:
        language: picks the normalizer (English rules for ``en``, basic otherwise).
        normalizer: use this instead of the language's normalizer.
    """
    normalize = normalizer or normalizer_for(language)
    normalized_reference = normalize(reference)
    normalized_hypothesis = normalize(hypothesis)
    return ClipScore(
        id=id,
        language=language,
        reference=reference,
        hypothesis=hypothesis,
        normalized_reference=normalized_reference,
        normalized_hypothesis=normalized_hypothesis,
        words=align_tokens(normalized_reference.split(), normalized_hypothesis.split()),
        characters=align_tokens(
            _characters(normalized_reference), _characters(normalized_hypothesis)
        ),
    )


@dataclass(frozen=True, slots=True)
class ConfidenceInterval:
    """A point estimate with a percentile bootstrap interval."""

    value: float
    low: float
    high: float
    confidence: float
    resamples: int
    seed: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "confidence": self.confidence,
            "resamples": self.resamples,
            "seed": self.seed,
        }


def bootstrap_ci(
    per_item_values: Sequence[float],
    *,
    denominators: Sequence[float] | None = None,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> ConfidenceInterval:
    """Percentile bootstrap interval over items, deterministic for a given ``seed``.

    Without ``denominators`` the statistic is the mean of the values (use 0/1 values for
    an accuracy). With ``denominators`` it is the ratio of sums, resampled by item:
    pass per-clip edit counts and reference lengths to get a corpus-WER interval.

    Raises:
        ValueError: no items, mismatched lengths, or ``confidence`` outside (0, 1).
    """
    values = np.asarray(per_item_values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError("bootstrap_ci needs a non-empty 1-D sequence of per-item values")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence = {confidence!r}: must be between 0 and 1")
    if resamples < 1:
        raise ValueError(f"resamples = {resamples!r}: must be at least 1")
    if denominators is None:
        weights = np.ones_like(values)
    else:
        weights = np.asarray(denominators, dtype=np.float64)
        if weights.shape != values.shape:
            raise ValueError("denominators must have one entry per value")
    if weights.sum() <= 0:
        raise ValueError("the denominators sum to zero: the statistic is undefined")
    point = float(values.sum() / weights.sum())
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, values.size, size=(resamples, values.size))
    totals = weights[indices].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        statistics = values[indices].sum(axis=1) / totals
    statistics = statistics[totals > 0]
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(statistics, [tail, 100.0 - tail])
    return ConfidenceInterval(
        value=point,
        low=float(low),
        high=float(high),
        confidence=confidence,
        resamples=resamples,
        seed=seed,
    )


@dataclass(frozen=True, slots=True)
class CorpusScore:
    """Corpus-level rates over a list of clips, with bootstrap intervals."""

    clips: tuple[ClipScore, ...]
    words: EditCounts
    characters: EditCounts

    @property
    def wer(self) -> float | None:
        return self.words.rate

    @property
    def cer(self) -> float | None:
        return self.characters.rate

    def wer_ci(self, *, confidence: float = 0.95, seed: int = 0) -> ConfidenceInterval | None:
        """Bootstrap interval of the corpus WER (``None`` with no reference words)."""
        return self._ci(lambda clip: clip.words, confidence=confidence, seed=seed)

    def cer_ci(self, *, confidence: float = 0.95, seed: int = 0) -> ConfidenceInterval | None:
        return self._ci(lambda clip: clip.characters, confidence=confidence, seed=seed)

    def _ci(
        self, pick: Callable[[ClipScore], EditCounts], *, confidence: float, seed: int
    ) -> ConfidenceInterval | None:
        counts = [pick(clip) for clip in self.clips]
        if sum(count.reference_length for count in counts) == 0:
            return None
        return bootstrap_ci(
            [count.errors for count in counts],
            denominators=[count.reference_length for count in counts],
            confidence=confidence,
            seed=seed,
        )

    def as_dict(self, *, include_clips: bool = True) -> dict[str, object]:
        wer_ci, cer_ci = self.wer_ci(), self.cer_ci()
        data: dict[str, object] = {
            "clips_count": len(self.clips),
            "wer": self.wer,
            "wer_ci95": None if wer_ci is None else [wer_ci.low, wer_ci.high],
            "cer": self.cer,
            "cer_ci95": None if cer_ci is None else [cer_ci.low, cer_ci.high],
            "words": self.words.as_dict(),
            "characters": self.characters.as_dict(),
        }
        if include_clips:
            data["clips"] = [clip.as_dict() for clip in self.clips]
        return data


def score_corpus(clips: Iterable[ClipScore]) -> CorpusScore:
    """Sum the clips' edits: corpus WER/CER = total edits / total reference length."""
    items = tuple(clips)
    words, characters = EditCounts(), EditCounts()
    for clip in items:
        words += clip.words
        characters += clip.characters
    return CorpusScore(clips=items, words=words, characters=characters)


def wer(reference: str, hypothesis: str, *, language: str | None = "en") -> float | None:
    """Normalized word error rate of one pair (``None`` when the reference is empty)."""
    return score_clip(reference, hypothesis, language=language).wer


def cer(reference: str, hypothesis: str, *, language: str | None = "en") -> float | None:
    """Normalized character error rate of one pair, whitespace ignored."""
    return score_clip(reference, hypothesis, language=language).cer
