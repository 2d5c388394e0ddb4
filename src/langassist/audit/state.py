"""The audit's ledger: an embedded SQLite database (WAL) in the output folder.

One row per idempotency key. States::

    pending -> running -> done
                      \\-> retry (worker crashed or timed out; attempts < max) -> running
                      \\-> quarantined (bad input, or poison after max attempts)

A row left ``running`` by a killed driver goes back to ``pending`` on the next run
without counting an attempt (the call was not at fault), so a resumed run redoes only
the calls that were in flight. Every transition is one committed transaction. Rows hold
only redacted data (the call row and utterance rows derived from the redacted document).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["STATE_FILE", "AuditState", "LedgerRow"]

STATE_FILE = "audit-state.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    call_id TEXT NOT NULL,
    input_path TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    config_sha256 TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    message TEXT,
    output_sha256 TEXT,
    audio_s REAL NOT NULL DEFAULT 0,
    processing_s REAL,
    call_row TEXT,
    utterance_rows TEXT,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at REAL NOT NULL,
    finished_at REAL,
    engine TEXT,
    processed INTEGER DEFAULT 0,
    skipped INTEGER DEFAULT 0,
    resumed INTEGER DEFAULT 0
);
"""


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One call's row in the ledger."""

    key: str
    name: str
    call_id: str
    input_path: str
    status: str
    attempts: int
    reason: str | None
    message: str | None
    output_sha256: str | None
    audio_s: float
    processing_s: float | None
    call_row: dict[str, Any] | None
    utterance_rows: list[dict[str, Any]]


class AuditState:
    """The ledger of one output folder. Use as a context manager, from one process."""

    def __init__(self, out_dir: Path) -> None:
        self.path = Path(out_dir) / STATE_FILE
        self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def __enter__(self) -> AuditState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def start_run(self, engine: str) -> int:
        with self._transaction() as db:
            cursor = db.execute("INSERT INTO runs (started_at, engine) VALUES (?, ?)", (time.time(), engine))
            return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, *, processed: int, skipped: int, resumed: int) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE runs SET finished_at=?, processed=?, skipped=?, resumed=? WHERE id=?",
                (time.time(), processed, skipped, resumed, run_id),
            )

    def register(self, tasks: Iterable[Any]) -> int:
        """Add a pending row per new task; reset rows a killed run left running.

        Returns:
            How many rows were found ``running`` (in flight when the last run died).
        """
        now = time.time()
        with self._transaction() as db:
            for task in tasks:
                db.execute(
                    "INSERT OR IGNORE INTO calls (key, name, call_id, input_path, content_sha256,"
                    " config_sha256, status, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)",
                    (task.key, task.name, task.call_id, str(task.path), task.content_sha256,
                     task.config_sha256, now),
                )
            cursor = db.execute(
                "UPDATE calls SET status='pending', updated_at=? WHERE status='running'", (now,)
            )
            return int(cursor.rowcount)

    def get(self, key: str) -> LedgerRow | None:
        cursor = self._db.execute(
            "SELECT key, name, call_id, input_path, status, attempts, reason, message, output_sha256,"
            " audio_s, processing_s, call_row, utterance_rows FROM calls WHERE key=?",
            (key,),
        )
        row = cursor.fetchone()
        if row is None:
            return None
        return LedgerRow(
            key=row[0], name=row[1], call_id=row[2], input_path=row[3], status=row[4],
            attempts=int(row[5]), reason=row[6], message=row[7], output_sha256=row[8],
            audio_s=float(row[9] or 0.0), processing_s=row[10],
            call_row=json.loads(row[11]) if row[11] else None,
            utterance_rows=json.loads(row[12]) if row[12] else [],
        )

    def mark_running(self, key: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE calls SET status='running', updated_at=? WHERE key=?", (time.time(), key))

    def mark_done(self, key: str, result: dict[str, Any]) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE calls SET status='done', attempts=attempts+1, reason=NULL, message=NULL,"
                " output_sha256=?, audio_s=?, processing_s=?, call_row=?, utterance_rows=?,"
                " updated_at=? WHERE key=?",
                (result["output_sha256"], float(result.get("audio_s") or 0.0),
                 result.get("processing_s"), json.dumps(result["call_row"], sort_keys=True),
                 json.dumps(result["utterance_rows"], sort_keys=True), time.time(), key),
            )

    def mark_failed(
        self, key: str, *, reason: str, message: str, retryable: bool, max_attempts: int,
        processing_s: float | None = None,
    ) -> str:
        """Record a failed attempt; returns the new status (``retry`` or ``quarantined``)."""
        with self._transaction() as db:
            row = db.execute("SELECT attempts FROM calls WHERE key=?", (key,)).fetchone()
            attempts = (int(row[0]) if row else 0) + 1
            status = "retry" if retryable and attempts < max_attempts else "quarantined"
            db.execute(
                "UPDATE calls SET status=?, attempts=?, reason=?, message=?, processing_s=?,"
                " updated_at=? WHERE key=?",
                (status, attempts, reason, message, processing_s, time.time(), key),
            )
            return status
