"""lingua-py as a :class:`LanguageIdentifier`, in low- or high-accuracy mode.

The detector is built once per adapter, restricted to the candidate languages when
given (all 75 of lingua's languages otherwise). High-accuracy mode uses 1- to 5-gram
models and is the most accurate on short texts; low-accuracy mode uses trigrams only
and is several times faster and lighter. lingua's own "unknown" (all confidences zero)
becomes an empty distribution.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from langassist.errors import BackendUnavailable, ConfigError
from langassist.events import LanguageDistribution

__all__ = ["LinguaIdentifier", "create_lingua_high_identifier", "create_lingua_identifier"]


def _import_lingua() -> Any:
    try:
        import lingua
    except ModuleNotFoundError as exc:
        raise BackendUnavailable(
            "language identifier 'lingua' needs the package 'lingua-language-detector': "
            "pip install lingua-language-detector"
        ) from exc
    return lingua


class LinguaIdentifier:
    """lingua restricted to ``candidate_languages``.

    Args:
        candidate_languages: ISO 639-1 codes (at least two), or empty for all languages.
        high_accuracy: use the 1-5-gram models (slower, better on short text).
        preload: load every language model now instead of on first use.
    """

    def __init__(
        self,
        candidate_languages: Sequence[str] = (),
        *,
        high_accuracy: bool = False,
        preload: bool = False,
    ) -> None:
        lingua = _import_lingua()
        builder_type = lingua.LanguageDetectorBuilder
        if candidate_languages:
            codes = list(dict.fromkeys(candidate_languages))
            if len(codes) < 2:
                raise ConfigError(
                    "language_id.candidate_languages: lingua needs at least two languages"
                )
            iso_codes = []
            for code in codes:
                iso = getattr(lingua.IsoCode639_1, code.upper(), None)
                if iso is None or not any(
                    language.iso_code_639_1 == iso for language in lingua.Language.all()
                ):
                    raise ConfigError(f"language_id.candidate_languages: lingua has no model for {code!r}")
                iso_codes.append(iso)
            builder = builder_type.from_iso_codes_639_1(*iso_codes)
        else:
            builder = builder_type.from_all_languages()
        if not high_accuracy:
            builder = builder.with_low_accuracy_mode()
        if preload:
            builder = builder.with_preloaded_language_models()
        self._detector = builder.build()
        self.high_accuracy = high_accuracy
        self.name = "lingua-high" if high_accuracy else "lingua"
        languages = sorted(
            (language for language in lingua.Language.all()
             if not candidate_languages
             or language.iso_code_639_1.name.lower() in set(candidate_languages)),
            key=lambda language: language.iso_code_639_1.name,
        )
        self.languages: tuple[str, ...] = tuple(lang.iso_code_639_1.name.lower() for lang in languages)
        self._index = {language: i for i, language in enumerate(languages)}

    def score_vector(self, text: str) -> np.ndarray | None:
        """Log-confidences over :attr:`languages`, or ``None`` when lingua abstains."""
        values = self._detector.compute_language_confidence_values(text)
        vector = np.full(len(self.languages), 1e-6)
        total = 0.0
        for item in values:
            position = self._index.get(item.language)
            if position is not None:
                vector[position] += item.value
                total += item.value
        if total <= 0.0:
            return None
        return np.log(vector / vector.sum())  # type: ignore[no-any-return]

    def score_matrix(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`score_vector` of every text through lingua's parallel batch API:
        ``(len(texts), len(languages))`` log-confidences and a mask of the texts lingua
        did not abstain on (rows where it did are zeros)."""
        out = np.zeros((len(texts), len(self.languages)))
        if not texts:
            return out, np.zeros(0, dtype=bool)
        index = self._index
        confidences = np.zeros((len(texts), len(self.languages)))
        batches = self._detector.compute_language_confidence_values_in_parallel(list(texts))
        for row, values in enumerate(batches):
            for item in values:
                position = index.get(item.language)
                if position is not None:
                    confidences[row, position] = item.value
        present = confidences.sum(axis=1) > 0.0
        vectors = confidences[present] + 1e-6
        out[present] = np.log(vectors / vectors.sum(axis=1, keepdims=True))
        return out, present

    def identify(self, text: str) -> LanguageDistribution:
        values = self._detector.compute_language_confidence_values(text)
        return LanguageDistribution.from_mapping(
            (item.language.iso_code_639_1.name, item.value) for item in values if item.value > 0.0
        )

    def identify_many(self, texts: Sequence[str]) -> list[LanguageDistribution]:
        """:meth:`identify` of every text, through lingua's own parallel batch API."""
        batches = self._detector.compute_language_confidence_values_in_parallel(list(texts))
        return [
            LanguageDistribution.from_mapping(
                (item.language.iso_code_639_1.name, item.value) for item in values if item.value > 0.0
            )
            for values in batches
        ]


def _candidates(settings: Any) -> tuple[str, ...]:
    return tuple(getattr(getattr(settings, "language_id", None), "candidate_languages", ()) or ())


def create_lingua_identifier(settings: Any = None) -> LinguaIdentifier:
    """Registry factory ("lingua"): low-accuracy mode, restricted to the candidates."""
    return LinguaIdentifier(_candidates(settings), high_accuracy=False)


def create_lingua_high_identifier(settings: Any = None) -> LinguaIdentifier:
    """Registry factory ("lingua-high"): high-accuracy mode, restricted to the candidates."""
    return LinguaIdentifier(_candidates(settings), high_accuracy=True)
