"""Batch call audit: folders of recordings and chat logs to per-call reports and tables.

The audit is the replay driver at full speed over the same stage chain as the live
sidebar (:func:`langassist.service.load_call`, then
:meth:`langassist.assessment.Assessor.assess`), with an SQLite ledger that makes it
resumable (``kill -9`` then rerun redoes only in-flight calls) and idempotent (a rerun
of a finished audit does no work; a config change redoes every call), worker processes
with a per-call timeout so a poison input costs only itself, and PII redaction in
every output. Typical use::

    from langassist import service
    from langassist.audit import AuditOptions, run_audit

    settings = service.load_settings("audit")
    report = run_audit(["calls/"], "audit-out", settings, AuditOptions(workers=2))
    print(report.done, report.quarantined, report.exit_code)

Outputs in the output folder: ``calls/<call>.json`` (the redacted assessment
document) and ``calls/<call>.html`` (timeline plot and transcript), ``calls.jsonl``,
``utterances.jsonl`` and their ``.parquet`` twins, ``quarantine.jsonl``,
``summary.html``, ``run.json`` (written last) and ``audit-state.sqlite`` (the ledger).
"""

from __future__ import annotations

from langassist.audit.inputs import CallTask, InputRef, collect_inputs
from langassist.audit.runner import (
    AuditOptions,
    AuditProgress,
    AuditReport,
    DryRunItem,
    dry_run,
    run_audit,
)
from langassist.audit.worker import Fatal

__all__ = [
    "AuditOptions",
    "AuditProgress",
    "AuditReport",
    "CallTask",
    "DryRunItem",
    "Fatal",
    "InputRef",
    "collect_inputs",
    "dry_run",
    "run_audit",
]
