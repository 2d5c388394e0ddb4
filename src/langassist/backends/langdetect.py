"""langdetect (Nakatani's language-detection port) as a :class:`LanguageIdentifier`.

langdetect is randomized; the adapter seeds it once (``DetectorFactory.seed``) so the
same text always gives the same distribution. Each call builds a detector from the
shared factory, restricted to ``candidate_languages`` when given (the factory keeps
its 55 profiles; the restriction is applied to the returned probabilities).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langassist.errors import BackendError, BackendUnavailable
from langassist.events import LanguageDistribution

__all__ = ["LangdetectIdentifier", "create_langdetect_identifier"]


class LangdetectIdentifier:
    """Seeded, deterministic langdetect; an empty distribution means "no evidence"."""

    name = "langdetect"

    def __init__(self, candidate_languages: Sequence[str] = (), *, seed: int = 0) -> None:
        try:
            from langdetect import DetectorFactory
            from langdetect.detector_factory import init_factory
            from langdetect.lang_detect_exception import LangDetectException
        except ModuleNotFoundError as exc:
            raise BackendUnavailable(
                "language identifier 'langdetect' needs the package 'langdetect': "
                "pip install langdetect"
            ) from exc
        DetectorFactory.seed = seed
        init_factory()
        from langdetect import detector_factory

        self._factory: Any = detector_factory._factory
        self._error: type[Exception] = LangDetectException
        self._seed = seed
        self.candidate_languages = tuple(candidate_languages)

    def identify(self, text: str) -> LanguageDistribution:
        from langdetect import DetectorFactory

        DetectorFactory.seed = self._seed
        try:
            detector = self._factory.create()
            detector.append(text)
            ranked = detector.get_probabilities()
        except self._error:
            return LanguageDistribution()  # "No features in text": no evidence
        except (ValueError, KeyError, ZeroDivisionError) as exc:
            raise BackendError(f"langdetect failed on a {len(text)}-character text: {exc}") from exc
        distribution = LanguageDistribution.from_mapping((item.lang, item.prob) for item in ranked)
        if not self.candidate_languages:
            return distribution
        allowed = set(self.candidate_languages)
        kept = {code: p for code, p in distribution.probabilities if code in allowed}
        total = sum(kept.values())
        return LanguageDistribution.from_mapping(
            {code: p / total for code, p in kept.items()} if total else {}
        )


def create_langdetect_identifier(settings: Any = None) -> LangdetectIdentifier:
    """Registry factory: a seeded langdetect restricted to the candidate languages."""
    candidates = getattr(getattr(settings, "language_id", None), "candidate_languages", ())
    return LangdetectIdentifier(candidates or ())
