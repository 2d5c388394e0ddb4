"""Route translation requests to the backend configured for each language pair.

The router reads :class:`~langassist.translate.settings.TranslationSettings` routes,
builds each backend lazily the first time a pair needs it (and keeps it for the life
of the router, which the process owner holds), carries protected terms through
(:mod:`langassist.translate.protect`) and returns a
:class:`~langassist.translate.base.TranslationOutcome` that says plainly when no
backend serves a pair. Backends listed after the first are tried only because the
configuration lists them, and every skip is recorded in ``outcome.notes``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from langassist.errors import (
    BackendError,
    BackendUnavailable,
    ConfigError,
    ModelIntegrityError,
    ModelUnavailable,
)
from langassist.events import LanguageCode, normalize_language
from langassist.translate.base import Translation, TranslationOutcome, Translator
from langassist.translate.protect import ProtectionOptions, translate_protected
from langassist.translate.settings import RouteStep, TranslationSettings, parse_route

__all__ = ["ModelResolver", "TranslationRouter", "resolve_model_path"]

logger = logging.getLogger(__name__)

DEFAULT_CONVERT_DIR = "~/.cache/langassist/translation"
"""Where hub checkpoints are converted to CTranslate2 unless the owner says otherwise."""

ModelResolver = Callable[[str], Path]
"""Turns a route's model reference (manifest name or directory) into a directory."""


def resolve_model_path(reference: str) -> Path:
    """Default resolver: the reference must be an existing directory.

    The lead wires the model catalog in instead, so that manifest names work.
    """
    path = Path(reference).expanduser()
    if path.is_dir():
        return path
    raise ModelUnavailable(
        f"translation model {reference!r} is not available: run `langassist models pull "
        f"{reference}` when online, or give the path of a converted model directory"
    )


def _parse_step(text: str) -> RouteStep:
    backend, _, model = text.partition(":")
    route = parse_route(f"*-*={backend}{':' + model if model else ''}")
    return route.steps[0]


