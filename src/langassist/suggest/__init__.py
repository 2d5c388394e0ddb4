"""Suggestions for the agent: plain rewrites, coaching cues, next best moves, translation.

:class:`SuggestionEngine` is the stage; :class:`SuggestionPolicy` is its flood control;
:func:`rewrite_plain` is the plain-language rewrite on its own.
"""

from langassist.suggest.engine import SuggestionEngine, language_name
from langassist.suggest.plain_words import PlainWords, load_plain_words
from langassist.suggest.policy import SuggestionPolicy, SuggestionRecord
from langassist.suggest.rewrite import Rewrite, RewriteChange, chunk_for_reading, rewrite_plain
from langassist.suggest.settings import CATEGORIES, SuggestionSettings
from langassist.suggest.suggestion import KINDS, Suggestion

__all__ = [
    "CATEGORIES",
    "KINDS",
    "PlainWords",
    "Rewrite",
    "RewriteChange",
    "Suggestion",
    "SuggestionEngine",
    "SuggestionPolicy",
    "SuggestionRecord",
    "SuggestionSettings",
    "chunk_for_reading",
    "language_name",
    "load_plain_words",
    "rewrite_plain",
]
