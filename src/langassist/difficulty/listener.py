"""Adjust an utterance's difficulty for the customer who hears it.

The same sentence is harder for a listener who does not speak its language, or who is
not a native speaker of it. :func:`score_for_listener` raises a base score ``p`` with a
"handicap" ``h`` in 0..1 that takes away that share of whatever ease the utterance had::

    h_language  = 0.6                 listener's language known and different from the
                                      utterance's language
    e           = non-native evidence:
                    0                 native is True (a native listener; accent ignored)
                    accent_strength   when given (clipped to 0..1); at least 0.5 when
                                      native is False
                    1                 native is False and no accent score
                    0                 nothing known
    h_nonnative = 0.35 * e
    h           = 1 - (1 - h_language) * (1 - h_nonnative)
    p'          = p + (1 - p) * h

Properties (tested): ``p' >= p``; ``p'`` grows with ``p``, with the accent strength and
with a language mismatch; ``p' == p`` for a native listener of the utterance's language
or an unknown listener; ``p'`` stays in 0..1; an unknown base score stays unknown.

The weights are design choices, not fitted values: a listener who does not share the
utterance language misses most of it whatever its wording (0.6), and a non-native
listener of the language loses about a third of the remaining ease (0.35).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from langassist.events import Reason, Score, normalize_language

__all__ = ["LANGUAGE_HANDICAP", "NONNATIVE_HANDICAP", "ListenerProfile", "score_for_listener"]

LANGUAGE_HANDICAP = 0.6
NONNATIVE_HANDICAP = 0.35
_KNOWN_NONNATIVE_FLOOR = 0.5


@dataclass(frozen=True, slots=True)
class ListenerProfile:
    """What is known about the listener (usually the customer).

    Attributes:
        language: the listener's own language (ISO 639-1), ``None`` if unknown.
        native: whether the listener is a native speaker of the utterance's language;
            ``None`` if unknown.
        accent_strength: the listener's accent score in the utterance's language (0 =
            native-like, 1 = strong), evidence of a non-native listener; ``None`` if unknown.
    """

    language: str | None = None
    native: bool | None = None
    accent_strength: float | None = None


def nonnative_evidence(listener: ListenerProfile) -> float:
    """The listener's non-native evidence ``e`` in 0..1 (see the module docstring)."""
    if listener.native is True:
        return 0.0
    accent = listener.accent_strength
    if accent is not None and math.isfinite(accent):
        evidence = min(max(float(accent), 0.0), 1.0)
        if listener.native is False:
            evidence = max(evidence, _KNOWN_NONNATIVE_FLOOR)
        return evidence
    return 1.0 if listener.native is False else 0.0


def score_for_listener(
    base: Score, listener: ListenerProfile | None, *, utterance_language: str | None
) -> Score:
    """``base`` adjusted for ``listener`` (formula in the module docstring).

    Args:
        base: the utterance's difficulty for an average listener.
        listener: what is known about the listener; ``None`` leaves ``base`` unchanged.
        utterance_language: the language the utterance is in (``None`` if unknown; then a
            language mismatch cannot be established).
    """
    if base.value is None or listener is None:
        return base
    listener_language = normalize_language(listener.language)
    spoken = normalize_language(utterance_language)
    mismatch = listener_language is not None and spoken is not None and listener_language != spoken
    h_language = LANGUAGE_HANDICAP if mismatch else 0.0
    evidence = nonnative_evidence(listener)
    h_nonnative = NONNATIVE_HANDICAP * evidence
    handicap = 1.0 - (1.0 - h_language) * (1.0 - h_nonnative)
    if handicap <= 0.0:
        return base
    value = min(1.0, max(0.0, base.value))
    adjusted = value + (1.0 - value) * handicap
    delta = adjusted - value
    # Split the rise between the two causes in proportion to -log(1 - h_i).
    weights = {
        "listener_language": -math.log1p(-h_language),
        "listener_nonnative": -math.log1p(-h_nonnative),
    }
    total = sum(weights.values())
    reasons = list(base.reasons)
    if h_language > 0:
        reasons.append(
            Reason(
                "listener_language",
                1.0,
                delta * weights["listener_language"] / total,
                f"the listener's language ({listener_language}) is not the utterance's "
                f"language ({spoken})",
            )
        )
    if h_nonnative > 0:
        if listener.native is False:
            detail = "the listener is not a native speaker of this language"
        else:
            detail = f"the listener's accent ({evidence:.2f}) suggests a non-native speaker"
        reasons.append(
            Reason("listener_nonnative", evidence, delta * weights["listener_nonnative"] / total,
                   detail)
        )
    reasons.sort(key=lambda reason: -abs(reason.contribution))
    return Score(adjusted, tuple(reasons), base.confidence)
