"""Repeated text-LID speed runs: the ensemble against lingua high-accuracy, medians and ranges.

Usage::

    python benchmarks/text_langid_repeats.py [--runs 5] [--limit 2200] [--data DIR]

Runs ``text_langid.py --detectors lingua-high,ensemble,ensemble-python`` ``--runs`` times
with lingua's parallel batch on one thread and ``--runs`` times on one thread per core,
each run in its own process (rayon reads its thread count once per process), and writes
the per-run speed ratios with their medians to ``benchmarks/results/text_langid_repeats.json``.
One run alone is noisy on a shared machine; the medians are the figures to quote.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "benchmarks" / "results" / "text_langid_repeats.json"
CATEGORIES = ("single-words", "word-pairs", "sentences")
COMPARISONS = {
    "per_item_vs_per_item": ("ensemble", "items_per_s", "lingua-high", "items_per_s"),
    "batch_vs_batch": ("ensemble", "batch_items_per_s", "lingua-high", "batch_items_per_s"),
    "batch_vs_per_item": ("ensemble", "batch_items_per_s", "lingua-high", "items_per_s"),
    "compiled_vs_python_per_item": ("ensemble", "items_per_s", "ensemble-python", "items_per_s"),
    "python_per_item_vs_per_item": ("ensemble-python", "items_per_s", "lingua-high", "items_per_s"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--limit", type=int, default=2200)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args(argv)
    threads_settings = {"lingua_threads_1": 1, f"lingua_threads_{os.cpu_count()}": os.cpu_count() or 1}
    document: dict[str, object] = {
        "benchmark": "text_langid_repeats",
        "command": "python benchmarks/text_langid_repeats.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "runs_per_setting": args.runs,
        "note": "ratios of items/s; ensemble = identify through the compiled cascade, ensemble-python = "
                "the same cascade in Python; batch = identify_many (lingua: its parallel batch)",
    }
    runs: dict[str, dict[str, dict[str, dict[str, object]]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for setting, threads in threads_settings.items():
            ratios: dict[str, dict[str, list[float]]] = {c: {k: [] for k in COMPARISONS} for c in CATEGORIES}
            for run in range(args.runs):
                out = Path(folder) / f"{setting}-{run}.json"
                command = [sys.executable, str(ROOT / "benchmarks" / "text_langid.py"), "--limit", str(args.limit),
                           "--rounds", "5", "--detectors", "lingua-high,ensemble,ensemble-python",
                           "--lingua-threads", str(threads), "--out", str(out)]
                if args.data is not None:
                    command += ["--data", str(args.data)]
                subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
                result = json.loads(out.read_text(encoding="utf-8"))
                document.setdefault("code_version", result.get("code_version"))
                document.setdefault("ensemble_native", result.get("ensemble_native"))
                for category in CATEGORIES:
                    rows = {name: result["results"][name][category] for name in result["results"]}
                    for key, (top, top_field, bottom, bottom_field) in COMPARISONS.items():
                        ratios[category][key].append(round(rows[top][top_field] / rows[bottom][bottom_field], 2))
                print(f"{setting} run {run + 1}: " + ", ".join(
                    f"{c} {ratios[c]['per_item_vs_per_item'][-1]}x per item" for c in CATEGORIES), flush=True)
            runs[setting] = {c: {k: {"runs": v, "median": statistics.median(v), "min": min(v), "max": max(v)}
                                 for k, v in ratios[c].items()} for c in CATEGORIES}
    document["runs"] = runs
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print("\n| lingua threads | comparison | single words | word pairs | sentences |")
    print("|---|---|---|---|---|")
    for setting, per_category in runs.items():
        for key in COMPARISONS:
            cells = " | ".join(f"{per_category[c][key]['median']:.1f}x ({per_category[c][key]['min']:.1f}-"
                               f"{per_category[c][key]['max']:.1f})" for c in CATEGORIES)
            print(f"| {setting.rsplit('_', 1)[1]} | {key} | {cells} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
