"""Multilingual phrasebook of common support phrases, searchable by meaning."""

from langassist.phrasebook.book import Phrase, Phrasebook, load_phrasebook, parse_phrasebook
from langassist.phrasebook.search import PhraseIndex, PhraseMatch

__all__ = [
    "Phrase",
    "PhraseIndex",
    "PhraseMatch",
    "Phrasebook",
    "load_phrasebook",
    "parse_phrasebook",
]
