"""The compiled per-call path of the text language ID cascade, when it is built.

``langassist.langid._cascade`` is a small C extension (``_cascade.c``, no numpy C API)
that runs one text through the cascade in one call: word keys and lexicon rows, the
summed lexicon evidence, py3langid's naive Bayes scores (its byte automaton walked in
C), each stage's weighted sum, the margin check and the ranked distribution. Sources it
does not compute (lingua, any other backend) are asked of the Python side. Installing
the package builds it when a C compiler is at hand (``hatch_build.py``); without one,
or with ``language_id.native = false``, :class:`~langassist.langid.ensemble.TextLanguageEnsemble`
runs the same cascade in Python. Both give the same results up to float rounding
(``tests/unit/test_langid_native.py`` compares them on every language).
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType

__all__ = ["ABI_VERSION", "native_module"]

ABI_VERSION = 1
"""The extension's interface version this Python code speaks."""

_log = logging.getLogger(__name__)
_UNSET = object()
_loaded: object = _UNSET


def native_module() -> ModuleType | None:
    """The compiled extension, or ``None`` when it is not built or is of another version
    (a stale build after an upgrade: reinstall the package to rebuild it)."""
    global _loaded
    if _loaded is _UNSET:
        try:
            module = importlib.import_module("langassist.langid._cascade")
        except ImportError:
            module = None
        if module is not None and getattr(module, "ABI_VERSION", None) != ABI_VERSION:
            _log.warning(
                "langassist.langid._cascade is version %s, this code needs %s: using the Python "
                "cascade (reinstall langassist to rebuild it)", getattr(module, "ABI_VERSION", None), ABI_VERSION,
            )
            module = None
        _loaded = module
    return _loaded if isinstance(_loaded, ModuleType) else None
