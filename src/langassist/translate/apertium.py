"""Apertium backend: rule-based translation through the Debian Apertium packages.

Offline here for English<->Spanish (``apt-get install apertium apertium-eng-spa``).
Quality is literal (a "gist"), but it needs no weights. Unknown words pass through
unchanged (no ``*`` marks), which is what protected-term placeholders rely on.

Two ways to run it:

* **persistent** (default): one long-lived pipeline per language pair in null-flush
  mode (:class:`ApertiumPipeline`). Each text is sent as one NUL-terminated segment
  and its translation read back as soon as it is flushed, so a live suggestion pays
  a few milliseconds instead of the ~150-200 ms it takes to start a dozen processes.
* **one-shot**: one ``apertium -u MODE`` process per batch, one text per line
  (``persistent=False``, or when ``apertium-wblank-mode`` is missing).

Why the persistent pipeline does not simply run ``apertium -z``: checked with
Debian's apertium 3.8.3 / lttoolbox 3.7.1, ``apertium -z -f txt`` never flushes
(``apertium-destxt`` has no null-flush mode and drops the NUL), ``apertium -z -f none``
still holds output back in its ``gawk`` stream wrappers, and ``lt-proc -z -b``
(the bilingual step) only flushes a segment once it has read the next character. So
the pipeline is the pair's mode file expanded by ``apertium-wblank-mode -z`` (every
program gets ``-z``), run directly under ``bash``; the text is escaped here the way
``apertium-destxt`` would (``\\`` before stream syntax), each segment carries a
superblank tag ``[<la:N>]`` (format blanks pass through every Apertium stage
verbatim) and ends with two NULs, so the bilingual step flushes it at once; the tag
then pairs each answer with its request and the empty segment that follows is skipped.

The installed pairs are discovered with ``apertium -l``; nothing runs at import time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from langassist.errors import BackendError, BackendUnavailable, ConfigError
from langassist.events import LanguageCode

__all__ = ["ApertiumPipeline", "ApertiumTranslator", "create_translator"]

logger = logging.getLogger(__name__)

# ISO 639-1 to the codes Apertium mode names use (newer pairs use ISO 639-3).
_APERTIUM_CODES: dict[str, tuple[str, ...]] = {
    "en": ("eng", "en"), "es": ("spa", "es"), "ca": ("cat", "ca"), "gl": ("glg", "gl"),
    "fr": ("fra", "fr"), "pt": ("por", "pt"), "it": ("ita", "it"), "eo": ("epo", "eo"),
    "eu": ("eus", "eu"), "de": ("deu", "de"), "nl": ("nld", "nl"), "pl": ("pol", "pl"),
    "oc": ("oci", "oc"), "ro": ("ron", "ro"), "is": ("isl", "is"), "mk": ("mkd", "mk"),
    "sh": ("hbs",), "sv": ("swe", "sv"), "da": ("dan", "da"), "nb": ("nob", "nb"),
}
_STREAM_SPECIAL = re.compile(r"([\\\[\]^$/@<>{}])")
_TAG_RE = re.compile(r"^\s*\[<la:(\d+)>\]")
_READ_BYTES = 1 << 16


def escape_stream(text: str) -> str:
    """Text as an Apertium stream: stream syntax characters escaped (``apertium-destxt``)."""
    return _STREAM_SPECIAL.sub(r"\\\1", text)


def unescape_stream(text: str) -> str:
    """Plain text from Apertium's output stream: superblanks dropped, escapes undone."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            out.append(text[index + 1])
            index += 2
        elif char == "[":  # a superblank (format); ours are only the request tags
            index += 1
            while index < len(text) and text[index] != "]":
                index += 2 if text[index] == "\\" else 1
            index += 1
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _datadir() -> Path:
    """Apertium's data folder, as the ``apertium`` script finds it."""
    return Path(os.environ.get("APERTIUM_DATADIR") or "/usr/share/apertium")


def _shut_down(process: subprocess.Popen[bytes], stderr: IO[bytes] | None) -> None:
    """Close the pipes, kill the pipeline's whole process group, reap it."""
    for stream in (process.stdin, process.stdout, stderr):
        with contextlib.suppress(OSError):
            if stream is not None:
                stream.close()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


