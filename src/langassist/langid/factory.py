"""Build the text language ID ensemble from settings, through the backend registry.

The process owner calls :func:`create_ensemble_identifier` once (it loads models and the
wordfreq lexicon, from the model cache folder when it was built before) and passes the
result to the stage; nothing here runs at import time.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from langassist.backends import registry
from langassist.events import LanguageCode, LanguageDistribution
from langassist.langid.ensemble import (
    LexiconScorer,
    TextLanguageEnsemble,
    load_ensemble_weights,
)

__all__ = ["DEFAULT_LANGUAGES", "LazyEnsembleIdentifier", "create_ensemble_identifier", "shared_ensemble_identifier"]

DEFAULT_LANGUAGES: tuple[LanguageCode, ...] = tuple(
    "ar cs de en es fa fr hi id it ja ko nl pl pt ro ru sv tr uk vi zh".split()
)
"""Languages used when ``language_id.candidate_languages`` is empty: the 22 the ensemble
weights were fitted on (all have wordfreq lists and models in every backend)."""


def _with_candidates(settings: Any, languages: Sequence[LanguageCode]) -> Any:
    import dataclasses

    return dataclasses.replace(
        settings, language_id=dataclasses.replace(settings.language_id, candidate_languages=tuple(languages))
    )


def create_ensemble_identifier(settings: Any, *, use_lexicon: bool = True) -> TextLanguageEnsemble:
    """The cascade over the backends in ``settings.language_id.backends`` that its fitted
    stages name (a configured backend no stage uses is not loaded), plus wordfreq."""
    from langassist.langid.lexicon_cache import cached_wordfreq_lexicon

    language_id = settings.language_id
    languages = tuple(language_id.candidate_languages) or DEFAULT_LANGUAGES
    resolved = _with_candidates(settings, languages)
    weights = load_ensemble_weights()
    names = [name for name in language_id.backends if name in weights.sources]
    if len(languages) < 2:
        names = [name for name in names if name != "lingua"]  # lingua needs two languages
    scorers = [registry.create("language_identifier", name, resolved) for name in names]
    lexicon = None
    if use_lexicon:
        lexicon = LexiconScorer(cached_wordfreq_lexicon(languages, settings.models.cache_dir), languages)
    return TextLanguageEnsemble(
        languages, scorers, weights, lexicon=lexicon, confidence_floor=language_id.confidence_floor,
        native=language_id.native,
    )


_SHARED: dict[str, TextLanguageEnsemble] = {}
_SHARED_LOCK = threading.Lock()


def shared_ensemble_identifier(settings: Any) -> TextLanguageEnsemble:
    """:func:`create_ensemble_identifier`, built once per process for each language-ID
    configuration (``language_id`` and ``models`` settings): the assessor and the
    transcriber's language-switch check read text with the same loaded models."""
    key = settings.fingerprint("language_id", "models")
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = create_ensemble_identifier(settings)
        return _SHARED[key]


class LazyEnsembleIdentifier:
    """The ensemble of :func:`shared_ensemble_identifier`, fetched on first use: for a
    component that may never need it, such as the transcriber's check of packed windows
    for a language switch (never needed on an English-only model)."""

    name = "ensemble"

    def __init__(self, settings: Any) -> None:
        self._settings = settings
        self._identifier: TextLanguageEnsemble | None = None

    def _ensemble(self) -> TextLanguageEnsemble:
        if self._identifier is None:
            self._identifier = shared_ensemble_identifier(self._settings)
        return self._identifier

    def identify(self, text: str) -> LanguageDistribution:
        return self._ensemble().identify(text)

    def analyze(self, text: str) -> Any:
        """:meth:`TextLanguageEnsemble.analyze`: distribution, decision and spans."""
        return self._ensemble().analyze(text)
