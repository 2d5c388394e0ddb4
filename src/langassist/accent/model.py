"""The calibrated accent model: speaker evidence -> features -> logistic score 0..1.

The model is a small logistic regression over standardized features, fitted by
``benchmarks/train_accent.py`` on the training speakers of
``benchmarks/splits/accent-split.json`` and shipped as JSON
(``langassist/data/accent-model.json``). Its output is the probability that the speaker
is not a native speaker of the language being spoken, with equal prior odds; the
features are:

* ``spoken_language_logit``: log-odds that Whisper gives the spoken language (native
  speech sits near certainty; an accent moves mass to other languages);
* ``mean_word_probability`` / ``low_probability_share`` / ``avg_logprob``: how sure the
  recognizer is of the words;
* ``words_per_s`` / ``pause_share``: speech rate and hesitation.

A feature that could not be measured (no distribution from an English-only model, no
word timestamps) is set to its training mean, so it moves nothing, and the score's
confidence drops by that feature's share of the model's weight.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from langassist.accent.evidence import SpeakerEvidence
from langassist.errors import ConfigError
from langassist.events import LanguageCode, Reason

__all__ = [
    "FEATURES",
    "MODEL_SCHEMA",
    "AccentModel",
    "ModelOutput",
    "load_accent_model",
    "speaker_features",
]

MODEL_SCHEMA = "langassist.accent-model/1"
DEFAULT_MODEL_FILE = "accent-model.json"
_PROBABILITY_FLOOR = 1e-3

FEATURES: tuple[str, ...] = (
    "spoken_language_logit",
    "other_language_mass",
    "mean_word_probability",
    "low_probability_share",
    "avg_logprob",
    "words_per_s",
    "pause_share",
)
"""Every feature :func:`speaker_features` can compute; a model uses a subset."""


def _logit(probability: float) -> float:
    p = min(1.0 - _PROBABILITY_FLOOR, max(_PROBABILITY_FLOOR, probability))
    return math.log(p / (1.0 - p))


def speaker_features(
    evidence: SpeakerEvidence, language: LanguageCode | None
) -> dict[str, float | None]:
    """Feature values of one speaker's pooled evidence (``None`` = not measured).

    Args:
        language: the language being spoken; the language features need it.
    """
    spoken: float | None = None
    if language is not None and evidence.language is not None:
        spoken = evidence.language.probability(language)
    return {
        "spoken_language_logit": None if spoken is None else _logit(spoken),
        "other_language_mass": None if spoken is None else max(0.0, 1.0 - spoken),
        "mean_word_probability": evidence.mean_word_probability,
        "low_probability_share": evidence.low_probability_share,
        "avg_logprob": evidence.avg_logprob,
        "words_per_s": evidence.words_per_s,
        "pause_share": evidence.pause_share,
    }


def _sigmoid(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    exp = math.exp(value)
    return exp / (1.0 + exp)


@dataclass(frozen=True, slots=True)
class ModelOutput:
    """One scoring: the 0..1 value, each feature's effect and the measured share."""

    value: float
    reasons: tuple[Reason, ...]
    coverage: float
    """Share of the model's absolute weight whose features were measured (0..1)."""


_DESCRIPTIONS: dict[str, str] = {
    "spoken_language_logit": "probability Whisper gives the spoken language",
    "other_language_mass": "probability Whisper gives other languages",
    "mean_word_probability": "mean word confidence of the recognizer",
    "low_probability_share": "share of words the recognizer is unsure of",
    "avg_logprob": "recognizer's mean token log-probability",
    "words_per_s": "speech rate in words per second",
    "pause_share": "share of speaking time spent in pauses",
}


