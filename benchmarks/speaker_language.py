"""Speaker language on accented English: does a customer who speaks accented English
settle as English, as nothing, or as the wrong language (a false mismatch)?

Usage::

    python benchmarks/speaker_language.py [--data DIR] [--reuse]

Whisper base labels some accented English as the speaker's first language and then
writes it in that language ("但是说了一个故事" for an English prompt read by a Mandarin-L1
speaker). Text language ID on such a transcript agrees with Whisper's choice, so two such
utterances from one customer settle the customer's language as Chinese, and the call is
flagged as a language mismatch that is not there.

What runs: every clip of speech-en-accented, speech-en-native and speech-multilingual is
transcribed by each system below, and each speaker's utterances go, in order, through the
language stage (the project's text ensemble with the spoken-language context, and the
per-speaker hysteresis). A speaker is a speechocean762 speaker id (20 Mandarin-L1 speakers,
4 short read prompts each, like a customer's short turns), a LibriSpeech reader, or a
clip (Earnings-22, FLEURS, JFK). Reported per set and system: speakers settled on the
right language, on none, on a wrong one, and utterances labelled with a wrong language.

Two speaker-state rules run on every system's transcripts: ``text settles`` (one
utterance of 3 s whose fused text language has p >= 0.8 settles the first language, the
rule before 2026-12-02) and ``heard settles (default)``
(``language_id.first_settle_needs_spoken``: that utterance must also have been heard as
that language with p >= 0.8; two consistent utterances settle either way).

Systems (Whisper base, the default pipeline's transcriber):

- ``any language``: the default (language detected among all of Whisper's);
- ``second language 0.7``: ``asr.second_language_below = 0.7`` (experimental, off by
  default: a window heard with under 0.7 is also decoded in the next language);
- ``queue en,es``: ``--languages en,es`` (``asr.candidate_languages``), a queue that
  serves English and Spanish callers; run on the English sets only, since it cannot
  serve the other languages of speech-multilingual.

Transcripts are cached under the git-ignored ``benchmarks/results/raw/`` (``--reuse``
reads them back). Writes ``benchmarks/results/speaker_language.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULT = Path(__file__).resolve().parent / "results" / "speaker_language.json"
RAW = Path(__file__).resolve().parent / "results" / "raw"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import write_result  # noqa: E402

SETS = ("speech-en-accented", "speech-en-native", "speech-multilingual")
SYSTEMS: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "any language": ({}, SETS),
    "second language 0.7": ({"asr.second_language_below": 0.7}, SETS),
    "queue en,es": ({"asr.candidate_languages": ("en", "es")}, SETS[:2]),
}
"""Name -> (settings overrides, sets it runs on)."""
RULES: dict[str, dict[str, Any]] = {
    "text settles": {"language_id.first_settle_needs_spoken": False},
    "heard settles (default)": {},
}
"""Speaker-state rules compared on every system's transcripts (language_id overrides)."""


def _speaker(item: Any) -> str:
    labels = item.labels
    if item.id.startswith("librispeech-"):
        return "librispeech-" + item.id.split("-")[3]
    return str(labels.get("speaker") or item.id)


def _transcribe(data: Path, overrides: dict[str, Any], sets: tuple[str, ...]) -> list[dict[str, Any]]:
    from faster_whisper import decode_audio

    from langassist import service
    from langassist.eval import load_speech_set
    from langassist.service import guard_options
    from langassist.stages.asr import transcribe_track
    from langassist.transcript import final_to_dict

    settings = service.load_settings(overrides=overrides, environ={})
    transcriber = service.create_transcriber(settings)
    guards = guard_options(settings)
    rows = []
    for set_name in sets:
        started = time.perf_counter()
        for item in load_speech_set(set_name, data):
            samples = decode_audio(str(item.audio_path), sampling_rate=16000)
            track = transcribe_track(transcriber, samples, call_id=item.id, track="customer",
                                     language=None, guards=guards)
            rows.append({
                "set": set_name, "id": item.id, "language": item.language, "speaker": _speaker(item),
                "utterances": [final_to_dict(u) for u in track.utterances],
            })
        print(f"  {set_name}: transcribed in {time.perf_counter() - started:.0f} s", flush=True)
    return rows


def _events(row: dict[str, Any]) -> list[Any]:
    from langassist.transcript import final_from_dict

    return [final_from_dict(u, call_id=row["speaker"], track="customer") for u in row["utterances"]]


