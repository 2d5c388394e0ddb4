"""Benchmark: plain-language rewrite (difficulty drops, meaning kept) and suggestion latency.

(a) Rewrite. Inputs: the advanced-level sentences of OneStopEnglish ``ADV-ELE.tsv``
    (each distinct one) and the agent turns of ``dialogue-customer-service`` (SGD subset
    and the ABCD sample). For every utterance the rewrite actually changes:

    * the difficulty score (``DifficultyScorer``, language ``en``) must drop (strictly);
      target: for >= 80 % of rewritten utterances;
    * every protected span (numbers, codes, emails, URLs, product terms) must appear
      verbatim in the rewrite, and every glossary term must survive either verbatim or
      as its plain explanation; target: 100 %.

(b) End-to-end suggestion latency: the agent and customer turns of every dialogue go,
    one final at a time, through the whole assessment chain of ``service.create_assessor``
    (language ID, accent, mismatch, difficulty, confusion, suggestions; no ASR); for each
    utterance that yields a suggestion, the wall time from handing over its final
    transcript to the suggestion being ready. Target: median <= 300 ms. Measured twice:
    with the customer speaking the agent's language, and with two Spanish customer turns
    first, so the customer settles on Spanish and agent turns are also translated by
    Apertium (one process call per turn).

Usage::

    nice .venv/bin/python benchmarks/rewrite.py --data ../shared/data

Writes ``benchmarks/results/rewrite.json`` and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import csv
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

PRODUCT_TERMS = ("Fibrelink 500", "HomeHub X2")


def load_inputs(data: Path) -> dict[str, list[str]]:
    sentences: list[str] = []
    seen: set[str] = set()
    with (data / "readability-onestopenglish" / "sentence-aligned" / "ADV-ELE.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            text = row["adv_sentence"].strip().lstrip("\ufeff")
            if text and text not in seen:
                seen.add(text)
                sentences.append(text)
    agent: list[str] = []
    folder = data / "dialogue-customer-service"
    for name in ("sgd_test_subset.jsonl", "abcd_sample_3dialogues.jsonl"):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("speaker") == "agent" and row["utterance"].strip():
                agent.append(row["utterance"].strip())
    return {"onestopenglish-adv": sentences, "dialogue-agent-turns": agent}


def load_dialogues(data: Path) -> list[list[tuple[str, str]]]:
    folder = data / "dialogue-customer-service"
    dialogues: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for name, key in (("sgd_test_subset.jsonl", "dialogue_id"), ("abcd_sample_3dialogues.jsonl", "convo_id")):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("speaker") in {"agent", "customer"} and row["utterance"].strip():
                dialogues[f"{name}:{row[key]}"].append((int(row["turn"]), row["speaker"], row["utterance"]))
    return [[(speaker, text) for _, speaker, text in sorted(turns)] for turns in dialogues.values()]


def meaning_kept(original: str, rewritten: str, glossary: Any) -> tuple[bool, list[str]]:
    from langassist.translate.protect import find_protected

    lost: list[str] = []
    for span in find_protected(original, PRODUCT_TERMS):
        if rewritten.count(span.text) < original.count(span.text):
            lost.append(span.text)
    lowered = rewritten.lower()
    for hit in glossary.find(original, language="en"):
        plain = (hit.plain or hit.expansion or "").lower().rstrip(".")
        if hit.matched.lower() not in lowered and (not plain or plain[:25] not in lowered):
            lost.append(hit.matched)
    return not lost, lost


def bench_rewrite(inputs: dict[str, list[str]], examples: int) -> dict[str, Any]:
    from langassist.difficulty.scorer import DifficultyScorer
    from langassist.suggest.build import create_engine, create_resources
    from langassist.suggest.settings import SuggestionSettings

    resources = create_resources(SuggestionSettings(protected_terms=PRODUCT_TERMS))
    engine = create_engine(resources)
    scorer = DifficultyScorer(glossary=resources.glossary)
    out: dict[str, Any] = {}
    for name, texts in inputs.items():
        rewritten = dropped = kept = 0
        deltas: list[float] = []
        shown: list[dict[str, Any]] = []
        failures: list[dict[str, Any]] = []
        timings: list[float] = []
        for text in texts:
            started = time.perf_counter()
            result = engine.rewrite(text, "en")
            timings.append((time.perf_counter() - started) * 1000)
            if not result.changed:
                continue
            rewritten += 1
            before = scorer.score(text, language="en").value
            after = scorer.score(result.text, language="en").value
            ok, lost = meaning_kept(text, result.text, resources.glossary)
            kept += ok
            if before is not None and after is not None:
                deltas.append(after - before)
                dropped += after < before
            record = {"original": text, "rewrite": result.text, "changes": result.summary(),
                      "before": before, "after": after}
            if not ok:
                failures.append({**record, "lost": lost})
            elif len(shown) < examples and before is not None and after is not None and after < before:
                shown.append(record)
        out[name] = {
            "utterances": len(texts),
            "rewritten": rewritten,
            "rewritten_share": round(rewritten / len(texts), 3) if texts else None,
            "difficulty_dropped": dropped,
            "difficulty_dropped_share": round(dropped / rewritten, 3) if rewritten else None,
            "median_score_change": round(statistics.median(deltas), 3) if deltas else None,
            "meaning_kept": kept,
            "meaning_kept_share": round(kept / rewritten, 4) if rewritten else None,
            "rewrite_ms_median": round(statistics.median(timings), 2),
            "rewrite_ms_p95": round(percentile(timings, 95), 2),
            "examples": shown,
            "failures": failures[:10],
        }
    return out


SPANISH_OPENING = (
    "Hola, perdone, no hablo bien inglés.",
    "¿Me puede ayudar en español, por favor? No entiendo nada.",
)
"""Two customer turns that settle the customer's language on Spanish, so the chain
translates every later agent turn (Apertium) for the customer."""


def bench_latency(dialogues: list[list[tuple[str, str]]], customer_language: str | None) -> dict[str, Any]:
    """Each final utterance through the whole assessment chain (language ID, accent,
    mismatch, difficulty, confusion, suggestions, barrier), timed as the live driver
    would: the wall time of ``pipeline.feed(final)``; latency counts the utterances
    that produced a suggestion."""
    from langassist import service
    from langassist.core.replay import order_finals
    from langassist.events import SuggestionProposed, TranscriptFinal

    settings = service.load_settings(environ={})
    assessor = service.create_assessor(settings)
    note = (f"full chain; embedder {settings.assessment.embedder or 'none'}; "
            f"translation routes {', '.join(settings.translation.routes)}")
    warm, _ = assessor.pipeline("warm-up")
    warm.feed(TranscriptFinal("warm-up", "agent", "w0", 0.0, 2.0, "Warm up the caches, please."))
    latencies: list[float] = []
    all_latencies: list[float] = []
    suggestions = 0
    for index, dialogue in enumerate(dialogues):
        turns = list(dialogue)
        if customer_language == "es":
            turns = [("customer", text) for text in SPANISH_OPENING] + turns
        utterances = [
            TranscriptFinal(f"d{index}", speaker, f"{speaker}-{turn:04d}", turn * 4.0, turn * 4.0 + 3.5, text,
                            source="chat")
            for turn, (speaker, text) in enumerate(turns)
        ]
        pipeline, _ = assessor.pipeline(f"d{index}")
        for utterance in order_finals(utterances):
            started = time.perf_counter()
            produced = [e for e in pipeline.feed(utterance) if isinstance(e, SuggestionProposed)]
            elapsed = (time.perf_counter() - started) * 1000.0
            all_latencies.append(elapsed)
            if produced:
                latencies.append(elapsed)
                suggestions += len(produced)
        pipeline.flush()
    return {
        "customer_language": customer_language,
        "dialogues": len(dialogues),
        "utterances": len(all_latencies),
        "utterances_with_suggestion": len(latencies),
        "suggestions": suggestions,
        "ms_median": round(statistics.median(latencies), 2) if latencies else None,
        "ms_p95": round(percentile(latencies, 95), 2) if latencies else None,
        "ms_max": round(max(latencies), 2) if latencies else None,
        "all_utterances_ms_median": round(statistics.median(all_latencies), 2),
        "target_ms_median": 300.0,
        "note": note,
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "| input | utterances | rewritten | difficulty dropped | median score change | "
        "numbers/terms kept | rewrite ms median / p95 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in result["rewrite"].items():
        lines.append(
            f"| {name} | {row['utterances']} | {row['rewritten']} ({row['rewritten_share']:.0%}) | "
            f"{row['difficulty_dropped']} (**{row['difficulty_dropped_share']:.1%}**) | "
            f"{row['median_score_change']:+.3f} | {row['meaning_kept']} ({row['meaning_kept_share']:.1%}) | "
            f"{row['rewrite_ms_median']:.1f} / {row['rewrite_ms_p95']:.1f} |"
        )
    lines += ["", "| suggestion latency (full chain, no ASR) | utterances | with a suggestion | median ms | p95 ms | max ms |",
              "|---|---|---|---|---|---|"]
    for row in result["latency"]:
        label = "customer speaks English" if row["customer_language"] is None else (
            f"customer switches to {row['customer_language']} (Apertium per agent turn)"
        )
        lines.append(
            f"| {label} | {row['utterances']} | {row['utterances_with_suggestion']} | "
            f"**{row['ms_median']}** | {row['ms_p95']} | {row['ms_max']} |"
        )
    lines += ["", "Examples:"]
    for name, row in result["rewrite"].items():
        for example in row["examples"][:3]:
            lines.append(
                f"- ({name}, {example['before']:.2f} -> {example['after']:.2f}, {example['changes']}) "
                f"\"{example['original']}\" -> \"{example['rewrite']}\""
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=os.environ.get("LANGASSIST_DATA_DIR", str(ROOT.parent / "shared" / "data")))
    parser.add_argument("--examples", type=int, default=8)
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "rewrite.json"))
    args = parser.parse_args(argv)
    data = Path(args.data)
    from langassist.service import package_version

    dialogues = load_dialogues(data)
    result: dict[str, Any] = {
        "benchmark": "rewrite",
        "code_version": package_version(),
        "dataset": [str(data / "readability-onestopenglish"), str(data / "dialogue-customer-service")],
        "device": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "product_terms": list(PRODUCT_TERMS),
        "rewrite": bench_rewrite(load_inputs(data), args.examples),
        "latency": [bench_latency(dialogues, None), bench_latency(dialogues, "es")],
    }
    write_result(result, args.output)
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
