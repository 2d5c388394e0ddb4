"""Comprehension difficulty of agent utterances (issue "Barrier assessment", item 4).

How hard is this utterance for this customer to understand? :class:`DifficultyScorer`
measures readability features (speech rate, sentence length, word rarity and CEFR level,
clauses, jargon and acronyms from an editable glossary, spelled codes, idioms), combines
them with a small learned ranking model shipped as JSON, and returns a 0..1
:class:`~langassist.events.Score` whose reasons say, in plain words, what made it hard.
:func:`score_for_listener` raises the score for a listener who does not share the
utterance's language or is not a native speaker of it.

Example::

    scorer = DifficultyScorer(settings.assessment)
    score = scorer.score("Please restart your router.", language="en")
    score.value, [reason.detail for reason in score.reasons[:3]]
"""

from langassist.difficulty.features import FEATURE_NAMES, FeatureExtractor, UtteranceFeatures
from langassist.difficulty.glossary import (
    Glossary,
    GlossaryEntry,
    GlossaryHit,
    dump_glossary,
    load_glossary,
    parse_glossary,
)
from langassist.difficulty.lexicon import Lexicon
from langassist.difficulty.listener import ListenerProfile, score_for_listener
from langassist.difficulty.model import DifficultyModel, load_model
from langassist.difficulty.scorer import DifficultyScorer

__all__ = [
    "FEATURE_NAMES",
    "DifficultyModel",
    "DifficultyScorer",
    "FeatureExtractor",
    "Glossary",
    "GlossaryEntry",
    "GlossaryHit",
    "Lexicon",
    "ListenerProfile",
    "UtteranceFeatures",
    "dump_glossary",
    "load_glossary",
    "load_model",
    "parse_glossary",
    "score_for_listener",
]
