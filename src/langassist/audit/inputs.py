"""What an audit reads: folders, globs and manifests, resolved into :class:`CallTask` s.

An input argument is one of:

* a folder: every recording (WAV, FLAC, MP3, OGG, Opus, M4A, WebM) and transcript
  (``.json`` from ``langassist transcribe -f json``, ``.jsonl`` chat logs) under it,
  recursively, hidden files skipped. A symbolic link inside the folder that points
  outside it is refused (the task carries the refusal and is quarantined, never opened);
* a glob (``"calls/**/*.wav"``), expanded here when the shell did not;
* a manifest: a ``.csv`` file, or a ``.jsonl``/``.json`` file whose first row has a
  ``path`` column and no ``text``. Columns: ``path`` (relative to the manifest's folder
  or absolute), ``call_id``, ``agent_channel`` (``0``/``left`` or ``1``/``right``),
  ``agent_languages`` (``en,es``), ``queue``, ``agent_id``; any other column is carried
  through to the call's rows;
* a file: a recording or a transcript, followed if it is a symbolic link (it was named).

Each task's idempotency key is the SHA-256 of the input's content, the config
fingerprint and the call id, so a finished call is never redone and a config change
redoes every call. Output names are generated here (a safe slug of the call id), never
taken from input text.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langassist.errors import ConfigError

__all__ = [
    "AUDIO_SUFFIXES",
    "TRANSCRIPT_SUFFIXES",
    "CallTask",
    "InputRef",
    "collect_inputs",
    "content_sha256",
    "plan_tasks",
]

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".webm", ".aac")
TRANSCRIPT_SUFFIXES = (".json", ".jsonl")
MANIFEST_COLUMNS = ("path", "call_id", "agent_channel", "agent_languages", "queue", "agent_id")
_GLOB_CHARS = re.compile(r"[*?\[]")
_SLUG_RE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class InputRef:
    """One input found by :func:`collect_inputs`, before hashing.

    Attributes:
        path: the file (absolute, symlinks not resolved).
        call_id: from the manifest, else the file stem.
        agent_channel: 0 (left) or 1 (right) for stereo recordings; ``None``: settings.
        agent_languages: from the manifest; ``None``: settings.
        queue / agent_id: grouping columns for the summary.
        extra: other manifest columns, carried through to the call's rows.
        refused: why the input may not be opened (a symlink escaping its folder).
    """

    path: Path
    call_id: str
    agent_channel: int | None = None
    agent_languages: tuple[str, ...] | None = None
    queue: str | None = None
    agent_id: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    refused: str | None = None


@dataclass(frozen=True, slots=True)
class CallTask:
    """One call to audit: the input, its key and its generated output name."""

    key: str
    ref: InputRef
    content_sha256: str
    config_sha256: str
    name: str

    @property
    def path(self) -> Path:
        return self.ref.path

    @property
    def call_id(self) -> str:
        return self.ref.call_id

    @property
    def is_audio(self) -> bool:
        return self.ref.path.suffix.lower() not in TRANSCRIPT_SUFFIXES


def _is_candidate(path: Path) -> bool:
    return path.suffix.lower() in AUDIO_SUFFIXES + TRANSCRIPT_SUFFIXES


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return False
    return True


def _walk_folder(root: Path) -> list[InputRef]:
    refs: list[InputRef] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            if not _is_candidate(path):
                continue
            refused = None
            if path.is_symlink() and not _inside(path, root):
                refused = "symlink points outside the input folder"
            refs.append(InputRef(path=path.absolute(), call_id=path.stem, refused=refused))
    return refs


def _looks_like_manifest(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return True
    if suffix not in (".jsonl", ".json"):
        return False
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    first = json.loads(line)
                    break
            else:
                return False
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(first, dict) and "path" in first and "text" not in first and "schema" not in first


def _parse_channel(value: Any, where: str) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip().lower()
    if text in ("0", "left", "l"):
        return 0
    if text in ("1", "right", "r"):
        return 1
    raise ConfigError(f"{where}: agent_channel {value!r} must be 0/left or 1/right")


def parse_languages(value: Any) -> tuple[str, ...] | None:
    """``"en,es"``, ``"en;es"``, ``"en es"`` or a list -> ``("en", "es")``; empty -> ``None``."""
    if value is None:
        return None
    items = value if isinstance(value, list | tuple) else re.split(r"[,; ]+", str(value))
    languages = tuple(str(item).strip().lower() for item in items if str(item).strip())
    return languages or None


def _read_manifest(path: Path) -> list[InputRef]:
    rows: list[dict[str, Any]]
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = [dict(row) for row in csv.DictReader(handle)]
    else:
        rows = []
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"{path}: line {number} is not JSON: {exc.msg}") from exc
                if not isinstance(row, dict):
                    raise ConfigError(f"{path}: line {number} must be an object")
                rows.append(row)
    refs: list[InputRef] = []
    for number, row in enumerate(rows, start=1):
        where = f"{path} row {number}"
        raw = str(row.get("path") or "").strip()
        if not raw:
            raise ConfigError(f"{where}: the path column is empty")
        target = Path(raw).expanduser()
        if not target.is_absolute():
            target = path.parent / target
        extra = {
            str(k): "" if v is None else str(v)
            for k, v in row.items()
            if k not in MANIFEST_COLUMNS and k is not None
        }
        call_id = str(row.get("call_id") or "").strip() or target.stem
        refs.append(
            InputRef(
                path=target.absolute(),
                call_id=call_id,
                agent_channel=_parse_channel(row.get("agent_channel"), where),
                agent_languages=parse_languages(row.get("agent_languages")),
                queue=(str(row["queue"]).strip() or None) if row.get("queue") is not None else None,
                agent_id=(str(row["agent_id"]).strip() or None) if row.get("agent_id") is not None else None,
                extra=extra,
            )
        )
    return refs


def collect_inputs(arguments: Iterable[str | os.PathLike[str]]) -> list[InputRef]:
    """Expand folders, globs and manifests into inputs, in a stable order.

    Raises:
        ConfigError: an argument matches nothing, or a manifest is malformed.
    """
    refs: list[InputRef] = []
    for argument in arguments:
        text = os.fspath(argument)
        path = Path(text).expanduser()
        if not path.exists() and not path.is_symlink() and _GLOB_CHARS.search(text):
            matches = sorted(glob.glob(os.path.expanduser(text), recursive=True))
            if not matches:
                raise ConfigError(f"{text}: the pattern matches no file")
            for match in matches:
                candidate = Path(match)
                if candidate.is_dir():
                    refs.extend(_walk_folder(candidate))
                elif _is_candidate(candidate):
                    refs.append(InputRef(path=candidate.absolute(), call_id=candidate.stem))
            continue
        if path.is_dir():
            refs.extend(_walk_folder(path))
        elif path.is_file() and _looks_like_manifest(path):
            refs.extend(_read_manifest(path))
        elif path.exists() or path.is_symlink():
            refs.append(InputRef(path=path.absolute(), call_id=path.stem))
        else:
            raise ConfigError(f"{text}: no such file or folder")
    seen: set[Path] = set()
    unique: list[InputRef] = []
    for ref in refs:
        if ref.path in seen:
            continue
        seen.add(ref.path)
        unique.append(ref)
    return unique


def content_sha256(path: Path, chunk_bytes: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes (``"missing"`` style markers for unreadable files)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while block := handle.read(chunk_bytes):
                digest.update(block)
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable:{exc.errno}"
    return digest.hexdigest()


def slug(text: str, max_chars: int = 80) -> str:
    """A file-name-safe form of ``text`` (ASCII letters, digits, ``._-``)."""
    cleaned = _SLUG_RE.sub("_", text).strip("._")
    return cleaned[:max_chars] or "call"


def plan_tasks(refs: Sequence[InputRef], config_sha256: Sequence[str] | str) -> list[CallTask]:
    """Hash each input and give it its idempotency key and a unique output name.

    Args:
        config_sha256: one fingerprint for all inputs, or one per input (per-call settings
            from the manifest change it), in the order of ``refs``.
    """
    tasks: list[CallTask] = []
    used: set[str] = set()
    keys: set[str] = set()
    for index, ref in enumerate(refs):
        config = config_sha256 if isinstance(config_sha256, str) else config_sha256[index]
        content = "refused" if ref.refused else content_sha256(ref.path)
        key = hashlib.sha256(f"{content}\n{config}\n{ref.call_id}".encode()).hexdigest()
        if key in keys:
            continue  # the same content under the same call id: one call, audited once
        keys.add(key)
        name = slug(ref.call_id)
        if name != ref.call_id or name.lower() in used:
            name = f"{name}-{key[:8]}"
        while name.lower() in used:
            name = f"{name}-{len(used)}"
        used.add(name.lower())
        tasks.append(CallTask(key=key, ref=ref, content_sha256=content, config_sha256=config, name=name))
    return tasks
