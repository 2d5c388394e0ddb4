"""The ``langassist`` command line (Typer). Thin: load settings, call ``service``, render.

Every command maps :class:`~langassist.errors.LangassistError` to a one-line message on
standard error and a non-zero exit code.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from langassist import service
from langassist.cli.messages import file_error
from langassist.errors import LangassistError

__all__ = ["app", "main"]

app = typer.Typer(
    name="langassist",
    help=(
        "Find language barriers in customer-support calls and help the agent get past them.\n\n"
        "Start with `langassist transcribe CALL.wav` on a recording, or "
        "`langassist models list` to see which speech models are installed."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stderr = Console(stderr=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    stderr.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _overrides(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


PipelineOption = Annotated[
    str | None,
    typer.Option(
        "--pipeline",
        "-p",
        help="Pipeline settings file or name from pipelines/ (e.g. audit, live).",
        envvar="LANGASSIST_PIPELINE",
    ),
]


@app.callback()
def _root() -> None:
    """Find language barriers in customer-support calls and help the agent get past them."""


@app.command()
def transcribe(
    files: Annotated[
        list[Path],
        typer.Argument(help="Recordings to transcribe (WAV, FLAC, MP3, OGG, Opus, M4A).", show_default=False),
    ],
    model: Annotated[
        str | None,
        typer.Option(
            "--model", "-m",
            help="Catalog model name: whisper-tiny.en (English only, fastest) or whisper-base "
            "(multilingual, gives spoken-language probabilities). See `langassist models list`.",
        ),
    ] = None,
    channels: Annotated[
        str | None,
        typer.Option(
            help="Names of the channels of a stereo recording, in order, e.g. agent,customer "
            "or customer,agent. A mono recording is one track named 'mixed'.",
        ),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option(
            "--language", "-l",
            help="Force the spoken language (ISO 639-1, e.g. en, es). Default: detect it.",
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", help="Output format: json, jsonl, vtt, srt or text."),
    ] = "text",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o",
            help="Write one file per recording into this folder instead of standard output.",
        ),
    ] = None,
    beam_size: Annotated[int | None, typer.Option(help="Beam size (1 is fastest).")] = None,
    threads: Annotated[int | None, typer.Option(help="CPU threads for the model.")] = None,
    pipeline: PipelineOption = None,
    progress: Annotated[
        bool, typer.Option(help="Show a progress bar on standard error.")
    ] = True,
) -> None:
    """Transcribe each side of a call, with word timestamps and language probabilities.

    A stereo recording gives two tracks (agent and customer, see --channels). Files that cannot be used (empty, corrupt, truncated, unsupported, too long) are reported one line each and skipped; the exit code is 1 when any file failed.
    """
    from langassist.formats import FORMATS, render

    if fmt not in FORMATS:
        raise _fail(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")
    try:
        settings = service.load_settings(
            pipeline,
            overrides=_overrides(
                **{
                    "asr.model": model,
                    "asr.language": language,
                    "asr.beam_size": beam_size,
                    "asr.cpu_threads": threads,
                    "audio.channel_tracks": channels,
                }
            ),
        )
    except LangassistError as exc:
        raise _fail(str(exc)) from exc
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    failures = 0
    show = progress and stderr.is_terminal
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} s audio"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
        disable=not show,
    )
    with bar:
        task = bar.add_task("loading", total=1.0)

        def on_start(path: Path) -> None:
            bar.update(task, description=path.name, completed=0, total=1.0)

        def on_progress(done: float, total: float) -> None:
            bar.update(task, completed=done, total=max(total, 1e-6))

        for outcome in service.transcribe_files(
            files, settings, on_start=on_start, on_progress=on_progress
        ):
            if outcome.error is not None or outcome.transcript is None:
                failures += 1
                stderr.print(file_error(outcome.path, outcome.error), highlight=False, soft_wrap=True)
                if "not installed" in str(outcome.error) or "model" in type(outcome.error).__name__.lower():
                    break
                continue
            text = render(outcome.transcript, fmt)
            if out is not None:
                extension = {"text": "txt"}.get(fmt, fmt)
                target = out / f"{outcome.path.stem}.{extension}"
                target.write_text(text, encoding="utf-8")
                stderr.print(f"wrote {target}", highlight=False)
            else:
                sys.stdout.write(text)
                sys.stdout.flush()
    if failures:
        raise typer.Exit(1)


def _mount_optional(module: str, attribute: str, name: str, help_text: str) -> None:
    """Mount a sub-app defined in another module of ``langassist.cli``."""
    import importlib

    try:
        sub_app = getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError):  # module not present in this build
        return
    app.add_typer(sub_app, name=name, help=help_text)


def _mount_command(module: str, attribute: str, name: str) -> None:
    """Mount a command defined in another module of ``langassist.cli``."""
    import importlib

    app.command(name)(getattr(importlib.import_module(module), attribute))


_mount_command("langassist.cli.assess", "assess_command", "assess")
_mount_command("langassist.cli.audit", "audit_command", "audit")
_mount_command("langassist.cli.suggest", "suggest_command", "suggest")
_mount_command("langassist.cli.suggest", "translate_command", "translate")
_mount_command("langassist.cli.eval", "eval_command", "eval")
_mount_command("langassist.cli.eval", "bench_command", "bench")
_mount_command("langassist.cli.serve", "serve_command", "serve")
_mount_command("langassist.cli.replay", "replay_command", "replay")

_mount_optional(
    "langassist.cli.models", "models_app", "models",
    "List, pull, verify and locate the models langassist uses (offline first).",
)


def main() -> None:
    """Console entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except LangassistError as exc:
        stderr.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
