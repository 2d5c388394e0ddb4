"""Events to plain JSON values: one encoder for reports, logs and the wire.

Every event is a frozen dataclass; :func:`event_to_dict` writes its fields with a
``type`` tag (the class name), scores as ``{"value", "confidence", "reasons"}``,
language distributions as ``{code: probability}`` (highest first), and words as
``[start_s, end_s, text, probability]``. Audio samples are never encoded.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from langassist.events import LanguageDistribution, Reason, Score, Word

__all__ = ["encode_value", "event_to_dict"]


def _number(value: float) -> float | None:
    if math.isnan(value) or math.isinf(value):
        return None
    return round(value, 4)


def encode_value(value: Any) -> Any:
    """A JSON-ready copy of ``value`` (see the module docstring)."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, LanguageDistribution):
        return {code: round(p, 4) for code, p in value.probabilities}
    if isinstance(value, Word):
        return [round(value.start_s, 3), round(value.end_s, 3), value.text, round(value.probability, 4)]
    if isinstance(value, Reason):
        return {
            "feature": value.feature,
            "value": _number(value.value),
            "contribution": _number(value.contribution),
            "detail": value.detail,
        }
    if isinstance(value, Score):
        return {
            "value": None if value.value is None else _number(value.value),
            "confidence": _number(value.confidence),
            "reasons": [encode_value(reason) for reason in value.reasons],
        }
    if isinstance(value, np.ndarray):
        return None
    if isinstance(value, dict):
        return {str(key): encode_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_value(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)


def event_to_dict(event: Any) -> dict[str, Any]:
    """``event``'s fields as JSON values, with ``type`` set to its class name."""
    if not dataclasses.is_dataclass(event) or isinstance(event, type):
        raise TypeError(f"not an event: {event!r}")
    data: dict[str, Any] = {"type": type(event).__name__}
    for item in dataclasses.fields(event):
        if item.name == "samples":
            continue
        data[item.name] = encode_value(getattr(event, item.name))
    return data
