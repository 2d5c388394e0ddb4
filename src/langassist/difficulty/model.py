"""The difficulty model: plain JSON weights applied with numpy.

The score of an utterance is ``sigmoid(gain * latent)``, where the latent difficulty is
the sum of two parts:

* **Learned** (``learned`` in the JSON): a linear ranking function over standardized
  readability features (sentence length, syllables, word rarity, CEFR level, clauses,
  codes ...), fitted by ``benchmarks/train_difficulty.py`` as a pairwise logistic
  regression on the training topics of OneStopEnglish (harder rewrite vs simpler
  rewrite of the same sentence, and harder vs simpler version of the same text). Its
  output is shifted so that 0 lies halfway between the mean elementary and the mean
  advanced training sentence, and scaled so that one unit is one standard deviation over
  the training sentences.
* **Hand-set** (``priors`` in the JSON): features the training corpus does not contain or
  cannot measure: speech rate (no audio), glossary jargon, idioms and unexplained
  acronyms (news text has next to none). Each adds
  ``weight * clip(value - reference, low, high)`` to the latent, with separate weights
  above and below the reference. These weights are choices, documented here and in the
  JSON, not fitted values.

A feature that could not be measured contributes nothing (its standardized value is
taken as the training mean). Contributions are reported per feature in the score's units
by spreading ``score - baseline`` over the features in proportion to their latent
contributions, where the baseline is the score of an average training sentence with no
hand-set feature present.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from langassist.errors import ConfigError

__all__ = [
    "DEFAULT_MODEL",
    "DifficultyModel",
    "LatentDifficulty",
    "LearnedPart",
    "PriorTerm",
    "load_model",
    "model_template",
]

DEFAULT_MODEL = "difficulty-model.json"
MODEL_VERSION = 1

LEARNED_FEATURES: tuple[str, ...] = (
    "sentence_length",
    "long_words",
    "syllables_per_word",
    "word_length",
    "word_frequency",
    "rare_words",
    "rarest_word",
    "rarity_load",
    "cefr_level",
    "advanced_words",
    "cefr_load",
    "clauses",
    "codes",
    "numbers",
)
"""Features the ranking model is fitted on (a subset of ``features.FEATURE_NAMES``)."""

LOG_FEATURES = frozenset({"sentence_length", "rarity_load", "cefr_load", "clauses"})
"""Features entered as ``log(1 + value)``: their effect flattens for large values."""

EXPECTED_SIGN: dict[str, int] = {name: 1 for name in LEARNED_FEATURES} | {
    "word_frequency": -1,
    "rarest_word": -1,
}
"""Direction in which each feature may make an utterance harder. Training drops a feature
whose fitted weight points the other way (a side effect of correlated features), so that
every reason reads the right way round."""

GAIN = 1.7
"""Slope of the final sigmoid. One latent unit is one standard deviation of the learned
score over the training sentences, and sigmoid(1.7 x) approximates the normal CDF, so a
score is roughly the share of the graded news sentences that are easier."""


@dataclass(frozen=True, slots=True)
class PriorTerm:
    """A hand-set latent contribution: ``weight * clip(value - reference, low, high)``.

    ``weight_below`` applies when the value is under the reference. ``reference`` may be
    overridden at run time (speech rate uses ``AssessmentSettings.target_syllables_per_s``).
    """

    feature: str
    reference: float
    weight_above: float
    weight_below: float
    low: float
    high: float
    why: str = ""

    def contribution(self, value: float, reference: float | None = None) -> float:
        offset = value - (self.reference if reference is None else reference)
        offset = min(max(offset, self.low), self.high)
        return offset * (self.weight_above if offset > 0 else self.weight_below)


@dataclass(frozen=True, slots=True)
class LearnedPart:
    """Standardized linear ranking function with its calibration."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    center: float
    unit: float


@dataclass(frozen=True, slots=True)
class LatentDifficulty:
    """Latent difficulty of one utterance with per-feature latent contributions."""

    latent: float
    baseline: float
    contributions: dict[str, float] = field(default_factory=dict)


