"""A small L2-regularized logistic regression in numpy: fit (Newton steps) and predict.

The shipped clarification model is one of these, stored as JSON. Fitting lives here too
so that training, tests and the benchmark share one implementation; it is deterministic
(no random initialization) and needs nothing beyond numpy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from langassist.errors import ConfigError

__all__ = ["LogisticHead", "fit_logistic"]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)))


@dataclass(frozen=True, slots=True, eq=False)
class LogisticHead:
    """``p = sigmoid(((x - mean) / scale) @ weights + bias)``; positive when ``p >= threshold``."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    threshold: float = 0.5

    def __post_init__(self) -> None:
        size = self.weights.shape
        if self.mean.shape != size or self.scale.shape != size or len(size) != 1:
            raise ConfigError(
                f"logistic head: mean {self.mean.shape}, scale {self.scale.shape} and weights "
                f"{self.weights.shape} must be vectors of one length"
            )
        if not 0.0 <= self.threshold <= 1.0:
            raise ConfigError(f"logistic head: threshold {self.threshold} must be in 0..1")
        if np.any(self.scale <= 0) or not np.all(np.isfinite(self.weights)):
            raise ConfigError("logistic head: scales must be positive and weights finite")

    @property
    def size(self) -> int:
        return int(self.weights.shape[0])

    def standardize(self, features: np.ndarray) -> np.ndarray:
        return np.asarray((np.atleast_2d(features) - self.mean) / self.scale)

    def logits(self, features: np.ndarray) -> np.ndarray:
        return np.asarray(self.standardize(features) @ self.weights + self.bias)

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """Positive-class probability per row of ``features``."""
        return _sigmoid(self.logits(features))

    def with_threshold(self, threshold: float) -> LogisticHead:
        return LogisticHead(self.mean, self.scale, self.weights, self.bias, threshold)

    def to_dict(self, decimals: int = 6) -> dict[str, Any]:
        return {
            "mean": [round(float(v), decimals) for v in self.mean],
            "scale": [round(float(v), decimals) for v in self.scale],
            "weights": [round(float(v), decimals) for v in self.weights],
            "bias": round(float(self.bias), decimals),
            "threshold": round(float(self.threshold), decimals),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LogisticHead:
        try:
            return cls(
                mean=np.asarray(data["mean"], dtype=np.float64),
                scale=np.asarray(data["scale"], dtype=np.float64),
                weights=np.asarray(data["weights"], dtype=np.float64),
                bias=float(data["bias"]),
                threshold=float(data.get("threshold", 0.5)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"logistic head: malformed parameters ({exc})") from exc


def fit_logistic(
    features: np.ndarray,
    labels: Sequence[int] | np.ndarray,
    *,
    l2: float = 1.0,
    sample_weight: np.ndarray | None = None,
    balance_classes: bool = True,
    max_iter: int = 50,
    tolerance: float = 1e-8,
) -> LogisticHead:
    """Fit a logistic regression by Newton's method on standardized features.

    Args:
        features: ``(n, d)`` array.
        labels: ``n`` values in {0, 1}.
        l2: penalty on the (standardized) weights, not on the bias; larger is smoother.
        sample_weight: optional per-row weights.
        balance_classes: weight rows so both classes carry equal total weight.
        max_iter: Newton steps at most.
        tolerance: stop when the largest parameter change is below this.
    """
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"features {x.shape} and labels {y.shape} do not line up")
    if not set(np.unique(y).tolist()) <= {0.0, 1.0} or len(np.unique(y)) < 2:
        raise ValueError("labels must hold both 0 and 1")
    if l2 <= 0:
        raise ValueError("l2 must be positive")
    weight = np.ones_like(y) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if balance_classes:
        positives = weight[y == 1].sum()
        negatives = weight[y == 0].sum()
        weight = weight * np.where(y == 1, 0.5 / positives, 0.5 / negatives) * len(y)
    mean = np.average(x, axis=0, weights=weight)
    scale = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=weight))
    scale[scale < 1e-8] = 1.0
    z = np.hstack([np.ones((x.shape[0], 1)), (x - mean) / scale])
    penalty = np.full(z.shape[1], l2)
    penalty[0] = 0.0
    theta = np.zeros(z.shape[1])
    for _ in range(max_iter):
        p = _sigmoid(z @ theta)
        gradient = z.T @ (weight * (p - y)) + penalty * theta
        hessian = (z * (weight * p * (1 - p))[:, None]).T @ z + np.diag(penalty) + 1e-9 * np.eye(z.shape[1])
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.max(np.abs(step)) < tolerance:
            break
    return LogisticHead(mean=mean, scale=scale, weights=theta[1:], bias=float(theta[0]))
