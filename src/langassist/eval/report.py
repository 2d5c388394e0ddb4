"""Write an :class:`~langassist.eval.harness.EvalResult`: JSON, per-item JSONL, Markdown, PNG.

Files, for ``<task>-<run_id>`` (the id hashes task, dataset fingerprint, grid, limit and
seed, so a rerun of the same evaluation replaces its files):

- ``.json``: metrics with intervals, details, resolved settings, models, environment;
- ``.items.jsonl``: one line per item and run (``run`` = grid point label), to read errors;
- ``.md``: the comparison table;
- ``.png``: a figure drawn from the JSON (accuracy by length, PR curve, or metrics with
  intervals).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from langassist.eval.harness import EvalResult

__all__ = ["markdown_table", "plot_result", "write_results"]


def markdown_table(result: EvalResult, *, digits: int = 3) -> str:
    """One row per run, one column per headline metric: ``value [low, high]``."""
    names: list[str] = []
    for run in result.runs:
        names.extend(name for name in run.metrics if name not in names)
    lines = [
        f"**{result.task}** on `{result.data}` (dataset sha256 {str(result.dataset.get('sha256', ''))[:12]}, "
        f"limit {result.limit}, seed {result.seed}; 95 % bootstrap intervals)",
        "",
        "| run | model | n | " + " | ".join(names) + " |",
        "|---|---|---|" + "---|" * len(names),
    ]
    for run in result.runs:
        model = "; ".join("+".join(map(str, v)) if isinstance(v, list) else str(v)
                          for v in run.models.values()) or "-"
        cells = [run.metrics[name].format(digits) if name in run.metrics else "" for name in names]
        lines.append(f"| {run.label} | {model} | {len(run.items)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot_result(result: EvalResult, path: str | Path) -> Path:
    """Draw the task's figure with matplotlib (Agg backend) and save it as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    figure, axis = plt.subplots(figsize=(8, 4.5), dpi=100)
    if result.task == "confusion" and any(run.details.get("pr_curve") for run in result.runs):
        for run in result.runs:
            curve = run.details.get("pr_curve") or []
            if curve:
                axis.plot([p["recall"] for p in curve], [p["precision"] for p in curve], marker=".", label=run.label)
        axis.set_xlabel("recall")
        axis.set_ylabel("precision")
        axis.set_xlim(0, 1.02)
        axis.set_ylim(0, 1.02)
        axis.set_title("Clarification requests: precision-recall")
    else:
        if result.task == "text-lid":
            names = [f"accuracy[{g}]" for g in result.runs[0].details.get("groups", [])] or ["accuracy"]
            title = "Text language ID: accuracy by input length"
        else:
            names = list(dict.fromkeys(n for run in result.runs for n in run.metrics))
            title = f"{result.task}: headline metrics"
        width = 0.8 / max(1, len(result.runs))
        for index, run in enumerate(result.runs):
            xs, ys, low, high = [], [], [], []
            for position, name in enumerate(names):
                metric = run.metrics.get(name)
                if metric is None or metric.value is None:
                    continue
                xs.append(position + index * width)
                ys.append(metric.value)
                low.append(metric.value - (metric.low if metric.low is not None else metric.value))
                high.append((metric.high if metric.high is not None else metric.value) - metric.value)
            axis.bar(xs, ys, width=width, yerr=[low, high], capsize=3, label=run.label)
        axis.set_xticks([p + 0.4 - width / 2 for p in range(len(names))])
        axis.set_xticklabels([n.replace("accuracy[", "").rstrip("]") if result.task == "text-lid" else n
                              for n in names], rotation=20, ha="right", fontsize=8)
        axis.set_title(title)
    axis.legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path


def write_results(result: EvalResult, out_dir: str | Path, *, plot: bool = True) -> dict[str, Path]:
    """Write the four files under ``out_dir``; return them by kind."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"{result.task}-{result.run_id}"
    paths: dict[str, Path] = {
        "json": stem.with_suffix(".json"),
        "items": Path(f"{stem}.items.jsonl"),
        "markdown": stem.with_suffix(".md"),
    }
    paths["json"].write_text(json.dumps(result.as_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    with paths["items"].open("w", encoding="utf-8") as handle:
        for run in result.runs:
            for item in run.items:
                record: dict[str, Any] = {"run": run.label, **item}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    paths["markdown"].write_text(markdown_table(result), encoding="utf-8")
    if plot:
        paths["png"] = plot_result(result, stem.with_suffix(".png"))
    return paths
