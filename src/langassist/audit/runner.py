"""Run an audit: plan, skip what is done, process the rest, publish the run's tables.

The run is the replay driver at full speed over the same stage chain as every other
entry point (:func:`langassist.audit.worker.process_call`), under one of three engines:
``inline`` (in this process, no isolation; for debugging), ``local`` (a process pool
with per-call timeouts, :mod:`langassist.audit.pool`) or ``ray``
(:mod:`langassist.audit.ray_engine`). The ledger (:mod:`langassist.audit.state`) makes
it resumable and idempotent; the run's tables and reports are rebuilt from the ledger
at the end, so they cannot hold a duplicate or a partial row, and ``run.json`` is
written last as the "complete" marker.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langassist.audit.files import sweep_temp_files, write_atomic
from langassist.audit.inputs import CallTask, collect_inputs, plan_tasks
from langassist.audit.state import AuditState
from langassist.audit.worker import (
    CALLS_FOLDER,
    DEFAULT_RESOURCES,
    call_settings,
    config_fingerprint,
    load_resources,
    process_call,
)
from langassist.config import Settings
from langassist.errors import ConfigError, LangassistError
from langassist.pii import redact_text

__all__ = ["AuditOptions", "AuditProgress", "AuditReport", "DryRunItem", "dry_run", "run_audit"]

logger = logging.getLogger(__name__)

ENGINES = ("local", "ray", "inline")
EXIT_OK, EXIT_COULD_NOT_RUN, EXIT_FAILURES = 0, 1, 2
LOCK_FILE = ".audit.lock"


@dataclass(frozen=True, slots=True)
class AuditOptions:
    """How to run an audit (the settings say what to compute).

    Attributes:
        workers: worker processes (``local``) or actors (``ray``).
        engine: ``local``, ``ray`` or ``inline``.
        timeout_s: per-call wall-clock limit (``local``; best effort on ``ray``).
        max_attempts: attempts for a call whose worker crashed or timed out.
        resources: the ``"module:attribute"`` factory of worker resources.
        ray_address: an existing Ray cluster (``ray://host:10001`` or ``auto``).
    """

    workers: int = 1
    engine: str = "local"
    timeout_s: float = 600.0
    max_attempts: int = 2
    resources: str = DEFAULT_RESOURCES
    ray_address: str | None = None

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ConfigError(f"engine {self.engine!r}: choose one of {', '.join(ENGINES)}")
        if self.workers < 1:
            raise ConfigError(f"workers = {self.workers}: give at least 1")
        if not 0.1 <= self.timeout_s <= 7 * 24 * 3600:
            raise ConfigError(f"timeout_s = {self.timeout_s}: allowed 0.1 to 604800")
        if not 1 <= self.max_attempts <= 10:
            raise ConfigError(f"max_attempts = {self.max_attempts}: allowed 1 to 10")


@dataclass(frozen=True, slots=True)
class AuditProgress:
    """Where a run stands, for a progress bar."""

    total: int
    finished: int
    quarantined: int
    audio_s: float
    elapsed_s: float
    current: str | None = None


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The outcome of :func:`run_audit`."""

    out_dir: Path
    total: int
    done: int
    quarantined: int
    processed: int
    skipped: int
    resumed: int
    audio_s: float
    elapsed_s: float
    quarantine: tuple[dict[str, Any], ...] = ()
    exit_code: int = EXIT_OK


@dataclass(frozen=True, slots=True)
class DryRunItem:
    """What a dry run found for one input."""

    call_id: str
    path: str
    status: str
    reason: str = ""
    already_done: bool = False


@contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    handle = (out_dir / LOCK_FILE).open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.close()
        raise ConfigError(f"{out_dir}: another audit is writing to this folder") from exc
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def plan(inputs: Sequence[str | os.PathLike[str]], settings: Settings,
         resources: str = DEFAULT_RESOURCES) -> list[CallTask]:
    """Resolve inputs to tasks, each keyed by content, per-call config and call id."""
    refs = collect_inputs(inputs)
    if not refs:
        raise ConfigError("no recordings, transcripts or chat logs found in the inputs")
    configs: list[str] = []
    for ref in refs:
        probe_task = CallTask(key="", ref=ref, content_sha256="", config_sha256="", name="")
        configs.append(config_fingerprint(call_settings(settings, probe_task), resources))
    return plan_tasks(refs, configs)


def _output_ok(out_dir: Path, task: CallTask, expected_sha256: str | None) -> bool:
    import hashlib

    path = out_dir / CALLS_FOLDER / f"{task.name}.json"
    html = path.with_suffix(".html")
    if not path.is_file() or not html.is_file() or expected_sha256 is None:
        return False
    return hashlib.sha256(path.read_bytes()).hexdigest() == expected_sha256


def run_audit(
    inputs: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    settings: Settings,
    options: AuditOptions | None = None,
    *,
    on_progress: Callable[[AuditProgress], None] | None = None,
) -> AuditReport:
    """Audit every call in ``inputs`` into ``out_dir``; resumable and idempotent.

    Returns:
        The report; ``exit_code`` is 0 when every call was assessed, 2 when some were
        quarantined.

    Raises:
        ConfigError: bad inputs or options; another run holds the folder.
        Fatal: the run cannot go on (a model is missing): nothing is lost, rerun later.
    """
    from langassist.pii import install_log_redaction

    install_log_redaction()
    options = options or AuditOptions()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with _locked(out), AuditState(out) as state:
        sweep_temp_files(out)
        tasks = plan(inputs, settings, options.resources)
        resumed = state.register(tasks)
        run_id = state.start_run(options.engine)
        todo: list[CallTask] = []
        finished = quarantined = 0
        audio_s = 0.0
        for task in tasks:
            row = state.get(task.key)
            if row is not None and row.status == "done" and _output_ok(out, task, row.output_sha256):
                finished += 1
                audio_s += row.audio_s
            elif row is not None and row.status == "quarantined":
                finished += 1
                quarantined += 1
            else:
                todo.append(task)
        skipped = len(tasks) - len(todo)
        counters = {"finished": finished, "quarantined": quarantined, "audio_s": audio_s}

        def report(current: str | None = None) -> None:
            if on_progress is not None:
                on_progress(AuditProgress(
                    total=len(tasks), finished=int(counters["finished"]),
                    quarantined=int(counters["quarantined"]), audio_s=float(counters["audio_s"]),
                    elapsed_s=time.monotonic() - started, current=current,
                ))

        def on_start(task: CallTask) -> None:
            state.mark_running(task.key)
            report(task.call_id)

        def on_result(task: CallTask, result: dict[str, Any]) -> bool:
            if result["status"] == "done":
                state.mark_done(task.key, result)
                counters["finished"] += 1
                counters["audio_s"] += float(result.get("audio_s") or 0.0)
                report()
                return False
            status = state.mark_failed(
                task.key, reason=result["reason"], message=result["message"],
                retryable=bool(result.get("retryable")), max_attempts=options.max_attempts,
                processing_s=result.get("processing_s"),
            )
            if status == "retry":
                return True
            counters["finished"] += 1
            counters["quarantined"] += 1
            report()
            return False

        report()
        if todo:
            _run_engine(todo, settings, options, out, on_start, on_result)
        report()
        rows = publish_tables(out, tasks, state, settings, skip_if_current=not todo)
        state.finish_run(run_id, processed=len(todo), skipped=skipped, resumed=resumed)
    done_rows = [r for r in rows if r["status"] == "done"]
    failed_rows = tuple(
        {"call_id": r["call_id"], "input": r["input"], "reason": r["reason"], "message": r["message"]}
        for r in rows if r["status"] != "done"
    )
    return AuditReport(
        out_dir=out, total=len(tasks), done=len(done_rows), quarantined=len(failed_rows),
        processed=len(todo), skipped=skipped, resumed=resumed,
        audio_s=sum(float(r.get("audio_s") or 0.0) for r in done_rows),
        elapsed_s=time.monotonic() - started, quarantine=failed_rows,
        exit_code=EXIT_FAILURES if failed_rows else EXIT_OK,
    )


def _run_engine(
    todo: list[CallTask], settings: Settings, options: AuditOptions, out: Path,
    on_start: Callable[[CallTask], None], on_result: Callable[[CallTask, dict[str, Any]], bool],
) -> None:
    if options.engine == "inline":
        resources = load_resources(options.resources)
        queue = list(todo)
        while queue:
            task = queue.pop(0)
            on_start(task)
            if on_result(task, process_call(task, settings, resources, out)):
                queue.append(task)
    elif options.engine == "local":
        from langassist.audit.pool import ProcessPool

        ProcessPool(options.workers, options.resources, settings, out,
                    timeout_s=options.timeout_s).run(todo, on_start, on_result)
    else:
        from langassist.audit.ray_engine import run_on_ray

        run_on_ray(todo, settings, options, out, on_start, on_result)


def _jsonl(rows: Sequence[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n" for row in rows)


def _parquet(rows: Sequence[dict[str, Any]]) -> bytes | None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        logger.warning("pyarrow is not installed: Parquet tables skipped (pip install 'langassist[audit]')")
        return None
    columns = sorted({key for row in rows for key in row})
    flat = []
    for row in rows:
        item = {}
        for column in columns:
            value = row.get(column)
            if isinstance(value, dict):
                value = json.dumps(value, sort_keys=True, ensure_ascii=False)
            item[column] = value
        flat.append(item)
    table = pa.Table.from_pylist(flat) if flat else pa.table({c: [] for c in columns})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue().to_pybytes())


def call_table_row(task: CallTask, row: Any) -> dict[str, Any]:
    """The ``calls`` row of one task: identity, manifest columns, status and results."""
    ref = task.ref
    base: dict[str, Any] = {
        "call_id": task.call_id,
        "key": task.key,
        "input": str(task.path),
        "report": f"{CALLS_FOLDER}/{task.name}.html" if row.status == "done" else None,
        "document": f"{CALLS_FOLDER}/{task.name}.json" if row.status == "done" else None,
        "queue": ref.queue,
        "agent_id": ref.agent_id,
        "agent_channel": ref.agent_channel,
        "agent_languages": list(ref.agent_languages) if ref.agent_languages else None,
        "status": "done" if row.status == "done" else "quarantined",
        "reason": row.reason,
        "message": row.message,
        "attempts": row.attempts,
        "audio_s": row.audio_s,
    }
    for column, value in ref.extra.items():
        base[column if column not in base else f"manifest_{column}"] = value
    base.update(row.call_row or {})
    return base


def publish_tables(
    out: Path, tasks: Sequence[CallTask], state: AuditState, settings: Settings, *,
    skip_if_current: bool = False,
) -> list[dict[str, Any]]:
    """Write calls/utterances JSONL and Parquet, quarantine.jsonl, summary.html, run.json.

    Args:
        skip_if_current: keep the published files when ``run.json`` says they were built
            from exactly these rows (a rerun that did no work).
    """
    import hashlib

    from langassist.audit.report import render_summary_html

    calls: list[dict[str, Any]] = []
    utterances: list[dict[str, Any]] = []
    for task in tasks:
        row = state.get(task.key)
        if row is None or row.status not in ("done", "quarantined"):
            continue
        calls.append(call_table_row(task, row))
        if row.status == "done":
            for utterance in row.utterance_rows:
                utterances.append({"call_id": task.call_id, "key": task.key, **utterance})
    calls_text = _jsonl(calls)
    tables_sha256 = hashlib.sha256(
        (calls_text + _jsonl(utterances) + str(settings.privacy.redact)).encode()
    ).hexdigest()
    marker = out / "run.json"
    if skip_if_current and marker.is_file():
        try:
            previous = json.loads(marker.read_text(encoding="utf-8")).get("tables_sha256")
        except (OSError, json.JSONDecodeError):
            previous = None
        if previous == tables_sha256:
            return calls
    write_atomic(out / "calls.jsonl", calls_text)
    write_atomic(out / "utterances.jsonl", _jsonl(utterances))
    for name, rows in (("calls", calls), ("utterances", utterances)):
        data = _parquet(rows)
        if data is not None:
            write_atomic(out / f"{name}.parquet", data)
    quarantine = [
        {"call_id": r["call_id"], "input": r["input"], "reason": r["reason"], "message": r["message"],
         "attempts": r["attempts"]}
        for r in calls if r["status"] != "done"
    ]
    write_atomic(out / "quarantine.jsonl", _jsonl(quarantine))
    run = {"redact": settings.privacy.redact}
    write_atomic(out / "summary.html", render_summary_html(calls, run))
    from langassist import service

    metadata = service.run_metadata(settings)
    metadata["config_sha256"] = sorted({t.config_sha256 for t in tasks})
    metadata["calls"] = len(calls)
    metadata["done"] = sum(1 for r in calls if r["status"] == "done")
    metadata["quarantined"] = len(quarantine)
    metadata["tables_sha256"] = tables_sha256
    write_atomic(out / "run.json", json.dumps(metadata, indent=2, sort_keys=True, default=str) + "\n")
    return calls


def dry_run(
    inputs: Sequence[str | os.PathLike[str]],
    settings: Settings,
    out_dir: str | os.PathLike[str] | None = None,
    resources: str = DEFAULT_RESOURCES,
) -> list[DryRunItem]:
    """Probe every input (audio header and decode check, transcript parse), load no model,
    write nothing; say which would fail and which are already done in ``out_dir``."""
    from langassist import service
    from langassist.audio import probe

    tasks = plan(inputs, settings, resources)
    done: set[str] = set()
    state_file = Path(out_dir) / "audit-state.sqlite" if out_dir else None
    if state_file is not None and state_file.is_file():
        import sqlite3

        with sqlite3.connect(f"file:{state_file}?mode=ro", uri=True) as db:
            done = {key for (key,) in db.execute("SELECT key FROM calls WHERE status='done'")}
    items = []
    for task in tasks:
        status, reason = "ok", ""
        if task.ref.refused:
            status, reason = "refused", task.ref.refused
        else:
            try:
                if task.is_audio:
                    service._require_file(task.path)
                    result = probe(task.path, call_settings(settings, task).audio)
                    status, reason = result.status, "" if result.ok else result.reason
                else:
                    service.load_call(task.path, settings)
            except LangassistError as error:
                status = getattr(error, "status", None) or "transcript_format"
                reason = str(error)
        items.append(DryRunItem(task.call_id, str(task.path), status, redact_text(reason).text,
                                task.key in done))
    return items

