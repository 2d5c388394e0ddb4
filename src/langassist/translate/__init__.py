"""Translation: a small protocol, backends per language pair, protected terms.

Backends (each imported only when a route needs it):

* ``apertium``: Debian Apertium, rule-based, offline en<->es here.
* ``ctranslate2``: OPUS-MT (Marian) and NLLB models converted to CTranslate2.
* ``transformers``: the same Marian models on torch, as a reference.
* Whisper ``task="translate"`` for customer speech to English
  (:mod:`langassist.translate.whisper_translate`).

Use :class:`TranslationRouter` with :class:`TranslationSettings`; it never fails
silently: an unserved pair gives an outcome with ``status == "no_backend"``.
"""

from langassist.translate.base import (
    SpeechTranslation,
    SpeechTranslator,
    Translation,
    TranslationOutcome,
    Translator,
)
from langassist.translate.protect import ProtectionOptions, find_protected, translate_protected
from langassist.translate.router import TranslationRouter, resolve_model_path
from langassist.translate.settings import TranslationSettings, parse_route

__all__ = [
    "ProtectionOptions",
    "SpeechTranslation",
    "SpeechTranslator",
    "Translation",
    "TranslationOutcome",
    "TranslationRouter",
    "TranslationSettings",
    "Translator",
    "find_protected",
    "parse_route",
    "resolve_model_path",
    "translate_protected",
]
