"""py3langid (langid.py's naive Bayes, numpy port) as a :class:`LanguageIdentifier`.

The identifier is loaded once and restricted with ``set_languages`` to the candidate
languages when given (97 of langid.py's languages are ISO 639-1 codes; a candidate it
does not know is a configuration error). ``identify`` returns the calibrated softmax
(``norm_probs``); :meth:`Py3langidIdentifier.score_vector` gives the log-probabilities
over :attr:`languages` for the ensemble without building a distribution.

:meth:`Py3langidIdentifier.score_matrix` scores many texts at once with the same model
and the same numbers: py3langid walks a byte automaton (its feature n-grams as an
Aho-Corasick machine) one byte at a time in Python; here every text's automaton takes
its next byte in one numpy step (the texts sorted by length, so the ones still running
are a prefix), and the feature counts of all texts meet the naive Bayes table in one
gather and one segmented sum.
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
        self._automaton: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

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

    def native_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The model for the compiled cascade (``langassist.langid._cascade``): next-state
        table (uint32), row offsets and outputs (int64), the feature-by-language table as
        float32 (py3langid stores float16; widening is exact) and the class priors."""
        nextmove, rowbase, outputs = self._arrays()
        identifier = self._identifier
        return (
            np.ascontiguousarray(nextmove, dtype=np.uint32),
            np.ascontiguousarray(rowbase, dtype=np.int64),
            np.ascontiguousarray(outputs, dtype=np.int64),
            np.ascontiguousarray(identifier.nb_ptc, dtype=np.float32),
            np.ascontiguousarray(identifier.nb_pc, dtype=np.float32),
        )

    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The automaton as numpy arrays (next state table, row offsets, outputs), made on
        first use; the transition table is a view of py3langid's own array."""
        if self._automaton is None:
            identifier = self._identifier
            self._automaton = (
                np.frombuffer(identifier.tk_nextmove, dtype=np.uint32),
                np.asarray(identifier._rowbase, dtype=np.int64),
                np.asarray(identifier.tk_output, dtype=np.int64),
            )
        return self._automaton

    def score_matrix(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`score_vector` of every text: ``(len(texts), len(languages))``
        log-probabilities and a mask of the texts that have features (rows without are
        zeros). Equal to scoring one by one, up to float rounding."""
        n_languages = len(self.languages)
        out = np.zeros((len(texts), n_languages))
        present = np.zeros(len(texts), dtype=bool)
        identifier = self._identifier
        encoded = [identifier._encode(text) if text and not text.isspace() else b"" for text in texts]
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        busy = int(np.count_nonzero(lengths))
        if not busy:
            return out, present
        nextmove, rowbase, outputs = self._arrays()
        width = int(lengths[0])
        data = np.frombuffer(b"".join(encoded[i] for i in order[:busy].tolist()), dtype=np.uint8)
        starts = np.cumsum(lengths[:busy]) - lengths[:busy]
        # running[t]: how many texts (a prefix, longest first) have a byte at position t;
        # their bytes there are data[starts[:running[t]] + t] (no padded copy is made).
        running = np.searchsorted(-lengths[:busy], -np.arange(width), side="left")
        state = np.zeros(busy, dtype=np.int64)
        hit_texts: list[np.ndarray] = []
        hit_features: list[np.ndarray] = []
        for position in range(width):
            active = int(running[position])
            current = nextmove[rowbase[state[:active]] + data[starts[:active] + position]].astype(np.int64)
            state[:active] = current
            features = outputs[current]
            hits = np.flatnonzero(features >= 0)
            if hits.size:
                hit_texts.append(hits)
                hit_features.append(features[hits])
        if not hit_texts:
            return out, present
        n_features = identifier.nb_ptc.shape[0]
        pairs, counts = np.unique(np.concatenate(hit_texts) * n_features + np.concatenate(hit_features),
                                  return_counts=True)
        owner, feature = np.divmod(pairs, n_features)
        weighted = np.log1p(counts.astype(np.float32))[:, None] * identifier.nb_ptc[feature].astype(np.float32)
        firsts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        raw = np.add.reduceat(weighted, firsts, axis=0) + identifier.nb_pc
        rows = owner[firsts]
        scores = raw.astype(np.float64) / np.sqrt(lengths[rows].astype(np.float64))[:, None]
        scores -= scores.max(axis=1, keepdims=True)
        scores -= np.log(np.exp(scores).sum(axis=1, keepdims=True))
        targets = order[rows]
        out[targets] = scores
        present[targets] = np.any(raw != 0.0, axis=1)
        out[~present] = 0.0
        return out, present

    def identify(self, text: str) -> LanguageDistribution:
        scores = self.score_vector(text)
        if scores is None:
            return LanguageDistribution()
        return LanguageDistribution.from_mapping(zip(self.languages, np.exp(scores).tolist(), strict=True))


def create_py3langid_identifier(settings: Any = None) -> Py3langidIdentifier:
    """Registry factory: py3langid restricted to the candidate languages."""
    candidates = getattr(getattr(settings, "language_id", None), "candidate_languages", ())
    return Py3langidIdentifier(candidates or ())
