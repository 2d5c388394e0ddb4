"""Benchmark: how long after the final utterance that triggers it a suggestion is ready.

Target (DESIGN.md section 6): <= 300 ms median, excluding ASR.

Each dialogue of ``dialogue-customer-service`` (SGD test dialogues and the ABCD chats)
is replayed turn by turn through the default assessment chain that ``assess`` and the
live service build (:func:`langassist.service.create_assessor`: text language ID,
accent and mismatch, difficulty, confusion, suggestions, barrier). Every turn becomes
one chat ``TranscriptFinal``; the time measured is the wall time of ``pipeline.feed``
for that event, and it counts when the feed proposes at least one suggestion (the
suggestions are ready when ``feed`` returns, so this is the latency the sidebar sees).

Two scenarios:

* ``english``: the dialogues as they are (rewrites, read-backs, coaching, confusion
  moves; no translation triggers, the customer speaks the agent's language);
* ``spanish-customer``: the same dialogues with every customer turn translated to
  Spanish by Apertium *before* the replay (untimed; this constructs a Spanish-speaking
  customer, the data set has none). The chain then detects the mismatch and the
  suggestion engine translates for both sides (Apertium en<->es, the default routes),
  so translation is inside the measured time wherever it triggers.

The first dialogue of each scenario is a warm-up (lazy model loads, the Apertium
pipeline's start) and is not counted; its cost is reported separately.

Usage::

    nice .venv/bin/python benchmarks/suggestion_latency.py --data ../shared/data

Writes ``benchmarks/results/suggestion_latency.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_common import percentile, write_result  # noqa: E402

TARGET_MS = 300.0


def read_dialogues(folder: Path, limit: int | None) -> list[tuple[str, list[dict[str, str]]]]:
    dialogues: dict[str, list[dict[str, str]]] = defaultdict(list)
    for name, key in (("sgd_test_subset.jsonl", "dialogue_id"), ("abcd_sample_3dialogues.jsonl", "convo_id")):
        path = folder / name
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                dialogues[f"{name.split('_')[0]}-{row[key]}"].append(
                    {"speaker": row["speaker"], "text": row["utterance"], "turn": row["turn"]}
                )
    items = [(call_id, sorted(turns, key=lambda t: int(t["turn"]))) for call_id, turns in dialogues.items()]
    return items[:limit] if limit else items


def finals(call_id: str, turns: list[dict[str, str]]) -> list[Any]:
    """One chat TranscriptFinal per turn on a plausible clock (2.5 words/s, 0.6 s gaps)."""
    from langassist.events import AGENT, CUSTOMER, TranscriptFinal

    events, clock = [], 0.0
    for index, turn in enumerate(turns):
        duration = max(1.0, len(turn["text"].split()) / 2.5)
        events.append(TranscriptFinal(
            call_id=call_id, track=AGENT if turn["speaker"] == "agent" else CUSTOMER,
            utterance_id=f"{call_id}-{index}", start_s=clock, end_s=clock + duration,
            text=turn["text"], source="chat",
        ))
        clock += duration + 0.6
    return events


def spanish_customer(dialogues: list[tuple[str, list[dict[str, str]]]]) -> list[tuple[str, list[dict[str, str]]]]:
    """Customer turns translated to Spanish by Apertium (untimed preparation)."""
    from langassist.translate.apertium import ApertiumTranslator

    apertium = ApertiumTranslator()
    if apertium.mode_for("en", "es") is None:
        raise SystemExit("the spanish-customer scenario needs apertium-eng-spa")
    out = []
    for call_id, turns in dialogues:
        customer = [turn["text"] for turn in turns if turn["speaker"] == "customer"]
        translated = iter(apertium.translate(customer, source="en", target="es"))
        out.append((call_id, [
            {**turn, "text": next(translated)} if turn["speaker"] == "customer" else turn
            for turn in turns
        ]))
    apertium.close()
    return out


TRANSLATION_CALLS = [0]


def count_translations() -> None:
    """Count backend translation calls, to tell which feeds included a translation."""
    from langassist.translate.apertium import ApertiumTranslator

    original = ApertiumTranslator.translate

    def counted(self: Any, texts: Any, *, source: str, target: str) -> list[str]:
        TRANSLATION_CALLS[0] += 1
        return original(self, texts, source=source, target=target)

    ApertiumTranslator.translate = counted  # type: ignore[method-assign]


def replay(assessor: Any, dialogues: list[tuple[str, list[dict[str, str]]]]) -> dict[str, Any]:
    from langassist.events import StageFailed, SuggestionProposed

    triggered: list[float] = []
    with_translation: list[float] = []
    quiet: list[float] = []
    categories: dict[str, int] = defaultdict(int)
    failures: list[str] = []
    warmup_ms = 0.0
    examples: list[dict[str, Any]] = []
    for number, (call_id, turns) in enumerate(dialogues):
        pipeline, _ = assessor.pipeline(call_id)
        for event in finals(call_id, turns):
            calls = TRANSLATION_CALLS[0]
            started = time.perf_counter()
            produced = pipeline.feed(event)
            elapsed = (time.perf_counter() - started) * 1000.0
            translated = TRANSLATION_CALLS[0] > calls
            failures += [f"{e.stage}: {e.message}" for e in produced if isinstance(e, StageFailed)]
            suggestions = [e for e in produced if isinstance(e, SuggestionProposed)]
            if number == 0:
                warmup_ms += elapsed
                continue
            if not suggestions:
                quiet.append(elapsed)
                continue
            triggered.append(elapsed)
            kinds = {s.category for s in suggestions}
            for kind in kinds:
                categories[kind] += 1
            if translated:
                with_translation.append(elapsed)
            if len(examples) < 4 and elapsed == max(triggered):
                examples.append({"utterance": event.text[:120], "track": event.track,
                                 "ms": round(elapsed, 1),
                                 "suggestions": [f"{s.category}: {s.text[:80]}" for s in suggestions]})
        pipeline.flush()

    def summary(values: list[float]) -> dict[str, Any]:
        if not values:
            return {"n": 0}
        return {"n": len(values), "median_ms": round(statistics.median(values), 1),
                "p95_ms": round(percentile(values, 95), 1), "max_ms": round(max(values), 1)}

    return {
        "dialogues": len(dialogues), "measured_dialogues": max(0, len(dialogues) - 1),
        "warmup_dialogue_ms": round(warmup_ms, 1),
        "triggering_utterances": summary(triggered),
        "triggering_with_translation": summary(with_translation),
        "non_triggering_utterances": summary(quiet),
        "suggestions_by_category": dict(sorted(categories.items())),
        "stage_failures": failures[:10],
        "slowest_examples": examples,
        "target_median_ms": TARGET_MS,
        "meets_target": bool(triggered) and statistics.median(triggered) <= TARGET_MS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=os.environ.get("LANGASSIST_DATA_DIR", str(ROOT.parent / "shared" / "data")))
    parser.add_argument("--pipeline", default=None, help="pipeline name (default: the defaults)")
    parser.add_argument("--limit", type=int, default=None, help="first N dialogues only")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "suggestion_latency.json"))
    args = parser.parse_args(argv)
    folder = Path(args.data) / "dialogue-customer-service"
    if not folder.is_dir():
        print(f"no dialogue-customer-service under {args.data}", file=sys.stderr)
        return 1
    from langassist.config import load_settings
    from langassist.service import create_assessor, package_version

    settings = load_settings(args.pipeline)
    dialogues = read_dialogues(folder, args.limit)
    spanish_dialogues = spanish_customer(dialogues)
    count_translations()
    started = time.perf_counter()
    assessor = create_assessor(settings)
    load_s = time.perf_counter() - started
    scenarios = {
        "english": replay(assessor, dialogues),
        "spanish-customer": replay(assessor, spanish_dialogues),
    }
    result = {
        "benchmark": "suggestion_latency",
        "code_version": package_version(),
        "dataset": str(folder),
        "pipeline": args.pipeline or "defaults",
        "translation_routes": list(settings.translation.routes),
        "embedder": settings.assessment.embedder,
        "assessor_load_s": round(load_s, 2),
        "device": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "scenarios": scenarios,
    }
    write_result(result, args.output)
    print("| scenario | utterances with a suggestion | median ms | p95 ms | with translation: n / median ms | "
          "without a suggestion: median ms |")
    print("|---|---|---|---|---|---|")
    for name, row in scenarios.items():
        t, tr, q = row["triggering_utterances"], row["triggering_with_translation"], row["non_triggering_utterances"]
        print(f"| {name} | {t['n']} | {t.get('median_ms', '-')} | {t.get('p95_ms', '-')} | "
              f"{tr['n']} / {tr.get('median_ms', '-')} | {q.get('median_ms', '-')} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
