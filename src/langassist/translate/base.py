"""Translation protocols and result types.

A :class:`Translator` turns a batch of texts in one language into another. It is a
small protocol so that Apertium, CTranslate2, transformers and test fakes are
interchangeable; protected terms, routing per language pair and fallbacks are handled
outside the backends (:mod:`langassist.translate.protect`,
:mod:`langassist.translate.router`).

A :class:`SpeechTranslator` turns customer audio into English text (Whisper's
``task="translate"``).

Language codes are ISO 639-1 (see :func:`langassist.events.normalize_language`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from langassist.errors import BackendError
from langassist.events import LanguageCode

__all__ = [
    "ProtectionMethod",
    "SpeechTranslation",
    "SpeechTranslator",
    "Translation",
    "TranslationOutcome",
    "TranslationStatus",
    "Translator",
    "translate_nonempty",
]

ProtectionMethod = Literal["none", "placeholders", "segments"]
"""How protected terms were carried through a translation.

``none``: the text had no protected term. ``placeholders``: the terms were masked with
placeholders that the backend copied through. ``segments``: the backend lost a
placeholder, so the text was translated piece by piece between the terms, which are
copied verbatim (always exact, sometimes less fluent).
"""

TranslationStatus = Literal["ok", "no_backend", "failed"]


@runtime_checkable
class Translator(Protocol):
    """Text to text in another language, one batch per call."""

    name: str

    def supports(self, source: LanguageCode, target: LanguageCode) -> bool:
        """Whether this backend, as configured, can translate ``source`` to ``target``."""
        raise NotImplementedError

    def translate(
        self, texts: Sequence[str], *, source: LanguageCode, target: LanguageCode
    ) -> list[str]:
        """Translate every text; the result has the same length and order as ``texts``.

        Raises:
            BackendError: the engine failed.
            ConfigError: the pair is not supported by this backend.
        """
        raise NotImplementedError


def translate_nonempty(
    texts: Sequence[str], translate: Callable[[list[str]], Sequence[str]]
) -> list[str]:
    """Run ``translate`` on the texts that are not blank, whitespace collapsed; blank
    texts come back as ``""`` in their places (what every neural backend needs: an
    empty input would make a model decode noise)."""
    results = ["" for _ in texts]
    indices = [index for index, text in enumerate(texts) if text.strip()]
    if not indices:
        return results
    outputs = translate([" ".join(texts[index].split()) for index in indices])
    if len(outputs) != len(indices):
        raise BackendError(f"the backend returned {len(outputs)} texts for {len(indices)}")
    for index, output in zip(indices, outputs, strict=True):
        results[index] = output
    return results


@dataclass(frozen=True, slots=True)
class Translation:
    """One translated text with how its protected terms were kept.

    Attributes:
        source_text: the text as given.
        text: the translation; every protected term appears in it verbatim.
        source / target: the language pair.
        backend: name of the translator that produced it.
        protected_terms: the exact strings that were protected.
        protection: how they were carried through (see :data:`ProtectionMethod`).
    """

    source_text: str
    text: str
    source: LanguageCode
    target: LanguageCode
    backend: str
    protected_terms: tuple[str, ...] = ()
    protection: ProtectionMethod = "none"


@dataclass(frozen=True, slots=True)
class TranslationOutcome:
    """What a routed translation request produced; never silently empty.

    Attributes:
        status: ``ok``; ``no_backend`` when no configured backend serves the pair;
            ``failed`` when every configured backend raised.
        source / target: the requested pair.
        translations: one per input text when ``status == "ok"``, else empty.
        backend: the backend that served the request, if any.
        message: a plain sentence for the agent or the log when not ``ok``.
        notes: backends tried and skipped, in order, with why.
    """

    status: TranslationStatus
    source: LanguageCode
    target: LanguageCode
    translations: tuple[Translation, ...] = ()
    backend: str | None = None
    message: str = ""
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def texts(self) -> list[str]:
        return [translation.text for translation in self.translations]


@dataclass(frozen=True, slots=True)
class SpeechTranslation:
    """Speech translated to English.

    Attributes:
        text: the English text (empty when nothing reliable was heard).
        source_language: the spoken language Whisper detected or was told, or ``None``.
        language_probability: Whisper's probability for ``source_language`` (0 when told).
        avg_logprob: mean log-probability over kept segments (``None`` when none kept).
        duration_s: seconds of audio given.
        dropped: notes on segments removed by the hallucination guards.
        backend: name of the translator.
    """

    text: str
    source_language: LanguageCode | None
    language_probability: float
    avg_logprob: float | None
    duration_s: float
    dropped: tuple[str, ...] = ()
    backend: str = "whisper"


@runtime_checkable
class SpeechTranslator(Protocol):
    """16 kHz mono float32 speech to English text."""

    name: str

    def translate_speech(
        self, audio: np.ndarray, *, source: LanguageCode | None = None
    ) -> SpeechTranslation:
        raise NotImplementedError
