"""The per-call function every engine runs, and the resources it runs with.

:func:`process_call` is the whole audit of one call: :func:`langassist.service.load_call`
(transcribe a recording, or read a transcript or chat log), then
:meth:`langassist.assessment.Assessor.assess` (the replay driver over the stage chain),
then the redacted document (:func:`langassist.service.redacted_document`) and the HTML
report, each published atomically. It returns a plain, picklable result dict; it never
raises for a bad input (the result says why), only for a broken setup (:class:`Fatal`).

Resources (the speech model, the assessor) are loaded once per worker by a factory
named ``"module:attribute"`` so that process workers and Ray actors can build their own;
:class:`ServiceResources` is the default, ``langassist.audit.fakes:FakeResources``
serves tests.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any, Protocol

from langassist.audit.files import write_atomic
from langassist.audit.inputs import CallTask
from langassist.config import Settings
from langassist.errors import (
    AudioFormatError,
    BackendUnavailable,
    ConfigError,
    LangassistError,
    ModelIntegrityError,
    ModelUnavailable,
    TranscriptFormatError,
)
from langassist.pii import redact_text
from langassist.transcript import CallTranscript

__all__ = [
    "DEFAULT_RESOURCES",
    "AuditResources",
    "Fatal",
    "ServiceResources",
    "call_settings",
    "load_resources",
    "process_call",
]

logger = logging.getLogger(__name__)

DEFAULT_RESOURCES = "langassist.audit.worker:ServiceResources"
CALLS_FOLDER = "calls"
_FATAL = (ModelUnavailable, ModelIntegrityError, BackendUnavailable, ConfigError)
_JARGON_RE = re.compile(r"\s*([^,()]+?)\s*\(([^)]*)\)")


class Fatal(Exception):
    """The run cannot go on (a model is missing, a setting is wrong): exit code 1."""


class AuditResources(Protocol):
    """What a worker loads once and reuses for every call."""

    name: str

    def transcriber(self, settings: Settings) -> Any:
        """The speech model for recordings (loaded on first use)."""
        raise NotImplementedError

    def assessor(self, settings: Settings) -> Any:
        """The :class:`~langassist.assessment.Assessor` for these settings."""
        raise NotImplementedError


class ServiceResources:
    """The real models, through :mod:`langassist.service`, cached per settings."""

    name = "service"

    def __init__(self) -> None:
        self._transcribers: dict[str, Any] = {}
        self._assessors: dict[str, Any] = {}

    def transcriber(self, settings: Settings) -> Any:
        from langassist import service

        key = settings.fingerprint("asr", "models")
        if key not in self._transcribers:
            self._transcribers[key] = service.create_transcriber(settings)
        return self._transcribers[key]

    def assessor(self, settings: Settings) -> Any:
        from langassist import service

        key = settings.fingerprint("language_id", "assessment", "models")
        if key not in self._assessors:
            self._assessors[key] = service.create_assessor(settings)
        return self._assessors[key]


def load_resources(spec: str) -> AuditResources:
    """Build the resources a ``"module:attribute"`` spec names (a class or a function)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ConfigError(f"resources {spec!r}: expected 'module:attribute'")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"resources {spec!r} cannot be imported: {exc}") from exc
    resources: AuditResources = factory()
    return resources


def call_settings(settings: Settings, task: CallTask) -> Settings:
    """``settings`` with the manifest's per-call agent channel and agent languages."""
    ref = task.ref
    if ref.agent_channel is not None:
        names = list(settings.audio.channel_tracks)
        agent = "agent" if "agent" in names else names[0]
        others = [n for n in names if n != agent] or ["customer"]
        order = [agent, *others] if ref.agent_channel == 0 else [others[0], agent, *others[1:]]
        settings = dataclasses.replace(
            settings, audio=dataclasses.replace(settings.audio, channel_tracks=tuple(order))
        )
    if ref.agent_languages:
        settings = dataclasses.replace(
            settings,
            assessment=dataclasses.replace(settings.assessment, agent_languages=ref.agent_languages),
        )
    return settings


RUNTIME_ONLY_ASR = ("cpu_threads",)
"""ASR settings that change the speed of a call, not its output."""


def config_fingerprint(settings: Settings, resources_spec: str) -> str:
    """What decides a call's output: every settings section that the audit reads."""
    import hashlib
    import json

    data = settings.to_dict()
    relevant = {k: v for k, v in data.items() if k not in ("models", "streaming", "data_dir", "pipeline")}
    # How many threads decode a call is how fast, not what: a rerun with other --workers resumes.
    relevant["asr"] = {k: v for k, v in relevant["asr"].items() if k not in RUNTIME_ONLY_ASR}
    blob = json.dumps({"settings": relevant, "resources": resources_spec}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _with_call_id(transcript: CallTranscript, call_id: str) -> CallTranscript:
    if transcript.call_id == call_id:
        return transcript
    tracks = tuple(
        dataclasses.replace(
            track,
            utterances=tuple(dataclasses.replace(u, call_id=call_id) for u in track.utterances),
        )
        for track in transcript.tracks
    )
    return dataclasses.replace(transcript, call_id=call_id, tracks=tracks)


def _failure_reason(error: LangassistError) -> str:
    if isinstance(error, AudioFormatError):
        return error.status
    if isinstance(error, TranscriptFormatError):
        return "transcript_format"
    return type(error).__name__


def failure_result(task: CallTask, reason: str, message: str, *, retryable: bool,
                   processing_s: float | None = None) -> dict[str, Any]:
    """The result of a failed call; the message is redacted (it may quote the input)."""
    return {
        "key": task.key,
        "status": "failed",
        "reason": reason,
        "message": redact_text(message).text,
        "retryable": retryable,
        "processing_s": processing_s,
    }


def process_call(
    task: CallTask,
    settings: Settings,
    resources: AuditResources,
    out_dir: Path,
) -> dict[str, Any]:
    """Audit one call and publish ``calls/<name>.json`` and ``calls/<name>.html``.

    Raises:
        Fatal: the setup is broken (missing model, bad setting), not this input.
    """
    from langassist import service
    from langassist.audit.report import render_call_html

    started = time.perf_counter()
    if task.ref.refused:
        return failure_result(task, "refused", task.ref.refused, retryable=False)
    per_call = call_settings(settings, task)
    try:
        transcriber = None
        if task.is_audio:
            from langassist.audio import check

            service._require_file(task.path)
            check(task.path, per_call.audio)
            transcriber = resources.transcriber(per_call)
        transcript = service.load_call(task.path, per_call, transcriber=transcriber)
        transcript = _with_call_id(transcript, task.call_id)
        assessment = resources.assessor(per_call).assess(transcript)
        document = service.redacted_document(assessment, per_call)
    except _FATAL as error:
        raise Fatal(f"{type(error).__name__}: {error}") from error
    except LangassistError as error:
        logger.info("call %s failed: %s", task.call_id, redact_text(str(error)).text)
        return failure_result(task, _failure_reason(error), str(error), retryable=False,
                              processing_s=time.perf_counter() - started)
    import json

    folder = Path(out_dir) / CALLS_FOLDER
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    output_sha256 = write_atomic(folder / f"{task.name}.json", text)
    write_atomic(folder / f"{task.name}.html", render_call_html(document))
    audio_s = float(document.get("duration_s") or 0.0) if task.is_audio else 0.0
    return {
        "key": task.key,
        "status": "done",
        "output_sha256": output_sha256,
        "audio_s": audio_s,
        "processing_s": time.perf_counter() - started,
        "call_row": call_row(document),
        "utterance_rows": utterance_rows(document),
    }


# -- rows ---------------------------------------------------------------------------


def jargon_terms(score: dict[str, Any] | None) -> list[str]:
    """Glossary terms named by a difficulty score's ``jargon`` reason."""
    if not score:
        return []
    for reason in score.get("reasons", []):
        if reason.get("feature") == "jargon" and ":" in str(reason.get("detail", "")):
            listed = str(reason["detail"]).split(":", 1)[1]
            return [m.group(1).strip().lower() for m in _JARGON_RE.finditer(listed)]
    return []


def jargon_before_confusion(document: dict[str, Any], window_s: float = 30.0) -> list[str]:
    """Jargon terms in the agent utterance just before each customer confusion signal."""
    agent = [u for u in document.get("utterances", []) if u.get("track") == "agent"]
    terms: list[str] = []
    for signal in document.get("confusion", []):
        time_s = float(signal.get("time_s") or 0.0)
        before = [u for u in agent if u["end_s"] <= time_s + 1e-6 and time_s - u["end_s"] <= window_s]
        if before:
            terms.extend(jargon_terms(before[-1].get("difficulty")))
    return terms


def call_row(document: dict[str, Any]) -> dict[str, Any]:
    """The per-call columns taken from the (redacted) document."""
    verdict = document.get("verdict", {})
    speakers = document.get("speakers", {})
    utterances = document.get("utterances", [])
    languages = Counter(
        (u.get("text_language") or {}).get("language") or "unknown" for u in utterances
    )
    redactions = (document.get("privacy") or {}).get("redactions") or {}
    return {
        "duration_s": document.get("duration_s"),
        "barrier": verdict.get("barrier"),
        "barrier_value": verdict.get("value"),
        "confidence": verdict.get("confidence"),
        "main_causes": list(verdict.get("main_causes") or []),
        "agent_language": (speakers.get("agent") or {}).get("language"),
        "customer_language": (speakers.get("customer") or {}).get("language"),
        "languages": dict(sorted(languages.items())),
        "utterances": len(utterances),
        "confusion_signals": len(document.get("confusion", [])),
        "suggestions": len(document.get("suggestions", [])),
        "suggestion_categories": dict(sorted(Counter(
            s.get("category") or "other" for s in document.get("suggestions", [])
        ).items())),
        "jargon_before_confusion": jargon_before_confusion(document),
        "stage_failures": len(document.get("failures", [])),
        "redacted": bool((document.get("privacy") or {}).get("redacted")),
        "redactions": int(sum(int(v) for v in redactions.values())),
        "redactions_by_kind": dict(sorted(redactions.items())),
    }


def utterance_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per utterance of the (redacted) document."""
    rows = []
    for utterance in document.get("utterances", []):
        text_language = utterance.get("text_language") or {}
        difficulty = utterance.get("difficulty") or {}
        confusion = utterance.get("confusion") or []
        rows.append({
            "utterance_id": utterance.get("id"),
            "track": utterance.get("track"),
            "start_s": utterance.get("start_s"),
            "end_s": utterance.get("end_s"),
            "text": utterance.get("text"),
            "language": text_language.get("language"),
            "speaker_language": text_language.get("speaker_language"),
            "difficulty": difficulty.get("value"),
            "jargon": jargon_terms(difficulty),
            "confusion": [c.get("kind") for c in confusion],
            "confusion_value": max((c.get("value") or 0.0 for c in confusion), default=None),
        })
    return rows


# -- process worker -------------------------------------------------------------------


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when its parent dies (a killed driver)."""
    import os
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except OSError:
        return
    if os.getppid() == 1:
        os._exit(0)


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def limit_threads(settings: Settings) -> None:
    """Hold a worker's OpenMP/BLAS libraries (the embedder, numpy) to its share of the
    cores, ``asr.cpu_threads``, unless the environment already says otherwise: N workers
    each spinning up one thread per core would oversubscribe the machine."""
    import os

    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, str(settings.asr.cpu_threads))


