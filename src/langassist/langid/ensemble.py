"""Text language ID ensemble: backends, word-frequency evidence and call context, combined.

How a text is scored (every step over one fixed tuple of languages):

1. Gate. Very long texts are cut to :data:`MAX_CHARS` characters (at a space). Text
   without a letter in what is left (empty, digits, emoji, punctuation) has no evidence:
   the result is an empty distribution and language ``None``.
2. Evidence. Each *scorer* gives log-probabilities over its languages
   (:class:`LanguageScorer`; a plain :class:`~langassist.backends.base.LanguageIdentifier`
   is wrapped by :class:`DistributionScorer`). The wordfreq lexicon gives, per word
   token, ``log P(word | language)`` from its Zipf value, with a floor below each list's
   lowest value for a word the list lacks; words no list holds add nothing. This is the
   strongest evidence on single words and pairs, which character n-gram models get wrong.
3. Cascade of weighted log-linear combinations. Stage ``k`` scores
   ``s = sum_j w_kj(b) * e_j + bias_k(b)`` over its sources, with weights and
   per-language biases chosen by the number of word tokens (bucket ``b``: 1, 2, 3-6,
   7+). The packaged cascade starts with the wordfreq lexicon alone (a few dictionary
   lookups), then adds py3langid, then lingua (low accuracy); a stage decides when the
   top-two margin of the softmax of ``s`` reaches its fitted margin for the bucket, else
   the next stage runs (evidence already computed is reused). The last stage always
   decides. On the benchmark's test split the lexicon alone decides about three
   single words in four, nine word pairs in ten and nearly every sentence. Weights,
   biases and margins were fitted on a training part of the lingua test data that the
   benchmark does not score on (``benchmarks/train_text_langid.py``) and are stored in
   ``langassist/data/text-langid-ensemble.json``. A stage whose sources are all missing
   (a backend left out of the settings) is skipped, and so is one that would add nothing
   to the stage before it. :meth:`TextLanguageEnsemble.identify_matrix` runs the whole
   cascade over a batch as matrix operations, each stage on the texts still open (a
   backend with a ``score_matrix`` method scores them in one call).
4. Call context (optional, :class:`LanguageContext`): ``log`` of a prior built from the
   languages already established in the call and Whisper's spoken-language distribution
   of the same utterance is added with design weights (no labelled data to fit them).
5. Result: softmax over the languages; ``language`` is ``None`` when the top probability
   is below ``confidence_floor``.

Compiled path: when the C extension ``langassist.langid._cascade`` is built (the package
build compiles it where a C compiler is found; see :mod:`langassist.langid.native`),
:meth:`TextLanguageEnsemble.identify` runs steps 1-3 and 5 for a text in one C call:
word keys and lexicon rows, py3langid's naive Bayes (its byte automaton walked in C), the
stage sums and margin checks, the ranked distribution. A backend it does not compute
(lingua) is scored in Python when a stage needs it. :meth:`~TextLanguageEnsemble.analyze`
(context, spans, reasons) and :meth:`~TextLanguageEnsemble.identify_matrix` stay in Python;
:meth:`~TextLanguageEnsemble.identify_many` loops over the compiled :meth:`identify`.
The answers are the Python path's up to float rounding.

Code-switching: :meth:`TextLanguageEnsemble.analyze` also segments the word tokens with a
Viterbi pass over per-word lexicon posteriors and a switch penalty; when at least two
segments of different languages each hold enough letters and the ensemble confirms each
segment's language, the spans ``(start_char, end_char, language)`` are reported.
"""

from __future__ import annotations

import heapq
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from langassist.backends.base import LanguageIdentifier
from langassist.errors import ConfigError
from langassist.events import LanguageCode, LanguageDistribution, Reason
from langassist.langid.lexicon import (
    ZIPF_STEP,
    HashedVocabulary,
    Vocabulary,
    WordfreqLexicon,
    word_key,
    word_keys,
)
from langassist.langid.text import (
    canonical_tokens,
    exclusive_script_language,
    has_letters,
    iter_word_tokens,
    word_tokens,
)

__all__ = [
    "MAX_CHARS",
    "DistributionScorer",
    "EnsembleStage",
    "EnsembleWeights",
    "LanguageContext",
    "LanguageScorer",
    "LexiconScorer",
    "TextLanguageEnsemble",
    "TextLanguageResult",
    "load_ensemble_weights",
    "token_bucket",
]

_log = logging.getLogger(__name__)
_NATIVE_MAX_SLOTS = 8  # evidence sources the compiled cascade takes (MAX_SLOTS in _cascade.c)

MAX_CHARS = 2000
"""Longer texts are cut (at a space) before scoring; the head decides the language."""

BUCKET_LIMITS: tuple[int, ...] = (1, 2, 6)
"""Token-count buckets: 1 word, 2 words, 3-6 words, 7 or more."""

_LOG10 = math.log(10.0)
_FLOOR_LOG_P = math.log(1e-6)
_MISSING_BELOW_FLOOR_ZIPF = 0.5
_SPAN_SWITCH_PENALTY = 6.0
_SPAN_MIN_LETTERS = 8
_SPAN_MIN_TOKENS = 2
_CONTEXT_ESTABLISHED_WEIGHT = 1.0
_CONTEXT_SPOKEN_WEIGHT = 0.7
_CONTEXT_LEAK = 0.05
_SCRIPT_PENALTY = 30.0  # log-odds against every language but the one a kana/Hangul text is in
_WEIGHTS_RESOURCE = "text-langid-ensemble.json"
_SCALAR_LOOKUPS = 8  # up to this many words, one scalar key and search each beats the array path

