"""What the local engine's fork server imports once, before it forks any worker.

Every worker would otherwise pay these imports itself on its first call: ``cefrpy``
validates its whole word table when imported (about 5 s of CPU), ``wordfreq`` and
``langcodes`` load their data, and the stage chain compiles its patterns. Imported in the
fork server, they are done once per audit run, and the workers share the pages
copy-on-write. Only imports happen here: no model is loaded (a loaded CTranslate2 model
or an OpenMP thread pool must not cross a fork).
"""

from __future__ import annotations

import importlib
import logging

__all__ = ["MODULES", "preload"]

logger = logging.getLogger(__name__)

MODULES = (
    "numpy",
    "faster_whisper",
    "langassist.audit.worker",
    "langassist.audit.report",
    "langassist.service",
    "langassist.assessment",
    "langassist.stages.langid",
    "langassist.stages.accent",
    "langassist.stages.difficulty",
    "langassist.stages.confusion",
    "langassist.suggest.build",
    "langassist.langid.factory",
    "cefrpy",
    "wordfreq",
    "langcodes",
)


def preload(modules: tuple[str, ...] = MODULES) -> list[str]:
    """Import ``modules``; returns those that could not be imported (optional extras)."""
    missing = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as error:  # an optional package: the worker reports it if it needs it
            logger.debug("preload: %s not imported: %s", name, error)
            missing.append(name)
    return missing


preload()