class ApertiumPipeline:
    """One long-lived Apertium pipeline for one mode, in null-flush mode.

    Thread-safe: one request at a time holds the lock. A pipeline that dies, answers
    out of order or takes longer than ``timeout_s`` is killed (its whole process
    group) and started again on the next request; :meth:`translate` retries once on a
    fresh pipeline before raising :class:`BackendError`.

    Args:
        mode: the Apertium mode (``eng-spa``).
        mode_file: the mode's ``.mode`` file (default: under ``$APERTIUM_DATADIR``).
        timeout_s: most seconds one text may take.
        script: a shell pipeline to run instead of the expanded mode file (tests run
            ``cat`` to check the framing without Apertium).
    """

    def __init__(
        self,
        mode: str,
        *,
        mode_file: Path | None = None,
        timeout_s: float = 30.0,
        script: str | None = None,
    ) -> None:
        self.mode = mode
        self.mode_file = mode_file or _datadir() / "modes" / f"{mode}.mode"
        self.timeout_s = timeout_s
        self.restarts = 0
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._buffer = b""
        self._counter = 0
        self._script: str | None = script
        self._finalizer: weakref.finalize[Any, Any] | None = None

    @staticmethod
    def available() -> bool:
        """Whether this Apertium can build null-flush pipelines (``apertium-wblank-mode``)."""
        return shutil.which("apertium-wblank-mode") is not None

    def _pipeline_script(self) -> str:
        if self._script is None:
            if not self.mode_file.is_file():
                raise BackendUnavailable(f"Apertium mode file {self.mode_file} is missing")
            tool = shutil.which("apertium-wblank-mode")
            if tool is None:
                raise BackendUnavailable(
                    "apertium-wblank-mode is missing, so no null-flush pipeline can be built "
                    "(install apertium >= 3.8, or set translation.apertium_persistent = false)"
                )
            try:
                completed = subprocess.run(
                    [tool, "-z", str(self.mode_file)],
                    capture_output=True, text=True, timeout=self.timeout_s, check=True,
                )
            except (OSError, subprocess.SubprocessError) as exc:
                raise BackendError(f"cannot expand Apertium mode {self.mode}: {exc}") from exc
            self._script = completed.stdout.strip()
            if not self._script:
                raise BackendError(f"apertium-wblank-mode printed nothing for {self.mode_file}")
        return self._script

    def _start(self) -> subprocess.Popen[bytes]:
        script = self._pipeline_script()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        try:
            # $1 is the generator's option (-n: no unknown-word marks, what `apertium -u`
            # passes); $2 the tagger's extra option (none).
            process = subprocess.Popen(
                ["bash", "-c", script, f"apertium-{self.mode}", "-n", ""],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                start_new_session=True,
            )
        except OSError as exc:
            raise BackendError(f"Apertium {self.mode} could not start: {exc}") from exc
        self._process = process
        self._buffer = b""
        # Killed at garbage collection or interpreter exit if nobody called close().
        self._finalizer = weakref.finalize(self, _shut_down, process, self._stderr)
        logger.debug("started Apertium pipeline %s (pid %d)", self.mode, process.pid)
        return process

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            self._stderr.seek(0)
            return self._stderr.read().decode("utf-8", "replace").strip()[-300:]
        return ""

    def _discard(self) -> None:
        """Kill the pipeline (it is restarted on the next request)."""
        process, self._process = self._process, None
        stderr, self._stderr = self._stderr, None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if process is not None:
            _shut_down(process, stderr)
        elif stderr is not None:
            with contextlib.suppress(OSError):
                stderr.close()
        self._buffer = b""

    def _read_segment(self, process: subprocess.Popen[bytes], deadline: float) -> bytes:
        assert process.stdout is not None
        descriptor = process.stdout.fileno()
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([descriptor], [], [], remaining)
            if not ready:
                raise TimeoutError
            chunk = os.read(descriptor, _READ_BYTES)
            if not chunk:
                raise EOFError
            self._buffer += chunk
        segment, _, self._buffer = self._buffer.partition(b"\0")
        return segment

    def _translate_one(self, text: str) -> str:
        process = self._process if self._process is not None and self._process.poll() is None else None
        if process is None:
            if self._process is not None:
                self._discard()
            process = self._start()
        self._counter += 1
        tag = self._counter
        # The trailing blank lets the analyser end the last token (a final "." is lost
        # without it).
        payload = f"[<la:{tag}>]{escape_stream(text)} ".encode() + b"\0\0"
        assert process.stdin is not None
        process.stdin.write(payload)
        process.stdin.flush()
        deadline = time.monotonic() + self.timeout_s
        while True:
            segment = self._read_segment(process, deadline).decode("utf-8", "replace")
            if not segment.strip():
                continue  # the empty segment after each request's second NUL
            match = _TAG_RE.match(segment)
            if match is None or int(match.group(1)) > tag:
                raise ValueError(f"unexpected output {segment[:80]!r}")
            if int(match.group(1)) == tag:
                return " ".join(unescape_stream(segment[match.end():]).split())
            # an answer to an earlier, abandoned request: skip it

    def translate(self, texts: Sequence[str]) -> list[str]:
        """Translate each text (whitespace collapsed to single spaces); ``""`` stays ``""``.

        Raises:
            BackendError: the pipeline failed twice, or timed out.
        """
        lines = [" ".join(text.split()) for text in texts]
        results: list[str] = []
        with self._lock:
            for line in lines:
                if not line:
                    results.append("")
                    continue
                for attempt in (1, 2):
                    try:
                        results.append(self._translate_one(line))
                        break
                    except TimeoutError as exc:
                        self._discard()
                        raise BackendError(
                            f"Apertium {self.mode} took longer than {self.timeout_s} s for one text"
                        ) from exc
                    except (OSError, EOFError, ValueError) as exc:
                        detail = self._stderr_tail() or str(exc) or type(exc).__name__
                        self._discard()
                        self.restarts += 1
                        if attempt == 2:
                            raise BackendError(
                                f"Apertium {self.mode} pipeline failed twice: {detail}"
                            ) from exc
                        logger.warning("Apertium %s pipeline failed (%s); restarting", self.mode, detail)
        return results

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def close(self, timeout_s: float = 2.0) -> None:
        """Stop the pipeline: close its input, let it drain, then kill what is left."""
        with self._lock:
            process = self._process
            if process is not None and process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=timeout_s)
            self._discard()


class ApertiumTranslator:
    """Translate with Apertium.

    Args:
        command: the ``apertium`` executable (name on ``PATH`` or a path).
        timeout_s: most seconds one call (one-shot) or one text (persistent) may take.
        persistent: keep one null-flush pipeline per mode (see the module docstring);
            falls back to one process per batch when this Apertium cannot.
    """

    name = "apertium"

    def __init__(
        self, *, command: str = "apertium", timeout_s: float = 30.0, persistent: bool = True
    ) -> None:
        self.command = command
        self.timeout_s = timeout_s
        self.persistent = persistent
        self._modes: tuple[str, ...] | None = None
        self._pipelines: dict[str, ApertiumPipeline] = {}
        self._lock = threading.Lock()

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

    def pipeline(self, mode: str) -> ApertiumPipeline | None:
        """The persistent pipeline for ``mode`` (created on first use), or ``None`` when
        this translator runs one process per batch."""
        if not self.persistent:
            return None
        with self._lock:
            pipeline = self._pipelines.get(mode)
            if pipeline is None:
                candidate = ApertiumPipeline(mode, timeout_s=self.timeout_s)
                if not candidate.available() or not candidate.mode_file.is_file():
                    logger.warning(
                        "Apertium %s: no null-flush pipeline possible (apertium-wblank-mode or "
                        "%s missing); one process per batch", mode, candidate.mode_file,
                    )
                    self.persistent = False
                    return None
                pipeline = self._pipelines[mode] = candidate
            return pipeline

    def translate(
        self, texts: Sequence[str], *, source: LanguageCode, target: LanguageCode
    ) -> list[str]:
        """Translate ``texts``; line breaks inside a text become spaces."""
        mode = self.mode_for(source, target)
        if mode is None:
            raise ConfigError(
                f"Apertium has no {source}->{target} pair installed "
                f"(installed: {', '.join(self.modes()) or 'none'})"
            )
        pipeline = self.pipeline(mode)
        if pipeline is not None:
            return pipeline.translate(texts)
        return self._translate_once(mode, texts)

    def _translate_once(self, mode: str, texts: Sequence[str]) -> list[str]:
        """One ``apertium -u MODE`` process for the batch, one text per line."""
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

    def close(self) -> None:
        """Stop every persistent pipeline."""
        with self._lock:
            pipelines = list(self._pipelines.values())
            self._pipelines.clear()
        for pipeline in pipelines:
            pipeline.close()


def create_translator(
    *, command: str = "apertium", timeout_s: float = 30.0, persistent: bool = True
) -> ApertiumTranslator:
    """Factory used by the router; fails early when the command is missing."""
    translator = ApertiumTranslator(command=command, timeout_s=timeout_s, persistent=persistent)
    translator._executable()
    return translator