REPORTED_MIN_P = 1e-4
"""Languages less probable than this are left out of a result's distribution (every
report rounds probabilities to 4 decimals); the top language is always kept."""


def token_bucket(n_tokens: int) -> int:
    """Index of the token-count bucket (see :data:`BUCKET_LIMITS`)."""
    for index, limit in enumerate(BUCKET_LIMITS):
        if n_tokens <= limit:
            return index
    return len(BUCKET_LIMITS)


@runtime_checkable
class LanguageScorer(Protocol):
    """A backend that gives log-probabilities over a fixed tuple of languages.

    A scorer may also have ``score_matrix(texts) -> (matrix, present)``: the
    ``(len(texts), len(languages))`` log-probabilities of many texts at once and a mask
    of the texts with evidence. :meth:`TextLanguageEnsemble.identify_matrix` uses it when
    present (py3langid and lingua have one) and calls :meth:`score_vector` per text
    otherwise.
    """

    name: str
    languages: tuple[LanguageCode, ...]

    def score_vector(self, text: str) -> np.ndarray | None:
        """Log-probabilities aligned with :attr:`languages`; ``None`` = no evidence."""
        raise NotImplementedError


class DistributionScorer:
    """Wraps a plain :class:`LanguageIdentifier` as a :class:`LanguageScorer`."""

    def __init__(self, identifier: LanguageIdentifier, languages: Sequence[LanguageCode]) -> None:
        self.identifier = identifier
        self.name = identifier.name
        self.languages = tuple(languages)
        self._index = {code: i for i, code in enumerate(self.languages)}

    def score_vector(self, text: str) -> np.ndarray | None:
        distribution = self.identifier.identify(text)
        if not distribution:
            return None
        vector = np.full(len(self.languages), 1e-6)
        for code, probability in distribution.probabilities:
            position = self._index.get(code)
            if position is not None:
                vector[position] += max(0.0, probability)
        return np.log(vector / vector.sum())  # type: ignore[no-any-return]


class LexiconScorer:
    """Per-word ``log P(word | language)`` from a :class:`WordfreqLexicon`.

    The lexicon's one-byte rows are turned into centred log-likelihoods once, through a
    256-entry table per language, and kept as float32 (4 bytes a row and language).

    Args:
        lexicon: the word-frequency lexicon.
        languages: the ensemble's languages; those the lexicon lacks get no evidence.
    """

    name = "wordfreq"

    def __init__(self, lexicon: WordfreqLexicon, languages: Sequence[LanguageCode]) -> None:
        self.languages = tuple(languages)
        columns = [lexicon.languages.index(c) if c in lexicon.languages else -1 for c in self.languages]
        floors = lexicon.list_floor_zipf.astype(np.float64)
        steps = np.arange(256, dtype=np.float64) / ZIPF_STEP
        lookup = np.zeros((len(self.languages), 256))
        for target, column in enumerate(columns):
            if column < 0:
                continue  # no list for this language: the word says nothing about it
            values = steps.copy()
            values[0] = floors[column] - _MISSING_BELOW_FLOOR_ZIPF  # 0 = not in the list
            lookup[target] = (values - 9.0) * _LOG10
        quantized = lexicon.rows[:, [max(column, 0) for column in columns]]
        table = lookup[np.arange(len(self.languages))[None, :], quantized]
        # Centre each row so that only differences between languages matter.
        table -= table.mean(axis=1, keepdims=True)
        self._table: np.ndarray = table.astype(np.float32)
        self._vocabulary = lexicon.vocabulary

    def token_rows(self, text: str) -> tuple[list[tuple[int, int, int | None]], int]:
        """``(start, end, row or None)`` per word token, and the number of letters.

        A hashed vocabulary looks all the tokens of a text up at once (one
        ``searchsorted`` over their keys); a dict vocabulary one by one.
        """
        spans = canonical_tokens(text)
        letters = sum(end - start for start, end, _ in spans)
        vocabulary = self._vocabulary
        if isinstance(vocabulary, HashedVocabulary):
            if not spans:
                return [], 0
            keys = [word_key(word) for _, _, word in spans]
            if len(keys) <= _SCALAR_LOOKUPS:
                rows = [vocabulary.row_of_key(key) for key in keys]
            else:
                rows = vocabulary.rows_of_keys(keys).tolist()
            return [(start, end, row if row >= 0 else None)
                    for (start, end, _), row in zip(spans, rows, strict=True)], letters
        return [(start, end, vocabulary.get(word)) for start, end, word in spans], letters

    def rows_of_words(self, words: Sequence[str]) -> list[int]:
        """The rows of the canonical ``words`` that the lexicon lists (others left out)."""
        vocabulary = self._vocabulary
        if isinstance(vocabulary, HashedVocabulary):
            if len(words) <= _SCALAR_LOOKUPS:
                found = [vocabulary.row_of_key(word_key(word)) for word in words]
            else:
                found = vocabulary.rows_of_keys(word_keys(words)).tolist()
            return [row for row in found if row >= 0]
        rows = [vocabulary.get(word) for word in words]
        return [row for row in rows if row is not None]

    def rows_of_all(self, words: Sequence[str]) -> np.ndarray:
        """Rows of many canonical words at once (int64, ``-1`` where not listed)."""
        vocabulary = self._vocabulary
        if isinstance(vocabulary, HashedVocabulary):
            if len(words) <= _SCALAR_LOOKUPS:
                return vocabulary.rows_of_keys([word_key(word) for word in words])
            return vocabulary.rows_of_keys(word_keys(words))
        found = [vocabulary.get(word) for word in words]
        return np.array([-1 if row is None else row for row in found], dtype=np.int64)

    @property
    def vocabulary(self) -> Vocabulary:
        """The lexicon's word form -> row map."""
        return self._vocabulary

    @property
    def table(self) -> np.ndarray:
        """``(n_rows, n_languages)`` float32 centred log-likelihoods per lexicon row."""
        return self._table

    def score_rows(self, rows: Sequence[int]) -> np.ndarray:
        """Summed log-likelihoods of the given lexicon rows (float32 up to three rows)."""
        if not rows:
            return np.zeros(len(self.languages))
        table = self._table
        if len(rows) <= 3:  # a view per row beats building an index array
            total = table[rows[0]]
            for row in rows[1:]:
                total = total + table[row]
            return total  # type: ignore[no-any-return]
        return self._table[list(rows)].sum(axis=0, dtype=np.float64)  # type: ignore[no-any-return]

    def row_vectors(self, rows: Sequence[int | None]) -> np.ndarray:
        """One log-likelihood row per token (zeros for words no list holds)."""
        out = np.zeros((len(rows), len(self.languages)))
        for position, row in enumerate(rows):
            if row is not None:
                out[position] = self._table[row]
        return out