@dataclass(frozen=True, slots=True)
class AccentModel:
    """Logistic regression over standardized features, as fitted by the training script.

    Attributes:
        features: names from :data:`FEATURES`.
        mean / scale: standardization, one per feature.
        coefficients: one per feature (on standardized values).
        intercept: log-odds at the training mean.
        native_reference: typical value of each feature for native training speakers,
            quoted in the reasons.
        metadata: how the model was fitted (split, data, command).
    """

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float
    native_reference: Mapping[str, float] = field(default_factory=dict)
    first_language_min_mass: float = 0.1
    first_language_min_share: float = 0.4
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.features)
        if not n or any(len(v) != n for v in (self.mean, self.scale, self.coefficients)):
            raise ConfigError("accent model: features, mean, scale and coefficients must match")
        unknown = [name for name in self.features if name not in FEATURES]
        if unknown:
            raise ConfigError(f"accent model: unknown features {unknown}; known: {list(FEATURES)}")
        if any(not (s > 0.0) for s in self.scale):
            raise ConfigError("accent model: every scale must be positive")

    # -- scoring -------------------------------------------------------------------

    def logit(self, values: Mapping[str, float | None]) -> float:
        total = self.intercept
        for name, mean, scale, coefficient in zip(
            self.features, self.mean, self.scale, self.coefficients, strict=True
        ):
            value = values.get(name)
            if value is not None:
                total += coefficient * (value - mean) / scale
        return total

    def score(self, values: Mapping[str, float | None]) -> ModelOutput:
        """Score feature values; missing features sit at their training mean."""
        terms: list[tuple[str, float | None, float]] = []
        weight_total = sum(abs(c) for c in self.coefficients) or 1.0
        measured_weight = 0.0
        for name, mean, scale, coefficient in zip(
            self.features, self.mean, self.scale, self.coefficients, strict=True
        ):
            value = values.get(name)
            term = 0.0 if value is None else coefficient * (value - mean) / scale
            if value is not None:
                measured_weight += abs(coefficient)
            terms.append((name, value, term))
        logit = self.intercept + sum(term for _, _, term in terms)
        value = _sigmoid(logit)
        reasons = []
        missing = []
        for name, raw, term in terms:
            if raw is None:
                missing.append(_DESCRIPTIONS[name])
                continue
            contribution = value - _sigmoid(logit - term)
            reasons.append(Reason(name, round(raw, 4), round(contribution, 4), self._detail(name, raw)))
        reasons.sort(key=lambda r: -abs(r.contribution))
        if missing:
            reasons.append(
                Reason("not_measured", float(len(missing)), 0.0, "not measured: " + "; ".join(missing))
            )
        return ModelOutput(value=value, reasons=tuple(reasons), coverage=measured_weight / weight_total)

    def _detail(self, name: str, value: float) -> str:
        reference = self.native_reference.get(name)
        shown = _format(name, value)
        text = f"{_DESCRIPTIONS[name]}: {shown}"
        if reference is not None:
            text += f" (native speakers: about {_format(name, reference)})"
        return text

    # -- persistence ---------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": MODEL_SCHEMA,
            "features": list(self.features),
            "mean": [round(v, 6) for v in self.mean],
            "scale": [round(v, 6) for v in self.scale],
            "coefficients": [round(v, 6) for v in self.coefficients],
            "intercept": round(self.intercept, 6),
            "native_reference": {k: round(v, 4) for k, v in self.native_reference.items()},
            "first_language": {
                "min_mass": self.first_language_min_mass,
                "min_share": self.first_language_min_share,
            },
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AccentModel:
        if data.get("schema") != MODEL_SCHEMA:
            raise ConfigError(f"accent model schema {data.get('schema')!r}: expected {MODEL_SCHEMA!r}")
        try:
            first = data.get("first_language") or {}
            return cls(
                features=tuple(str(name) for name in data["features"]),
                mean=_floats(data["mean"]),
                scale=_floats(data["scale"]),
                coefficients=_floats(data["coefficients"]),
                intercept=float(data["intercept"]),
                native_reference={str(k): float(v) for k, v in (data.get("native_reference") or {}).items()},
                first_language_min_mass=float(first.get("min_mass", 0.1)),
                first_language_min_share=float(first.get("min_share", 0.4)),
                metadata=dict(data.get("metadata") or {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"malformed accent model: {exc}") from exc


def _floats(values: Sequence[Any]) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def _format(name: str, value: float) -> str:
    if name == "spoken_language_logit":
        return f"{_sigmoid(value):.0%}"
    if name in {"other_language_mass", "low_probability_share", "pause_share"}:
        return f"{value:.0%}"
    if name == "words_per_s":
        return f"{value:.1f}/s"
    return f"{value:.2f}"


def load_accent_model(path: str | Path | None = None) -> AccentModel:
    """Load the fitted model: the bundled ``accent-model.json``, or ``path``."""
    try:
        if path is None:
            text = resources.files("langassist").joinpath("data", DEFAULT_MODEL_FILE).read_text("utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError) as exc:
        raise ConfigError(f"accent model not found: {path or DEFAULT_MODEL_FILE}: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"accent model is not JSON: {exc}") from exc
    return AccentModel.from_dict(data)
