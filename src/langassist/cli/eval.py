"""``langassist eval`` and ``langassist bench``: the research evaluation harness.

Thin: load settings, call :func:`langassist.eval.harness.run_task`, write the results
(:mod:`langassist.eval.report`) and print the comparison table with 95 % intervals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from langassist import service
from langassist.errors import LangassistError

__all__ = ["BENCH_TASKS", "bench_command", "eval_command"]

stdout = Console()
stderr = Console(stderr=True)

BENCH_TASKS: tuple[tuple[str, str, int], ...] = (
    ("text-lid", "langid-lingua", 220),
    ("difficulty", "readability-onestopenglish", 150),
    ("confusion", "clarification-requests", 300),
)
"""The quick set run by ``langassist bench``: (task, shared-data folder, --limit)."""

PipelineOption = Annotated[
    str | None,
    typer.Option("--pipeline", "-p", help="Pipeline settings file or name from pipelines/.",
                 envvar="LANGASSIST_PIPELINE"),
]
OutOption = Annotated[Path, typer.Option("--out", "-o", help="Folder for the JSON, items JSONL, Markdown and PNG.")]
LimitOption = Annotated[int | None, typer.Option("--limit", "-n", min=1, help="Evaluate at most N items "
                                                 "(per category for text-lid), spread over the data.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Bootstrap seed (same seed, same intervals).")]


def _fail(message: str) -> typer.Exit:
    stderr.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


def eval_command(
    task: Annotated[str, typer.Argument(help="text-lid, difficulty, confusion, asr or translation.",
                                        show_default=False)],
    data: Annotated[Path, typer.Option("--data", "-d", help="Dataset folder (e.g. ../shared/data/langid-lingua, "
                                       "or the data root) or a TSV/CSV/JSONL manifest.", show_default=False)],
    pipeline: PipelineOption = None,
    grid: Annotated[list[str] | None, typer.Option(
        "--grid", "-g", help="key=v1,v2 (repeatable): settings dotted keys (asr.model, "
        "language_id.backends; '+' joins tuple items) or task parameters (backend, system, split, "
        "subset, pair, testset). Every combination runs.")] = None,
    limit: LimitOption = None,
    out: OutOption = Path("eval-results"),
    seed: SeedOption = 0,
    plot: Annotated[bool, typer.Option(help="Also draw a PNG figure.")] = True,
) -> None:
    """Evaluate one task on a dataset (optionally over a grid of settings) with 95 % intervals."""
    from langassist.eval.harness import parse_grid, run_task
    from langassist.eval.report import markdown_table, write_results

    try:
        settings = service.load_settings(pipeline)
        result = run_task(task, data, settings, grid=parse_grid(grid or []), limit=limit, seed=seed,
                          on_run=lambda run: stderr.print(f"done: {escape(run.label)}", highlight=False))
        paths = write_results(result, out, plot=plot)
    except (LangassistError, OSError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    stdout.print(markdown_table(result), highlight=False, markup=False, soft_wrap=True)
    for kind, path in paths.items():
        stderr.print(f"{kind}: {escape(str(path))}", highlight=False)


def bench_command(
    data: Annotated[Path | None, typer.Option("--data", "-d", help="The shared data root "
                                              "(default: data_dir, env LANGASSIST_DATA_DIR).")] = None,
    pipeline: PipelineOption = None,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=1,
                                              help="Override every task's item limit.")] = None,
    out: OutOption = Path("eval-results"),
    seed: SeedOption = 0,
) -> None:
    """Quick benchmark: small runs of text-lid, difficulty and confusion, one table."""
    from langassist.eval.harness import run_task
    from langassist.eval.report import write_results

    rows: list[str] = ["| task | model | n | metric | value [95 % CI] |", "|---|---|---|---|---|"]
    try:
        settings = service.load_settings(pipeline)
        root = Path(data) if data is not None else Path(settings.data_dir)
        for task, folder, default_limit in BENCH_TASKS:
            result = run_task(task, root / folder, settings, limit=limit or default_limit, seed=seed)
            write_results(result, out)
            for run in result.runs:
                model = "; ".join(str(v) for v in run.models.values())
                for name, metric in run.metrics.items():
                    rows.append(f"| {task} | {model} | {metric.n} | {name} | {metric.format()} |")
            stderr.print(f"done: {task}", highlight=False)
    except (LangassistError, OSError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    stdout.print("\n".join(rows), highlight=False, markup=False, soft_wrap=True)