class DifficultyModel:
    """Applies the JSON model to feature values. Cheap: one small dot product."""

    def __init__(
        self,
        learned: LearnedPart | None,
        priors: tuple[PriorTerm, ...],
        *,
        gain: float = GAIN,
        document: Mapping[str, Any] | None = None,
    ) -> None:
        self.learned = learned
        self.priors = priors
        self.gain = gain
        self.document: dict[str, Any] = dict(document or {})

    # -- construction -----------------------------------------------------------------

    @property
    def learned_names(self) -> tuple[str, ...]:
        """Names of the features the learned part reads (the template's list before fitting)."""
        if self.learned is not None:
            return self.learned.features
        names = self.document.get("learned", {}).get("features", LEARNED_FEATURES)
        return tuple(names)

    @classmethod
    def from_dict(cls, document: Mapping[str, Any], *, source: str = "<dict>") -> DifficultyModel:
        """Build from the JSON document; a template without weights has no learned part."""
        try:
            if int(document.get("version", 0)) != MODEL_VERSION:
                raise ConfigError(
                    f"difficulty model {source}: version {document.get('version')!r} is not "
                    f"supported (expected {MODEL_VERSION})"
                )
            priors = tuple(
                PriorTerm(
                    feature=str(item["feature"]),
                    reference=float(item["reference"]),
                    weight_above=float(item["weight_above"]),
                    weight_below=float(item["weight_below"]),
                    low=float(item["low"]),
                    high=float(item["high"]),
                    why=str(item.get("why", "")),
                )
                for item in document.get("priors", [])
            )
            learned_doc = document.get("learned", {})
            learned: LearnedPart | None = None
            if "weights" in learned_doc:
                features = tuple(str(name) for name in learned_doc["features"])
                arrays = [
                    np.asarray(learned_doc[key], dtype=np.float64)
                    for key in ("mean", "scale", "weights")
                ]
                if any(array.shape != (len(features),) for array in arrays):
                    raise ConfigError(
                        f"difficulty model {source}: mean, scale and weights must each hold "
                        f"{len(features)} numbers, one per feature"
                    )
                if np.any(arrays[1] <= 0) or not all(np.all(np.isfinite(a)) for a in arrays):
                    raise ConfigError(f"difficulty model {source}: non-finite or zero scale")
                unit = float(learned_doc["unit"])
                if not math.isfinite(unit) or unit <= 0:
                    raise ConfigError(f"difficulty model {source}: 'unit' must be positive")
                learned = LearnedPart(
                    features, arrays[0], arrays[1], arrays[2], float(learned_doc["center"]), unit
                )
            gain = float(document.get("gain", GAIN))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"difficulty model {source} is malformed: {exc!r}") from exc
        return cls(learned, priors, gain=gain, document=document)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.document)

    # -- application --------------------------------------------------------------------

    def raw_vector(self, values: Mapping[str, float]) -> np.ndarray:
        """Transformed learned-feature values, NaN where a feature is missing."""
        names = self.learned_names
        vector = np.full(len(names), np.nan)
        for index, name in enumerate(names):
            value = values.get(name)
            if value is None or not math.isfinite(value):
                continue
            vector[index] = math.log1p(max(value, 0.0)) if name in LOG_FEATURES else value
        return vector

    def latent(
        self, values: Mapping[str, float], *, references: Mapping[str, float] | None = None
    ) -> LatentDifficulty:
        """Latent difficulty and each feature's share of it.

        Args:
            values: feature name -> measured value (missing features are left out).
            references: run-time reference overrides for hand-set terms
                (``{"speech_rate": 4.0}``).
        """
        contributions: dict[str, float] = {}
        baseline = 0.0
        if self.learned is not None:
            learned = self.learned
            standardized = (self.raw_vector(values) - learned.mean) / learned.scale
            standardized = np.nan_to_num(standardized, nan=0.0, posinf=0.0, neginf=0.0)
            standardized = np.clip(standardized, -6.0, 6.0)
            parts = standardized * learned.weights / learned.unit
            baseline = -learned.center / learned.unit
            for name, part in zip(learned.features, parts, strict=True):
                if name in values:
                    contributions[name] = float(part)
        for term in self.priors:
            value = values.get(term.feature)
            if value is None or not math.isfinite(value):
                continue
            reference = (references or {}).get(term.feature)
            contributions[term.feature] = contributions.get(term.feature, 0.0) + (
                term.contribution(value, reference)
            )
        latent = baseline + sum(contributions.values())
        return LatentDifficulty(latent, baseline, contributions)

    def probability(self, latent: float) -> float:
        """Map a latent difficulty to 0..1."""
        return _sigmoid(self.gain * latent)

    def score_contributions(self, latent: LatentDifficulty) -> tuple[float, dict[str, float]]:
        """The 0..1 score and each feature's contribution in score units (they sum to
        ``score - baseline score``)."""
        score = self.probability(latent.latent)
        base = self.probability(latent.baseline)
        delta = latent.latent - latent.baseline
        if abs(delta) > 1e-9:
            slope = (score - base) / delta
        else:
            slope = self.gain * base * (1.0 - base)
        return score, {name: part * slope for name, part in latent.contributions.items()}


