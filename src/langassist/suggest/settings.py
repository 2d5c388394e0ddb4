"""Suggestion settings: triggers, rewrite limits and the flood-control policy.

The dataclass lives in :mod:`langassist.config` with the other sections (the
``[suggestions]`` table of a pipeline file); this module re-exports it.
"""

from __future__ import annotations

from langassist.config import SUGGESTION_CATEGORIES, SuggestionSettings

__all__ = ["CATEGORIES", "SuggestionSettings"]

CATEGORIES = SUGGESTION_CATEGORIES
"""Suggestion categories; the rate limit applies per category."""
