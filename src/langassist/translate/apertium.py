"""Apertium backend: rule-based translation through the Debian ``apertium`` command.

Offline here for English<->Spanish (``apt-get install apertium apertium-eng-spa``).
Quality is literal (a "gist"), but it needs no weights and is fast in batch: one
process call translates a whole batch, one text per line (about 1-2 ms a sentence),
while each call pays ~150-200 ms of process start-up. Unknown words pass through
unchanged (``-u`` drops the ``*`` marks), which is what protected-term placeholders
rely on.

The installed pairs are discovered with ``apertium -l``; nothing runs at import time.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Sequence

from langassist.errors import BackendError, BackendUnavailable, ConfigError
from langassist.events import LanguageCode

__all__ = ["ApertiumTranslator", "create_translator"]

logger = logging.getLogger(__name__)

# ISO 639-1 to the codes Apertium mode names use (newer pairs use ISO 639-3).
_APERTIUM_CODES: dict[str, tuple[str, ...]] = {
    "en": ("eng", "en"), "es": ("spa", "es"), "ca": ("cat", "ca"), "gl": ("glg", "gl"),
    "fr": ("fra", "fr"), "pt": ("por", "pt"), "it": ("ita", "it"), "eo": ("epo", "eo"),
    "eu": ("eus", "eu"), "de": ("deu", "de"), "nl": ("nld", "nl"), "pl": ("pol", "pl"),
    "oc": ("oci", "oc"), "ro": ("ron", "ro"), "is": ("isl", "is"), "mk": ("mkd", "mk"),
    "sh": ("hbs",), "sv": ("swe", "sv"), "da": ("dan", "da"), "nb": ("nob", "nb"),
}


class ApertiumTranslator:
    """Translate with Apertium, one process call per batch.

    Args:
        command: the ``apertium`` executable (name on ``PATH`` or a path).
        timeout_s: most seconds one call may run.
    """

    name = "apertium"

    def __init__(self, *, command: str = "apertium", timeout_s: float = 30.0) -> None:
        self.command = command
        self.timeout_s = timeout_s
        self._modes: tuple[str, ...] | None = None

    def _executable(self) -> str:
        path = shutil.which(self.command)
        if path is None:
            raise BackendUnavailable(
                f"Apertium is not installed ({self.command!r} not found): "
                "apt-get install apertium apertium-eng-spa"
            )
        return path

    def modes(self) -> tuple[str, ...]:
        """The installed translation modes (``eng-spa``, ``spa-eng`` ...)."""
        if self._modes is None:
            try:
                completed = subprocess.run(
                    [self._executable(), "-l"],
                    capture_output=True, text=True, timeout=self.timeout_s, check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise BackendError(f"could not list Apertium modes: {exc}") from exc
            self._modes = tuple(
                line.strip() for line in completed.stdout.splitlines() if line.strip()
            )
        return self._modes

    def mode_for(self, source: LanguageCode, target: LanguageCode) -> str | None:
        """The Apertium mode serving the pair, or ``None``."""
        installed = set(self.modes())
        for source_code in _APERTIUM_CODES.get(source, (source,)):
            for target_code in _APERTIUM_CODES.get(target, (target,)):
                mode = f"{source_code}-{target_code}"
                if mode in installed:
                    return mode
        return None

    def supports(self, source: LanguageCode, target: LanguageCode) -> bool:
        try:
            return self.mode_for(source, target) is not None
        except BackendUnavailable:
            return False

    def translate(
        self, texts: Sequence[str], *, source: LanguageCode, target: LanguageCode
    ) -> list[str]:
        """Translate ``texts`` in one Apertium call; line breaks inside a text become spaces."""
        mode = self.mode_for(source, target)
        if mode is None:
            raise ConfigError(
                f"Apertium has no {source}->{target} pair installed "
                f"(installed: {', '.join(self.modes()) or 'none'})"
            )
        lines = [" ".join(text.split()) for text in texts]
        if not any(lines):
            return ["" for _ in lines]
        payload = "\n".join(lines) + "\n"
        try:
            completed = subprocess.run(
                [self._executable(), "-u", mode],
                input=payload, capture_output=True, text=True,
                timeout=self.timeout_s, check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise BackendError(
                f"Apertium {mode} took longer than {self.timeout_s} s for {len(lines)} texts"
            ) from exc
        except OSError as exc:
            raise BackendError(f"Apertium {mode} could not run: {exc}") from exc
        if completed.returncode != 0:
            raise BackendError(
                f"Apertium {mode} failed (exit {completed.returncode}): "
                f"{completed.stderr.strip()[:300]}"
            )
        output = completed.stdout.split("\n")
        if output and output[-1] == "":
            output.pop()
        if len(output) != len(lines):
            raise BackendError(
                f"Apertium {mode} returned {len(output)} lines for {len(lines)} texts"
            )
        return [translated.strip() if line else "" for line, translated in zip(lines, output, strict=True)]


def create_translator(*, command: str = "apertium", timeout_s: float = 30.0) -> ApertiumTranslator:
    """Factory used by the router; fails early when the command is missing."""
    translator = ApertiumTranslator(command=command, timeout_s=timeout_s)
    translator._executable()
    return translator