def _bias_maps(data: Any) -> tuple[Mapping[str, float], ...]:
    return tuple({str(k): float(v) for k, v in b.items()} for b in data)


@dataclass(frozen=True, slots=True)
class EnsembleStage:
    """One stage of the cascade (see the module docstring, step 3).

    Attributes:
        sources: evidence names (``"wordfreq"`` and scorer names), in weight order.
        weights: per bucket, one weight per source.
        bias: per bucket, language -> additive bias.
        margin: per bucket, the softmax top-two margin at or above which this stage
            decides (``inf``: never; ignored on the last stage, which always decides).
    """

    sources: tuple[str, ...]
    weights: tuple[tuple[float, ...], ...]
    bias: tuple[Mapping[str, float], ...]
    margin: tuple[float, ...]

    def __post_init__(self) -> None:
        buckets = len(BUCKET_LIMITS) + 1
        if not self.sources:
            raise ConfigError("an ensemble stage needs at least one source")
        if len(self.weights) != buckets or any(len(w) != len(self.sources) for w in self.weights):
            raise ConfigError(
                f"ensemble stage {'+'.join(self.sources)} needs {buckets} buckets of "
                f"{len(self.sources)} weights"
            )
        if len(self.bias) != buckets or len(self.margin) != buckets:
            raise ConfigError(f"ensemble stage {'+'.join(self.sources)} needs {buckets} biases and margins")

    def to_dict(self) -> dict[str, Any]:
        return {
            "sources": list(self.sources),
            "weights": [list(w) for w in self.weights],
            "bias": [dict(b) for b in self.bias],
            "margin": [m if math.isfinite(m) else "inf" for m in self.margin],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EnsembleStage:
        return cls(
            sources=tuple(str(v) for v in data["sources"]),
            weights=tuple(tuple(float(v) for v in w) for w in data["weights"]),
            bias=_bias_maps(data["bias"]),
            margin=tuple(float(v) for v in data["margin"]),
        )


@dataclass(frozen=True, slots=True)
class EnsembleWeights:
    """The fitted cascade: stages in the order they run, and a note on the training data."""

    stages: tuple[EnsembleStage, ...]
    fitted_on: str = ""

    def __post_init__(self) -> None:
        if not self.stages:
            raise ConfigError("ensemble weights need at least one stage")

    @property
    def sources(self) -> tuple[str, ...]:
        """Every evidence name the stages use, in order of first use."""
        return tuple(dict.fromkeys(name for stage in self.stages for name in stage.sources))

    def to_dict(self) -> dict[str, Any]:
        return {"stages": [stage.to_dict() for stage in self.stages], "fitted_on": self.fitted_on}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EnsembleWeights:
        try:
            return cls(
                stages=tuple(EnsembleStage.from_dict(stage) for stage in data["stages"]),
                fitted_on=str(data.get("fitted_on", "")),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"ensemble weights are malformed: {exc}") from exc


def load_ensemble_weights(path: str | Path | None = None) -> EnsembleWeights:
    """Read fitted weights (the packaged file when ``path`` is ``None``)."""
    try:
        if path is None:
            text = resources.files("langassist.data").joinpath(_WEIGHTS_RESOURCE).read_text("utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        return EnsembleWeights.from_dict(json.loads(text))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read ensemble weights {path or _WEIGHTS_RESOURCE}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class LanguageContext:
    """What the call already says about the language of the next utterance.

    Attributes:
        established: languages settled in this call (either side), with weights.
        spoken: Whisper's spoken-language distribution of the same utterance.
    """

    established: Mapping[LanguageCode, float] = field(default_factory=dict)
    spoken: LanguageDistribution | None = None


@dataclass(frozen=True, slots=True)
class TextLanguageResult:
    """One text's language: distribution, decision, code-switch spans and reasons."""

    distribution: LanguageDistribution
    language: LanguageCode | None
    spans: tuple[tuple[int, int, LanguageCode], ...] = ()
    reasons: tuple[Reason, ...] = ()


def _softmax(scores: np.ndarray) -> list[float]:
    """Softmax of a short vector as a list (plain Python beats numpy's per-call cost here)."""
    values = scores.tolist()
    top = max(values)
    exp = [math.exp(v - top) for v in values]
    total = sum(exp)
    return [v / total for v in exp]


def _softmax_rows(scores: np.ndarray) -> np.ndarray:
    """Softmax of every row of a matrix."""
    exp = np.exp(scores - scores.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def _known(tokens: Sequence[tuple[int, int, int | None]]) -> list[int]:
    """The lexicon rows of the tokens that have one."""
    return [row for _, _, row in tokens if row is not None]


def _cut(text: str) -> str:
    if len(text) <= MAX_CHARS:
        return text
    head = text[:MAX_CHARS]
    space = head.rfind(" ")
    return head[:space] if space > MAX_CHARS // 2 else head


@dataclass(frozen=True, slots=True)
class _Stage:
    """A stage compiled for one ensemble: source slots, weight/bias arrays, margins."""

    slots: tuple[int, ...]
    weight_lists: tuple[list[float], ...]
    bias: tuple[np.ndarray, ...]
    margin: tuple[float, ...]


class TextLanguageEnsemble:
    """The text language ID ensemble (a :class:`LanguageIdentifier`).

    Args:
        languages: the languages it decides among (ISO 639-1).
        scorers: evidence sources named in the stages of ``weights`` (besides
            ``"wordfreq"``); a named source that is not given contributes nothing.
        weights: the fitted cascade (:func:`load_ensemble_weights`).
        lexicon: the wordfreq evidence, or ``None`` to go without.
        confidence_floor: below this top probability the language is ``None``.
        native: run :meth:`identify` through the compiled cascade
            (:mod:`langassist.langid.native`) when it is built; ``False`` always runs the
            Python path. Both give the same results up to float rounding.
    """

    name = "ensemble"

    def __init__(
        self,
        languages: Sequence[LanguageCode],
        scorers: Sequence[LanguageScorer | LanguageIdentifier],
        weights: EnsembleWeights,
        *,
        lexicon: LexiconScorer | None = None,
        confidence_floor: float = 0.5,
        native: bool = True,
    ) -> None:
        self.languages = tuple(dict.fromkeys(languages))
        if len(self.languages) < 1:
            raise ConfigError("the language ensemble needs at least one language")
        self.weights = weights
        self.confidence_floor = confidence_floor
        self._lexicon = lexicon
        if lexicon is not None and lexicon.languages != self.languages:
            raise ConfigError("the lexicon scorer must be built for the ensemble's languages")
        by_name = {scorer.name: self._as_scorer(scorer) for scorer in scorers}
        # One slot per available source; slot 0 is the lexicon when there is one.
        self._slot_names: list[str] = []
        self._slot_scorers: list[tuple[LanguageScorer, np.ndarray] | None] = []
        if lexicon is not None:
            self._slot_names.append(LexiconScorer.name)
            self._slot_scorers.append(None)
        for source in weights.sources:
            scorer = by_name.get(source)
            if scorer is not None and source not in self._slot_names:
                self._slot_names.append(source)
                self._slot_scorers.append((scorer, self._alignment(scorer)))
        self._stages: list[_Stage] = []
        previous: tuple[int, ...] = ()
        for stage in weights.stages:
            present = [(self._slot_names.index(n), i) for i, n in enumerate(stage.sources)
                       if n in self._slot_names]
            slots = tuple(slot for slot, _ in present)
            if not slots or set(slots) <= set(previous):
                continue  # nothing available, or nothing new beyond the stage before
            self._stages.append(_Stage(
                slots=slots,
                weight_lists=tuple([w[i] for _, i in present] for w in stage.weights),
                bias=tuple(self._bias_vector(b) for b in stage.bias),
                margin=stage.margin,
            ))
            previous = slots
        self.source_names = tuple(self._slot_names)
        self._language_objects = np.asarray(self.languages, dtype=object)
        self.stage_counts = [0] * len(self._stages)
        """How many texts each compiled stage decided (for benchmarks and tuning)."""
        self._native: Any = self._build_native() if native else None

    @property
    def native(self) -> bool:
        """Whether :meth:`identify` runs through the compiled cascade."""
        return self._native is not None

    def _build_native(self) -> Any:
        """The compiled cascade for this ensemble, or ``None`` when the extension is not
        built or there are no stages (a dict vocabulary is hashed for it first)."""
        from langassist.backends.py3langid import Py3langidIdentifier
        from langassist.langid.native import native_module

        module = native_module()
        if module is None or not self._stages or len(self._slot_names) > _NATIVE_MAX_SLOTS:
            return None
        lexicon_parts = None
        if self._lexicon is not None:
            vocabulary = self._lexicon.vocabulary
            if not isinstance(vocabulary, HashedVocabulary):
                vocabulary = HashedVocabulary.from_mapping(dict(vocabulary.items()))  # type: ignore[attr-defined]
            lexicon_parts = (
                0,
                np.ascontiguousarray(self._lexicon.table, dtype=np.float32),
                np.ascontiguousarray(vocabulary.keys, dtype=np.int64),
                np.ascontiguousarray(vocabulary.row_ids, dtype=np.int32),
            )
        py3_parts = None
        for slot, entry in enumerate(self._slot_scorers):
            if entry is None:
                continue
            scorer, alignment = entry
            if isinstance(scorer, Py3langidIdentifier):  # scored in C; other backends are asked of Python
                py3_parts = (slot, *scorer.native_arrays(), alignment.tolist())
                break
        stages = [
            (stage.slots, [list(w) for w in stage.weight_lists], [b.tolist() for b in stage.bias], stage.margin)
            for stage in self._stages
        ]
        try:
            return module.Cascade(
                self.languages, stages, lexicon_parts, py3_parts, BUCKET_LIMITS, _FLOOR_LOG_P, REPORTED_MIN_P, 10
            )
        except ValueError as exc:  # e.g. more than 256 languages: the Python path has no such limit
            _log.warning("text language ID runs in Python: the compiled cascade refused this ensemble (%s)", exc)
            return None

    def _native_source(self, slot: int, text: str) -> Any:
        """The aligned float64 vector of a backend the compiled cascade does not compute
        (lingua, ...) for ``text``; ``()`` when it finds no evidence."""
        vector = self._source_vector(slot, text, ())
        return () if vector is None else np.ascontiguousarray(vector, dtype=np.float64)

    @property
    def stage_sources(self) -> tuple[tuple[str, ...], ...]:
        """The sources of each stage that will run, in order."""
        return tuple(tuple(self._slot_names[i] for i in stage.slots) for stage in self._stages)

    def _as_scorer(self, backend: LanguageScorer | LanguageIdentifier) -> LanguageScorer:
        if isinstance(backend, LanguageScorer):
            return backend
        return DistributionScorer(backend, self.languages)

    def _alignment(self, scorer: LanguageScorer) -> np.ndarray:
        index = {code: i for i, code in enumerate(scorer.languages)}
        return np.array([index.get(code, -1) for code in self.languages], dtype=np.intp)

    def _bias_vector(self, bias: Mapping[str, float]) -> np.ndarray:
        return np.array([bias.get(code, 0.0) for code in self.languages])

    @staticmethod
    def _aligned(scores: np.ndarray, alignment: np.ndarray) -> np.ndarray:
        """A scorer's log-probabilities (a vector, or one row per text) over the ensemble's
        languages: a language the scorer lacks gets the floor, each row's top is 0."""
        out = scores[..., np.maximum(alignment, 0)]
        out[..., alignment < 0] = _FLOOR_LOG_P
        out = out - out.max(axis=-1, keepdims=True)
        return np.maximum(out, _FLOOR_LOG_P * 2)  # type: ignore[no-any-return]

    # ---------------------------------------------------------------- scoring

    def _source_vector(self, slot: int, text: str, rows: Sequence[int]) -> np.ndarray | None:
        entry = self._slot_scorers[slot]
        if entry is None:
            assert self._lexicon is not None
            return self._lexicon.score_rows(rows) if rows else None
        scorer, alignment = entry
        vector = scorer.score_vector(text)
        if vector is None:
            return None
        return self._aligned(np.asarray(vector, dtype=np.float64), alignment)

    def _evidence(
        self, text: str, n_tokens: int, rows: Sequence[int]
    ) -> tuple[np.ndarray | None, list[str], list[float] | None]:
        """The deciding stage's scores, the sources that gave evidence, and the softmax of
        the scores when the margin check computed it (else ``None``).

        Stages run in order; each source is computed at most once per call. A stage
        decides when its softmax top-two margin reaches its margin for the bucket; the
        last stage always decides. ``None`` when no source found evidence.
        """
        bucket = token_bucket(n_tokens)
        cache: dict[int, np.ndarray | None] = {}
        scores: np.ndarray | None = None
        probabilities: list[float] | None = None
        last = len(self._stages) - 1
        decided = last
        for index, stage in enumerate(self._stages):
            total = stage.bias[bucket]
            found = False
            for slot, weight in zip(stage.slots, stage.weight_lists[bucket], strict=True):
                if slot not in cache:
                    cache[slot] = self._source_vector(slot, text, rows)
                vector = cache[slot]
                if vector is not None:
                    total = total + weight * vector
                    found = True
            if not found:
                continue
            scores = total
            probabilities = None
            margin = stage.margin[bucket]
            if index == last or margin <= 0.0:
                decided = index
                break
            if margin <= 1.0 and total.size > 1:
                probabilities = _softmax(total)
                first, second = heapq.nlargest(2, probabilities)
                if first - second >= margin:
                    decided = index
                    break
        if scores is None:
            return None, [], None
        if self.stage_counts:
            self.stage_counts[decided] += 1
        used = [self._slot_names[slot] for slot, vector in cache.items() if vector is not None]
        return scores, used, probabilities

    def _distribution(
        self, scores: np.ndarray, top_n: int = 10, probabilities: list[float] | None = None
    ) -> LanguageDistribution:
        values = _softmax(scores) if probabilities is None else probabilities
        order = sorted(range(len(values)), key=values.__getitem__, reverse=True)[:top_n]
        languages = self.languages
        return LanguageDistribution(tuple(
            (languages[i], values[i]) for rank, i in enumerate(order) if rank == 0 or values[i] >= REPORTED_MIN_P
        ))

    def _script_bias(self, text: str) -> tuple[np.ndarray | None, LanguageCode | None]:
        """Scores to add for a text in a script only one language writes (kana:
        Japanese; Hangul: Korean), and that language; ``(None, None)`` otherwise or when
        the ensemble does not decide among that language and others."""
        language = exclusive_script_language(text)
        if language is None or language not in self.languages or len(self.languages) < 2:
            return None, None
        bias = np.full(len(self.languages), -_SCRIPT_PENALTY)
        bias[self.languages.index(language)] = 0.0
        return bias, language

    def identify(self, text: str) -> LanguageDistribution:
        """The language distribution of ``text`` (empty when it holds no letters)."""
        native = self._native
        if native is not None and text:
            text = _cut(text)
            words = word_tokens(text)
            if not words:  # no letters in the scored head (word tokens are runs of letters and marks)
                return LanguageDistribution()
            bias = None if text.isascii() else self._script_bias(text)[0]
            extras: list[Any] = [None] * len(self._slot_names)
            while True:
                out = native.run(text, words, extras, bias)
                if out.__class__ is not int:
                    break
                extras[out] = self._native_source(out, text)  # a source only Python computes
            stage, pairs = out
            if stage >= 0 and self.stage_counts:
                self.stage_counts[stage] += 1
            return LanguageDistribution(pairs)
        text = _cut(text)
        if not text or not has_letters(text):  # the head that is scored holds no letter
            return LanguageDistribution()
        if self._lexicon is not None:
            words = word_tokens(text)  # no offsets needed here: the quicker tokenizer
            rows = self._lexicon.rows_of_words(words)
        else:
            words, rows = word_tokens(text), []
        scores, _, probabilities = self._evidence(text, len(words), rows)
        bias, _ = self._script_bias(text)
        if bias is not None:
            scores, probabilities = (bias if scores is None else scores + bias), None
        return LanguageDistribution() if scores is None else self._distribution(scores, 10, probabilities)

    def identify_many(self, texts: Sequence[str]) -> list[LanguageDistribution]:
        """:meth:`identify` of every text.

        With the compiled cascade (:attr:`native`), text by text through it: on
        langid-lingua that is about as fast as the matrix path on single words and faster
        on pairs and sentences (``benchmarks/README.md`` section 2). Without it,
        :meth:`identify_matrix`.
        """
        if self._native is not None:
            return [self.identify(text) for text in texts]
        return self.identify_matrix(texts)

    def identify_matrix(self, texts: Sequence[str]) -> list[LanguageDistribution]:
        """:meth:`identify` of every text, the whole cascade run as matrix operations.

        Each stage scores all the texts still open at once: the lexicon sums come from
        one key lookup over every word of the batch, a scorer with a ``score_matrix``
        method (py3langid, lingua) scores the texts that reach its stage in one call
        (others are called text by text), and the margin checks and the final softmax
        and ranking are array operations. The results equal :meth:`identify`'s, up to
        float rounding (a text whose margin sits on a stage's threshold to within
        rounding may be decided one stage apart).
        """
        n_texts = len(texts)
        if not n_texts:
            return []
        if not self._stages:
            return [self.identify(text) for text in texts]
        words_of = [word_tokens(text if len(text) <= MAX_CHARS else _cut(text)) if text else [] for text in texts]
        counts = np.fromiter(map(len, words_of), dtype=np.intp, count=n_texts)
        buckets = np.searchsorted(np.asarray(BUCKET_LIMITS), counts, side="left")
        n_languages = len(self.languages)
        values: dict[int, np.ndarray] = {}
        present: dict[int, np.ndarray] = {}
        done: dict[int, np.ndarray] = {}
        if self._lexicon is not None:
            values[0], present[0] = self._lexicon_matrix(words_of, counts)
            done[0] = np.ones(n_texts, dtype=bool)
        scores = np.zeros((n_texts, n_languages))
        scored = np.zeros(n_texts, dtype=bool)
        decided_by = np.full(n_texts, -1, dtype=np.intp)
        pending = np.flatnonzero(counts > 0)
        last = len(self._stages) - 1
        for index, stage in enumerate(self._stages):
            if not pending.size:
                break
            for slot in stage.slots:
                self._fill_source(slot, texts, pending, values, present, done)
            bucket = buckets[pending]
            weights = np.asarray(stage.weight_lists)[bucket]
            total = np.stack(stage.bias)[bucket]
            found = np.zeros(pending.size, dtype=bool)
            for column, slot in enumerate(stage.slots):
                has = present[slot][pending]
                total = total + np.where(has[:, None], weights[:, column, None] * values[slot][pending], 0.0)
                found |= has
            if not found.any():
                continue
            chosen, total, bucket = pending[found], total[found], bucket[found]
            scores[chosen] = total
            scored[chosen] = True
            margin = np.asarray(stage.margin)[bucket]
            if index == last:
                decide = np.ones(chosen.size, dtype=bool)
            else:
                decide = margin <= 0.0
                check = ~decide & (margin <= 1.0)
                if n_languages > 1 and check.any():
                    probabilities = _softmax_rows(total[check])
                    top2 = np.partition(probabilities, -2, axis=1)[:, -2:]
                    decide[check] = top2[:, 1] - top2[:, 0] >= margin[check]
            decided_by[chosen[decide]] = index
            pending = np.union1d(pending[~found], chosen[~decide])
        if self.stage_counts:
            decided_by[scored & (decided_by < 0)] = last  # the last stage found nothing new
            for index, count in enumerate(np.bincount(decided_by[scored], minlength=len(self._stages)).tolist()):
                self.stage_counts[index] += count
        for row, text in enumerate(texts):  # after the counts, as identify counts only stages
            if text and not text.isascii():
                bias, _ = self._script_bias(text if len(text) <= MAX_CHARS else _cut(text))
                if bias is not None:
                    scores[row] = scores[row] + bias
                    scored[row] = True
        out = [LanguageDistribution()] * n_texts
        rows = np.flatnonzero(scored)
        if rows.size:
            probabilities = _softmax_rows(scores[rows])
            top_n = min(10, n_languages)
            order = np.argsort(-probabilities, axis=1, kind="stable")[:, :top_n]
            ranked = np.take_along_axis(probabilities, order, axis=1)
            kept = ranked >= REPORTED_MIN_P
            kept[:, 0] = True
            # Every reported (language, probability) pair of the batch in one zip, then
            # each text's run of them: fewer Python objects than a zip per text.
            pairs = list(zip(self._language_objects[order[kept]].tolist(), ranked[kept].tolist(), strict=True))
            ends = np.cumsum(np.count_nonzero(kept, axis=1)).tolist()
            for row, start, end in zip(rows.tolist(), [0, *ends[:-1]], ends, strict=True):
                out[row] = LanguageDistribution(tuple(pairs[start:end]))
        return out

    def _lexicon_matrix(self, words_of: Sequence[Sequence[str]], counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Summed lexicon log-likelihoods of every text, and which texts hold a listed word."""
        assert self._lexicon is not None
        sums = np.zeros((len(words_of), len(self.languages)))
        rows = self._lexicon.rows_of_all([word for words in words_of for word in words])
        known = rows >= 0
        owner = np.repeat(np.arange(len(words_of)), counts)[known]
        if owner.size:  # owners ascend: one segmented sum per text with a listed word
            firsts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
            sums[owner[firsts]] = np.add.reduceat(
                self._lexicon.table[rows[known]].astype(np.float64), firsts, axis=0
            )
        return sums, np.bincount(owner, minlength=len(words_of)) > 0

    def _fill_source(
        self,
        slot: int,
        texts: Sequence[str],
        wanted: np.ndarray,
        values: dict[int, np.ndarray],
        present: dict[int, np.ndarray],
        done: dict[int, np.ndarray],
    ) -> None:
        """Score the ``wanted`` texts with the scorer in ``slot`` (those not scored yet),
        aligned to the ensemble's languages as :meth:`_source_vector` does."""
        if slot not in values:
            values[slot] = np.zeros((len(texts), len(self.languages)))
            present[slot] = np.zeros(len(texts), dtype=bool)
            done[slot] = np.zeros(len(texts), dtype=bool)
        need = wanted[~done[slot][wanted]]
        if not need.size:
            return
        entry = self._slot_scorers[slot]
        assert entry is not None
        scorer, alignment = entry
        subset = [_cut(texts[i]) for i in need.tolist()]
        score_matrix = getattr(scorer, "score_matrix", None)
        if score_matrix is not None:
            matrix, has = score_matrix(subset)
            matrix = np.asarray(matrix, dtype=np.float64)
        else:
            matrix = np.zeros((need.size, len(scorer.languages)))
            has = np.zeros(need.size, dtype=bool)
            for position, text in enumerate(subset):
                vector = scorer.score_vector(text)
                if vector is not None:
                    matrix[position] = vector
                    has[position] = True
        values[slot][need] = self._aligned(matrix, alignment)
        present[slot][need] = has
        done[slot][need] = True

    def _tokens(self, text: str) -> list[tuple[int, int, int | None]]:
        if self._lexicon is not None:
            return self._lexicon.token_rows(text)[0]
        return [(start, end, None) for start, end, _ in iter_word_tokens(text)]

    def _context_prior(self, context: LanguageContext | None) -> tuple[np.ndarray | None, list[Reason]]:
        if context is None:
            return None, []
        prior = np.zeros(len(self.languages))
        reasons: list[Reason] = []
        index = {code: i for i, code in enumerate(self.languages)}
        uniform = 1.0 / len(self.languages)
        established = {c: w for c, w in context.established.items() if c in index and w > 0}
        if established:
            total = sum(established.values())
            vector = np.full(len(self.languages), _CONTEXT_LEAK * uniform)
            for code, weight in established.items():
                vector[index[code]] += (1.0 - _CONTEXT_LEAK) * weight / total
            prior += _CONTEXT_ESTABLISHED_WEIGHT * np.log(vector)
            reasons.append(Reason(
                "call_languages", float(len(established)), _CONTEXT_ESTABLISHED_WEIGHT,
                "prior from languages established in the call: " + ", ".join(sorted(established)),
            ))
        if context.spoken:
            vector = np.full(len(self.languages), _CONTEXT_LEAK * uniform)
            kept = 0.0
            for code, probability in context.spoken.probabilities:
                if code in index:
                    vector[index[code]] += (1.0 - _CONTEXT_LEAK) * max(0.0, probability)
                    kept += max(0.0, probability)
            if kept > 0:
                prior += _CONTEXT_SPOKEN_WEIGHT * np.log(vector / vector.sum())
                reasons.append(Reason(
                    "spoken_language", context.spoken.top_probability, _CONTEXT_SPOKEN_WEIGHT,
                    f"speech sounds like {context.spoken.top} (p={context.spoken.top_probability:.2f})",
                ))
        return (prior if reasons else None), reasons

    def analyze(self, text: str, context: LanguageContext | None = None) -> TextLanguageResult:
        """Distribution, decision (``None`` below the floor), code-switch spans, reasons."""
        prior, reasons = self._context_prior(context)
        if not text or not has_letters(_cut(text)):  # letters only past the cut count as none
            reasons.append(Reason("no_letters", 0.0, 0.0, "the text holds no letters"))
            if prior is not None and context is not None and context.spoken:
                distribution = self._distribution(prior)
                return self._decide(distribution, (), reasons)
            return TextLanguageResult(LanguageDistribution(), None, (), tuple(reasons))
        cut = _cut(text)
        if len(cut) < len(text):
            reasons.append(Reason("truncated", float(len(text)), 0.0,
                                  f"scored the first {len(cut)} of {len(text)} characters"))
        tokens = self._tokens(cut)
        scores, used, _ = self._evidence(cut, len(tokens), _known(tokens))
        bias, script_language = self._script_bias(cut)
        if bias is not None:
            scores = bias if scores is None else scores + bias
            reasons.append(Reason(
                "script", 1.0, 1.0,
                f"written partly in {'kana' if script_language == 'ja' else 'Hangul'}, "
                f"which only {script_language} uses",
            ))
        if scores is None and prior is None:
            reasons.append(Reason("no_evidence", 0.0, 0.0, "no backend found evidence in the text"))
            return TextLanguageResult(LanguageDistribution(), None, (), tuple(reasons))
        total = (scores if scores is not None else 0.0) + (prior if prior is not None else 0.0)
        distribution = self._distribution(np.asarray(total, dtype=np.float64))
        reasons.insert(0, Reason(
            "text_evidence", float(len(tokens)), 1.0,
            f"{len(tokens)} word(s) scored by {', '.join(used) or 'no backend'}",
        ))
        spans = self._spans(cut, tokens, distribution.top) if len(tokens) >= 2 * _SPAN_MIN_TOKENS else ()
        if spans:
            reasons.append(Reason(
                "code_switching", float(len(spans)), 0.0,
                "mixed languages: " + ", ".join(f"{code} [{s}:{e}]" for s, e, code in spans),
            ))
        return self._decide(distribution, spans, reasons)

    def _decide(
        self,
        distribution: LanguageDistribution,
        spans: tuple[tuple[int, int, LanguageCode], ...],
        reasons: list[Reason],
    ) -> TextLanguageResult:
        language = distribution.top
        if language is not None and distribution.top_probability < self.confidence_floor:
            reasons.append(Reason(
                "low_confidence", distribution.top_probability, 0.0,
                f"top language {language} has p={distribution.top_probability:.2f}, "
                f"below the floor {self.confidence_floor:.2f}",
            ))
            language = None
        return TextLanguageResult(distribution, language, spans, tuple(reasons))

    # ---------------------------------------------------------------- code switching

    def _spans(
        self, text: str, tokens: Sequence[tuple[int, int, int | None]], top: LanguageCode | None
    ) -> tuple[tuple[int, int, LanguageCode], ...]:
        if self._lexicon is None:
            return ()
        vectors = self._lexicon.row_vectors([row for _, _, row in tokens])
        n_tokens, n_languages = vectors.shape
        # Per-token log posteriors (flat where the word is in no list).
        log_post = vectors - vectors.max(axis=1, keepdims=True)
        log_post -= np.log(np.exp(log_post).sum(axis=1, keepdims=True))
        cost = log_post[0].copy()
        back = np.zeros((n_tokens, n_languages), dtype=np.intp)
        for position in range(1, n_tokens):
            best_previous = int(cost.argmax())
            switch = cost[best_previous] - _SPAN_SWITCH_PENALTY
            stay_better = cost >= switch
            back[position] = np.where(stay_better, np.arange(n_languages), best_previous)
            cost = np.maximum(cost, switch) + log_post[position]
        path = [int(cost.argmax())]
        for position in range(n_tokens - 1, 0, -1):
            path.append(int(back[position, path[-1]]))
        path.reverse()
        segments: list[tuple[int, int, int]] = []  # first token, last token, language
        for position, language in enumerate(path):
            if segments and segments[-1][2] == language:
                segments[-1] = (segments[-1][0], position, language)
            else:
                segments.append((position, position, language))
        if len(segments) < 2:
            return ()
        spans: list[tuple[int, int, LanguageCode]] = []
        for first, last, _ in segments:
            start, end = tokens[first][0], tokens[last][1]
            letters = sum(tokens[i][1] - tokens[i][0] for i in range(first, last + 1))
            if last - first + 1 < _SPAN_MIN_TOKENS or letters < _SPAN_MIN_LETTERS:
                return ()
            piece = text[start:end]
            piece_tokens = [(s - start, e - start, row) for s, e, row in tokens[first:last + 1]]
            scores, _, probabilities = self._evidence(piece, len(piece_tokens), _known(piece_tokens))
            if scores is None:
                return ()
            distribution = self._distribution(scores, 1, probabilities)
            if distribution.top_probability < max(self.confidence_floor, 0.7) or distribution.top is None:
                return ()
            if spans and spans[-1][2] == distribution.top:
                spans[-1] = (spans[-1][0], end, distribution.top)
            else:
                spans.append((start, end, distribution.top))
        if len(spans) < 2:
            return ()
        return tuple(spans)