class TranslationRouter:
    """Translate with the backend each language pair is routed to.

    Args:
        settings: routes and engine options.
        translators: ready backends keyed by route step (``"apertium"``,
            ``"ctranslate2:opus-mt-en-de"``); the model pool passes shared ones and
            tests pass fakes. Others are built on first use.
        resolve_model: turns a model reference into a directory (default: paths only).
        convert_dir: where Hugging Face Marian/NLLB directories (a hub snapshot pulled
            by ``langassist models pull``) are converted to CTranslate2 on first use.
    """

    def __init__(
        self,
        settings: TranslationSettings | None = None,
        *,
        translators: Mapping[str, Translator] | None = None,
        resolve_model: ModelResolver | None = None,
        convert_dir: str | Path = DEFAULT_CONVERT_DIR,
    ) -> None:
        self.convert_dir = Path(convert_dir).expanduser()
        self.settings = settings or TranslationSettings()
        self._routes = self.settings.parsed_routes()
        self._translators: dict[str, Translator] = dict(translators or {})
        self._resolve_model = resolve_model or resolve_model_path
        self._options = ProtectionOptions(
            numbers=self.settings.protect_numbers,
            codes=self.settings.protect_codes,
            emails=self.settings.protect_emails,
            urls=self.settings.protect_urls,
        )

    def steps_for(self, source: LanguageCode, target: LanguageCode) -> tuple[RouteStep, ...]:
        """The configured backends for a pair, in order (empty when none)."""
        for route in self._routes:
            if route.matches(source, target):
                return route.steps
        return ()

    def has_route(self, source: LanguageCode | None, target: LanguageCode | None) -> bool:
        if source is None or target is None:
            return False
        return bool(self.steps_for(source, target))

    def translator(self, step: RouteStep, source: LanguageCode, target: LanguageCode) -> Translator:
        """The backend for ``step``, built on first use."""
        key = str(step)
        if key in self._translators:
            return self._translators[key]
        settings = self.settings
        translator: Translator
        if step.backend == "apertium":
            from langassist.translate import apertium

            translator = apertium.create_translator(
                command=settings.apertium_command, timeout_s=settings.timeout_s,
                persistent=settings.apertium_persistent,
            )
        elif step.backend == "ctranslate2":
            from langassist.translate import ctranslate2_marian

            quantization = (
                settings.compute_type if settings.compute_type not in {"default", "auto"} else "int8"
            )
            model_dir = ctranslate2_marian.ensure_converted(
                self._resolve_model(step.model or ""), self.convert_dir,
                quantization=quantization, source=source, target=target,
            )
            translator = ctranslate2_marian.create_translator(
                model_dir,
                compute_type=settings.compute_type,
                cpu_threads=settings.cpu_threads,
                beam_size=settings.beam_size,
                batch_size=settings.batch_size,
                max_decoding_length=settings.max_decoding_length,
            )
        elif step.backend == "transformers":
            from langassist.translate import transformers_marian

            translator = transformers_marian.create_translator(
                self._resolve_model(step.model or ""),
                source=source,
                target=target,
                beam_size=settings.beam_size,
                batch_size=settings.batch_size,
                max_decoding_length=settings.max_decoding_length,
                cpu_threads=settings.cpu_threads,
            )
        else:  # pragma: no cover - parse_route rejects unknown names
            raise ConfigError(f"unknown translation backend {step.backend!r}")
        self._translators[key] = translator
        return translator

    def close(self) -> None:
        """Stop the backends this router built (Apertium's persistent pipelines)."""
        for translator in self._translators.values():
            close = getattr(translator, "close", None)
            if callable(close):
                close()

    def translate(
        self,
        texts: Sequence[str],
        *,
        source: str | None,
        target: str | None,
        terms: Iterable[str] = (),
        backend: str | None = None,
    ) -> TranslationOutcome:
        """Translate ``texts`` from ``source`` to ``target``, keeping protected terms.

        Args:
            texts: the texts, translated in one batch per backend call.
            source / target: language codes (any form ``normalize_language`` accepts).
            terms: exact strings to keep (glossary product names, customer names).
            backend: a route step (``"apertium"``, ``"ctranslate2:/models/en-de"``) to
                use instead of the configured route.

        Returns:
            An outcome with ``status`` ``ok``, ``no_backend`` or ``failed``; never raises
            for an unserved pair.

        Raises:
            ConfigError: an input is longer than ``max_input_chars`` or ``backend`` is
                malformed.
        """
        src, tgt = normalize_language(source), normalize_language(target)
        text_list = list(texts)
        limit = self.settings.max_input_chars
        for text in text_list:
            if len(text) > limit:
                raise ConfigError(
                    f"a text of {len(text)} characters is longer than "
                    f"translation.max_input_chars = {limit}"
                )
        if src is None or tgt is None:
            unknown = source if src is None else target
            return TranslationOutcome(
                "no_backend", src or "", tgt or "",
                message=f"Cannot translate: language {unknown!r} is unknown.",
            )
        term_list = [term for term in terms if term and term.strip()]
        if src == tgt:
            same = tuple(
                Translation(text, text, src, tgt, "identity", (), "none") for text in text_list
            )
            return TranslationOutcome("ok", src, tgt, same, "identity", notes=("same language",))
        steps = (_parse_step(backend),) if backend else self.steps_for(src, tgt)
        if not steps:
            return TranslationOutcome(
                "no_backend", src, tgt,
                message=(
                    f"No translation backend is configured for {src}->{tgt}; "
                    "use the phrasebook or an interpreter."
                ),
            )
        notes: list[str] = []
        failed = False
        for step in steps:
            try:
                translator = self.translator(step, src, tgt)
            except (BackendUnavailable, ModelUnavailable, ModelIntegrityError, BackendError) as exc:
                notes.append(f"{step}: unavailable: {exc}")
                logger.warning("translation backend %s unavailable: %s", step, exc)
                continue
            if not translator.supports(src, tgt):
                notes.append(f"{step}: does not serve {src}->{tgt}")
                continue

            def run(batch: list[str], translator: Translator = translator) -> list[str]:
                return translator.translate(batch, source=src, target=tgt)

            try:
                protected = translate_protected(run, text_list, term_list, self._options)
            except BackendError as exc:
                failed = True
                notes.append(f"{step}: failed: {exc}")
                logger.warning("translation backend %s failed: %s", step, exc)
                continue
            translations = tuple(
                Translation(original, result.text, src, tgt, translator.name, result.terms, result.method)
                for original, result in zip(text_list, protected, strict=True)
            )
            return TranslationOutcome("ok", src, tgt, translations, str(step), notes=tuple(notes))
        tried = ", ".join(str(step) for step in steps)
        if failed:
            return TranslationOutcome(
                "failed", src, tgt, notes=tuple(notes),
                message=f"Translation {src}->{tgt} failed with {tried}; use the phrasebook.",
            )
        return TranslationOutcome(
            "no_backend", src, tgt, notes=tuple(notes),
            message=(
                f"No translation backend is available for {src}->{tgt} (tried {tried}); "
                "use the phrasebook."
            ),
        )
