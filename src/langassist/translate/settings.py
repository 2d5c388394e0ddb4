"""Translation settings: which backend serves which language pair, and engine options.

Routes are strings so that they read the same in a pipeline file, an environment
variable and a CLI override::

    [translation]
    routes = ["en-es=apertium", "es-en=apertium", "en-de=ctranslate2:opus-mt-en-de"]

Each route is ``SOURCE-TARGET=BACKEND[:MODEL][|BACKEND[:MODEL]...]``. ``*`` matches any
language on either side (``*-en=ctranslate2:nllb-200-distilled-600m``). The first
route whose pair matches is used; its backends are tried in the listed order, and each
skip is recorded in the outcome. A pair with no route has no translation: the
suggestion says so and falls back to the phrasebook.

``MODEL`` is a model manifest name (resolved by the model catalog) or a directory.
"""

from __future__ import annotations

from dataclasses import dataclass

from langassist.errors import ConfigError
from langassist.events import normalize_language

__all__ = ["Route", "RouteStep", "TranslationSettings", "parse_route"]

BACKEND_NAMES = ("apertium", "ctranslate2", "transformers")



@dataclass(frozen=True, slots=True)
class RouteStep:
    """One backend of a route, with its model reference (``None`` for Apertium)."""

    backend: str
    model: str | None = None

    def __str__(self) -> str:
        return self.backend if self.model is None else f"{self.backend}:{self.model}"


@dataclass(frozen=True, slots=True)
class Route:
    """A language pair pattern (``*`` for any) and the backends that serve it."""

    source: str
    target: str
    steps: tuple[RouteStep, ...]

    def matches(self, source: str, target: str) -> bool:
        return self.source in {"*", source} and self.target in {"*", target} and source != target


def parse_route(text: str) -> Route:
    """Parse ``"en-es=ctranslate2:opus-mt-en-es|apertium"``; raise ConfigError if malformed."""
    pair, separator, backends = text.partition("=")
    parts = pair.strip().split("-")
    if not separator or len(parts) != 2 or not backends.strip():
        raise ConfigError(
            f"translation.routes entry {text!r} is malformed: write SOURCE-TARGET=BACKEND, "
            "e.g. en-es=apertium or *-en=ctranslate2:nllb-200-distilled-600m"
        )
    codes: list[str] = []
    for part in parts:
        part = part.strip().lower()
        code = "*" if part == "*" else normalize_language(part)
        if code is None:
            raise ConfigError(f"translation.routes entry {text!r}: unknown language {part!r}")
        codes.append(code)
    steps: list[RouteStep] = []
    for item in backends.split("|"):
        backend, _, model = item.strip().partition(":")
        backend = backend.strip()
        if backend not in BACKEND_NAMES:
            raise ConfigError(
                f"translation.routes entry {text!r}: unknown backend {backend!r}; "
                f"choose one of {', '.join(BACKEND_NAMES)}"
            )
        if backend != "apertium" and not model.strip():
            raise ConfigError(
                f"translation.routes entry {text!r}: backend {backend!r} needs a model, "
                f"e.g. {backend}:opus-mt-en-de or {backend}:/path/to/model"
            )
        steps.append(RouteStep(backend, model.strip() or None))
    return Route(codes[0], codes[1], tuple(steps))


from langassist.config import TranslationSettings  # noqa: E402  (defined with the other settings)