def warm_up() -> None:
    """Import what every call needs (service, stages, reports) before the first call,
    so a call's timeout measures the call, not the imports. (The summary's plotting
    library is loaded by the driver only, not by workers.)"""
    import langassist.assessment  # noqa: F401
    import langassist.audio  # noqa: F401
    import langassist.audit.report  # noqa: F401
    import langassist.service  # noqa: F401


def worker_main(connection: Any, spec: str, settings: Settings, out_dir: str) -> None:
    """A worker process: load resources once, then audit the calls sent to it.

    Messages in: a :class:`CallTask`, or ``None`` to stop. Messages out:
    ``("ready", None)``, ``("result", dict)`` per call, ``("fatal", message)``.
    """
    import signal

    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from langassist.pii import install_log_redaction

    install_log_redaction()
    limit_threads(settings)
    try:
        resources = load_resources(spec)
        warm_up()
    except (LangassistError, Fatal) as error:
        connection.send(("fatal", redact_text(str(error)).text))
        return
    connection.send(("ready", None))
    while True:
        try:
            task = connection.recv()
        except EOFError:
            return
        if task is None:
            return
        try:
            result = process_call(task, settings, resources, Path(out_dir))
        except Fatal as error:
            connection.send(("fatal", redact_text(str(error)).text))
            return
        except Exception as error:  # a bug on one input: recorded, quarantined, never silent
            logger.error("call %s raised %s", task.call_id, redact_text(f"{type(error).__name__}: {error}").text)
            result = failure_result(task, "error", f"{type(error).__name__}: {error}", retryable=False)
        connection.send(("result", result))

