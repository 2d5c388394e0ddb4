"""``langassist audit``: a resumable batch audit of folders, globs or manifests of calls.

Thin: load settings, call :func:`langassist.audit.run_audit` (or
:func:`~langassist.audit.dry_run`), render a rich progress bar and a one-screen
summary. Exit codes: 0 every call assessed, 2 completed with quarantined calls,
1 the audit could not run.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from langassist import service
from langassist.config import Settings
from langassist.errors import LangassistError

__all__ = ["audit_command", "share_cores"]

stderr = Console(stderr=True)


def share_cores(settings: Settings, workers: int, cores: int | None = None) -> Settings:
    """``settings`` with ``asr.cpu_threads`` lowered so that ``workers`` processes share the
    machine's cores instead of each taking ``asr.cpu_threads`` of them (never raised)."""
    import dataclasses
    import os

    cores = cores or os.cpu_count() or 1
    threads = max(1, min(settings.asr.cpu_threads, cores // workers))
    if threads == settings.asr.cpu_threads:
        return settings
    return dataclasses.replace(settings, asr=dataclasses.replace(settings.asr, cpu_threads=threads))


def audit_command(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Folders, files, globs (quoted, e.g. 'calls/**/*.wav') or manifests (CSV/JSONL "
            "with path, call_id, agent_channel, agent_languages, queue, agent_id columns).",
            show_default=False,
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (reports, tables, state).")],
    workers: Annotated[int, typer.Option("--workers", "-w", help="Worker processes (Ray actors with --engine ray); "
                                         "they share the cores: asr.cpu_threads is lowered to cores / workers.",
                                         min=1)] = 1,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Probe every input and report what would fail; "
                                          "load no model, write nothing.")] = False,
    no_redact: Annotated[bool, typer.Option("--no-redact", help="Keep PII (card numbers, e-mails, phones) "
                                            "in the outputs. Redaction is on by default.")] = False,
    engine: Annotated[str, typer.Option("--engine", help="local (process pool) or ray (Ray Data).")] = "local",
    timeout_s: Annotated[float, typer.Option("--timeout-s", help="Per-call time limit in seconds; a call "
                                             "past it is retried once, then quarantined.")] = 600.0,
    pipeline: Annotated[str | None, typer.Option("--pipeline", "-p", help="Pipeline settings file or name "
                                                 "from pipelines/.", envvar="LANGASSIST_PIPELINE")] = "audit",
    agent_languages: Annotated[str | None, typer.Option(help="Languages the agents serve, comma-separated "
                                                        "(e.g. en,es); a manifest column overrides it.")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Speech model for recordings.")] = None,
    ray_address: Annotated[str | None, typer.Option(help="An existing Ray cluster: auto or ray://HOST:10001.",
                                                    envvar="RAY_ADDRESS")] = None,
    resources: Annotated[str | None, typer.Option(hidden=True, envvar="LANGASSIST_AUDIT_RESOURCES",
                                                  help="module:attribute factory of worker resources.")] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar on standard error.")] = True,
) -> None:
    """Audit many calls for language barriers: per-call reports, tables and a summary.

    Resumable (kill it and run it again: only calls in flight are redone) and idempotent
    (a finished audit reruns in seconds; a changed setting redoes every call). Inputs that
    hang, crash a worker or cannot be decoded are quarantined with a reason.
    """
    from langassist.audit import AuditOptions, AuditProgress, run_audit
    from langassist.audit import dry_run as probe_all
    from langassist.audit.worker import DEFAULT_RESOURCES, Fatal

    overrides = {k: v for k, v in {
        "assessment.agent_languages": agent_languages,
        "asr.model": model,
        "privacy.redact": False if no_redact else None,
    }.items() if v is not None}
    try:
        settings = service.load_settings(pipeline, overrides=overrides)
        settings = share_cores(settings, workers)
        options = AuditOptions(workers=workers, engine=engine, timeout_s=timeout_s,
                               resources=resources or DEFAULT_RESOURCES, ray_address=ray_address)
        if dry_run:
            items = probe_all(inputs, settings, out, options.resources)
            bad = [item for item in items if item.status != "ok"]
            for item in bad:
                stderr.print(f"would fail: {escape(item.path)}: {item.status}: {escape(item.reason)}",
                             highlight=False, soft_wrap=True)
            done = sum(item.already_done for item in items)
            stderr.print(f"{len(items)} input(s): {len(items) - len(bad)} ok, {len(bad)} would fail, "
                         f"{done} already done", highlight=False)
            raise typer.Exit(2 if bad else 0)
        bar = Progress(
            TextColumn("audit"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[hours]:.2f} h audio · {task.fields[speed]:.1f}× real time"),
            TimeRemainingColumn(), console=stderr, transient=True,
            disable=not (progress and stderr.is_terminal),
        )
        with bar:
            task = bar.add_task("audit", total=None, hours=0.0, speed=0.0)
            started = time.monotonic()

            def on_progress(state: AuditProgress) -> None:
                wall = max(time.monotonic() - started, 1e-6)
                bar.update(task, total=state.total, completed=state.finished,
                           hours=state.audio_s / 3600.0, speed=state.audio_s / wall)

            report = run_audit(inputs, out, settings, options, on_progress=on_progress)
    except (LangassistError, Fatal) as exc:
        stderr.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    for failed in report.quarantine:
        stderr.print(f"quarantined: {escape(failed['input'])}: {failed['reason']}: {escape(str(failed['message']))}",
                     highlight=False, soft_wrap=True)
    stderr.print(
        f"{report.total} call(s): {report.done} assessed, {report.quarantined} quarantined; "
        f"{report.processed} processed now, {report.skipped} already done; "
        f"{report.audio_s / 3600:.2f} h audio in {report.elapsed_s:.1f} s -> {escape(str(out / 'summary.html'))}",
        highlight=False, soft_wrap=True,
    )
    raise typer.Exit(report.exit_code)
