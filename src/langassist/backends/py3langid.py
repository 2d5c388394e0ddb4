"""py3langid (langid.py's naive Bayes, numpy port) as a :class:`LanguageIdentifier`.

The identifier is loaded once and restricted with ``set_languages`` to the candidate
languages when given (97 of langid.py's languages are ISO 639-1 codes; a candidate it
does not know is a configuration error). ``identify`` returns the calibrated softmax
(``norm_probs``); :meth:`Py3langidIdentifier.score_vector` gives the log-probabilities
over :attr:`languages` for the ensemble without building a distribution.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from langassist.errors import BackendUnavailable, ConfigError
from langassist.events import LanguageDistribution

__all__ = ["Py3langidIdentifier", "create_py3langid_identifier"]


class Py3langidIdentifier:
    """py3langid restricted to ``candidate_languages`` (all of its languages when empty)."""

    name = "py3langid"

    def __init__(self, candidate_languages: Sequence[str] = ()) -> None:
        try:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier
        except ModuleNotFoundError as exc:
            raise BackendUnavailable(
                "language identifier 'py3langid' needs the package 'py3langid': pip install py3langid"
            ) from exc
        identifier: Any = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        if candidate_languages:
            known = set(identifier.labels)
            unknown = sorted(set(candidate_languages) - known)
            if unknown:
                raise ConfigError(
                    f"language_id.candidate_languages: py3langid has no model for {', '.join(unknown)}"
                )
            identifier.set_languages(list(dict.fromkeys(candidate_languages)))
        self._identifier = identifier
        self.languages: tuple[str, ...] = tuple(identifier.nb_classes)

    def score_vector(self, text: str) -> np.ndarray | None:
        """Log-probabilities over :attr:`languages`, or ``None`` without features."""
        if not text or text.isspace():
            return None
        identifier = self._identifier
        encoded = identifier._encode(text)
        raw = identifier._raw_score(encoded)
        if not np.any(raw):
            return None
        scores = np.asarray(raw, dtype=np.float64) / math.sqrt(len(encoded) or 1)
        scores -= scores.max()
        return scores - math.log(float(np.exp(scores).sum()))

    def identify(self, text: str) -> LanguageDistribution:
        scores = self.score_vector(text)
        if scores is None:
            return LanguageDistribution()
        return LanguageDistribution.from_mapping(zip(self.languages, np.exp(scores).tolist(), strict=True))


def create_py3langid_identifier(settings: Any = None) -> Py3langidIdentifier:
    """Registry factory: py3langid restricted to the candidate languages."""
    candidates = getattr(getattr(settings, "language_id", None), "candidate_languages", ())
    return Py3langidIdentifier(candidates or ())