def _sigmoid(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    exp = math.exp(value)
    return exp / (1.0 + exp)


def model_template() -> dict[str, Any]:
    """The model document before fitting: hand-set terms and the learned feature list.

    ``benchmarks/train_difficulty.py`` fills in ``learned`` and ``training``.
    """
    return {
        "version": MODEL_VERSION,
        "name": "langassist-difficulty-pairwise",
        "description": (
            "score = sigmoid(gain * latent); latent = learned ranking (OneStopEnglish "
            "train topics) + hand-set terms. See langassist/difficulty/model.py."
        ),
        "gain": GAIN,
        "log_features": sorted(LOG_FEATURES),
        "learned": {"features": list(LEARNED_FEATURES)},
        "priors": [
            {
                "feature": "speech_rate",
                "reference": 4.0,
                "weight_above": 0.6,
                "weight_below": 0.15,
                "low": -2.0,
                "high": 3.0,
                "why": "syllables/s above AssessmentSettings.target_syllables_per_s (the "
                "reference at run time) make speech harder to follow for a non-native "
                "listener; +0.6 latent per extra syllable/s, up to 3; slower speech helps a "
                "little (0.15 per syllable/s, at most 2).",
            },
            {
                "feature": "jargon",
                "reference": 0.0,
                "weight_above": 0.5,
                "weight_below": 0.0,
                "low": 0.0,
                "high": 4.0,
                "why": "each glossary term or acronym per sentence adds 0.5 latent, counting at most 4 per sentence.",
            },
            {
                "feature": "acronyms",
                "reference": 0.0,
                "weight_above": 0.6,
                "weight_below": 0.0,
                "low": 0.0,
                "high": 3.0,
                "why": "an acronym not in the glossary nor in the everyday list is "
                "unexplained: 0.6 latent each per sentence, counting at most 3.",
            },
            {
                "feature": "idioms",
                "reference": 0.0,
                "weight_above": 0.6,
                "weight_below": 0.0,
                "low": 0.0,
                "high": 2.0,
                "why": "idioms are opaque to learners: 0.6 latent each per sentence, counting at most 2.",
            },
        ],
    }


def load_model(path: str | Path | None = None) -> DifficultyModel:
    """Load the shipped model, or the JSON file at ``path``.

    Raises:
        ConfigError: the file is missing or malformed.
    """
    if path is None:
        resource = resources.files("langassist").joinpath("data", DEFAULT_MODEL)
        source = f"langassist/data/{DEFAULT_MODEL}"
        try:
            text = resource.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise ConfigError(
                f"{source} is missing: run python benchmarks/train_difficulty.py"
            ) from exc
    else:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"difficulty model {source} cannot be read: {exc}") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"difficulty model {source} is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ConfigError(f"difficulty model {source} must be a JSON object")
    return DifficultyModel.from_dict(document, source=source)