def _evaluate(rows: list[dict[str, Any]], overrides: dict[str, Any], identifier: Any) -> dict[str, Any]:
    from langassist import service
    from langassist.stages.langid import LanguageStage

    settings = service.load_settings(overrides=overrides, environ={}).language_id
    by_set: dict[str, Any] = {}
    for set_name in dict.fromkeys(row["set"] for row in rows):
        speakers: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            if row["set"] == set_name:
                speakers.setdefault(row["speaker"], []).append(row)
        outcome: Counter[str] = Counter()
        wrong_utterances = labelled = total = 0
        wrong: list[dict[str, Any]] = []
        to_settle: list[int] = []
        for speaker, clips in speakers.items():
            stage = LanguageStage(settings, identifier)
            settled = None
            truth = clips[0]["language"]
            heard = 0
            settled_at: int | None = None
            for clip in clips:
                for event in _events(clip):
                    (detected,) = stage.feed(event)
                    total += 1
                    if detected.language is not None:
                        labelled += 1
                        wrong_utterances += detected.language != truth
                    settled = detected.speaker_language
                    heard += 1
                    if settled is None:
                        settled_at = None
                    elif settled_at is None:
                        settled_at = heard
            kind = "right" if settled == truth else ("none" if settled is None else "wrong")
            outcome[kind] += 1
            if kind == "right" and settled_at is not None:
                to_settle.append(settled_at)
            if kind == "wrong":
                wrong.append({"speaker": speaker, "settled": settled, "language": truth,
                              "texts": [u["text"] for c in clips for u in c["utterances"]]})
        by_set[set_name] = {
            "speakers": len(speakers), "settled_right": outcome["right"], "settled_none": outcome["none"],
            "settled_wrong": outcome["wrong"], "utterances": total, "utterances_labelled": labelled,
            "utterances_wrong_language": wrong_utterances,
            "mean_utterances_to_settle": round(sum(to_settle) / len(to_settle), 2) if to_settle else None,
            "wrong_speakers": wrong,
        }
    return by_set


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path,
                        default=Path(os.environ.get("LANGASSIST_DATA_DIR", ROOT.parent / "shared" / "data")))
    parser.add_argument("--reuse", action="store_true", help="read the cached transcripts instead of decoding")
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args(argv)

    from langassist import service
    from langassist.langid.factory import create_ensemble_identifier

    started = time.perf_counter()
    identifier = create_ensemble_identifier(service.load_settings(environ={}))
    results: dict[str, Any] = {}
    for name, (overrides, sets) in SYSTEMS.items():
        raw = RAW / f"speaker_language-{name.replace(' ', '_').replace(',', '_')}.jsonl"
        if args.reuse and raw.is_file():
            rows = [json.loads(line) for line in raw.read_text(encoding="utf-8").splitlines() if line]
        else:
            print(f"[{name}]", flush=True)
            rows = _transcribe(args.data, overrides, sets)
            raw.parent.mkdir(parents=True, exist_ok=True)
            raw.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        for rule, rule_overrides in RULES.items():
            results[f"{name}; {rule}"] = _evaluate(rows, {**overrides, **rule_overrides}, identifier)
    print()
    print("| system; speaker rule | set | speakers | settled right | none | wrong | utterances in a wrong language "
          "| utterances to settle (right ones, mean) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, by_set in results.items():
        for set_name, r in by_set.items():
            print(f"| {name} | {set_name} | {r['speakers']} | {r['settled_right']} | {r['settled_none']} | "
                  f"{r['settled_wrong']} | {r['utterances_wrong_language']}/{r['utterances']} | "
                  f"{r['mean_utterances_to_settle']} |")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT, check=False).stdout.strip()
    write_result({
        "benchmark": "speaker_language", "model": "whisper-base",
        "systems": {name: {"overrides": {k: list(v) if isinstance(v, tuple) else v for k, v in o.items()},
                           "sets": list(sets)} for name, (o, sets) in SYSTEMS.items()},
        "command": " ".join(["python benchmarks/speaker_language.py", *sys.argv[1:]]),
        "code_version": commit, "python": platform.python_version(),
        "wall_s": round(time.perf_counter() - started, 1), "results": results,
    }, args.out)
    print(f"\nsaved {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
