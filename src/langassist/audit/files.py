"""Atomic publication of output files: temp file in the same folder, fsync, rename.

A reader (or a resumed run) sees either the old file or the whole new one, never a
partial file. Temp names start with :data:`TEMP_PREFIX` so a run can sweep the ones a
killed process left behind.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

__all__ = ["TEMP_PREFIX", "sweep_temp_files", "write_atomic"]

TEMP_PREFIX = ".audit-tmp-"


def write_atomic(path: Path, data: bytes | str) -> str:
    """Write ``data`` to ``path`` atomically; returns the SHA-256 of the bytes written."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return hashlib.sha256(payload).hexdigest()


def sweep_temp_files(folder: Path) -> int:
    """Delete temp files a killed run left under ``folder``; returns how many."""
    removed = 0
    if not folder.is_dir():
        return 0
    for path in folder.rglob(f"{TEMP_PREFIX}*"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed
