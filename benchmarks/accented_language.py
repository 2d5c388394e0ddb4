"""Accented English with the language detected, not forced: does the transcript come out
in English? ``asr.second_language_below`` against plain faster-whisper, same run.

Usage::

    python benchmarks/accented_language.py [--data DIR] [--model whisper-base] [--out PATH]

Whisper base labels some accented English as the speaker's first language (Mandarin-L1
read speech in speech-en-accented), and a transcript in that language is useless. Three
systems decode speech-en-accented and speech-multilingual with the language left to
detection, beam 5, 2 threads:

- ``faster-whisper``: ``WhisperModel.transcribe(audio, beam_size=5)``, defaults otherwise;
- ``langassist, second language off``: the default transcriber
  (``asr.second_language_below = none``: each window decoded in its detected language);
- ``langassist, second language 0.7``: with ``asr.second_language_below = 0.7`` (a window whose language has
  probability below 0.7 is also decoded in the next most probable language; the more
  probable transcript is kept). The option is off by default: see benchmarks/README.md
  section 1b.

Reported per set: corpus WER (CER for ja and zh), and how many clips the text language
ID (the project's ensemble, on the transcript) puts in the reference language. On
speech-multilingual the count must not drop: the rule must never turn Spanish into English.
Writes ``benchmarks/results/accented_language.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULT = Path(__file__).resolve().parent / "results" / "accented_language.json"
SETS = ("speech-en-accented", "speech-multilingual")


def _clips(data: Path) -> dict[str, list[tuple[Any, Any]]]:
    from faster_whisper import decode_audio

    from langassist.eval import load_speech_set

    return {name: [(item, decode_audio(str(item.audio_path), sampling_rate=16000))
                   for item in load_speech_set(name, data)] for name in SETS}


def _langassist(model: str, second: float | None) -> Any:
    from langassist import service
    from langassist.service import guard_options
    from langassist.stages.asr import transcribe_track

    settings = service.load_settings(overrides={
        "asr.model": model, "asr.beam_size": 5, "asr.cpu_threads": 2, "asr.second_language_below": second,
    }, environ={})
    transcriber = service.create_transcriber(settings)
    guards = guard_options(settings)

    def run(samples: Any) -> str:
        return transcribe_track(transcriber, samples, call_id="bench", track="mono", language=None,
                                guards=guards).text

    return run


def _peer(model_dir: str) -> Any:
    from faster_whisper import WhisperModel

    model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=2)

    def run(samples: Any) -> str:
        segments, _ = model.transcribe(samples, beam_size=5)
        return "".join(segment.text for segment in segments).strip()

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path,
                        default=Path(os.environ.get("LANGASSIST_DATA_DIR", ROOT.parent / "shared" / "data")))
    parser.add_argument("--model", default="whisper-base")
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args(argv)

    from langassist import service
    from langassist.catalog import load_catalog
    from langassist.eval import score_clip, score_corpus
    from langassist.langid.factory import create_ensemble_identifier

    clips = _clips(args.data)
    identifier = create_ensemble_identifier(service.load_settings(environ={}))
    systems = {
        "faster-whisper": lambda: _peer(str(load_catalog().path(args.model))),
        "langassist, second language off": lambda: _langassist(args.model, None),
        "langassist, second language 0.7": lambda: _langassist(args.model, 0.7),
    }
    started = time.perf_counter()
    results: dict[str, Any] = {}
    for name, build in systems.items():
        run = build()
        run(clips[SETS[0]][0][1])  # warm-up
        results[name] = {}
        for set_name, items in clips.items():
            t0 = time.perf_counter()
            hypotheses = {item.id: run(samples) for item, samples in items}
            elapsed = time.perf_counter() - t0
            scores = [score_clip(item.reference, hypotheses[item.id], language=item.language, id=item.id)
                      for item, _ in items]
            by_language: dict[str, Any] = {}
            for language in sorted({item.language for item, _ in items}):
                chosen = [s for s, (item, _) in zip(scores, items, strict=True) if item.language == language]
                corpus = score_corpus(chosen)
                by_language[language] = {"wer": corpus.wer, "cer": corpus.cer, "clips": len(chosen)}
            guessed = {item.id: identifier.identify(hypotheses[item.id]).top for item, _ in items}
            results[name][set_name] = {
                "wer": score_corpus(scores).wer,
                "by_language": by_language,
                "text_in_reference_language": sum(guessed[item.id] == item.language for item, _ in items),
                "clips": len(items),
                "decode_s": round(elapsed, 1),
                "hypotheses": [{"id": item.id, "language": item.language, "text_language": guessed[item.id],
                                "reference": item.reference, "hypothesis": hypotheses[item.id]}
                               for item, _ in items],
            }
            row = results[name][set_name]
            print(f"[{name}] {set_name}: WER {100 * row['wer']:.1f} %, text in the reference language "
                  f"{row['text_in_reference_language']}/{row['clips']}, {elapsed:.0f} s", flush=True)
    print()
    print("| system | accented WER | accented clips in English | multilingual de / es / fr / ja / pt / zh "
          "(WER %, CER % for ja and zh) | "
          "multilingual clips in their language | decode s (accented / multilingual) |")
    print("|---|---|---|---|---|---|")
    for name, row in results.items():
        accented, multi = row[SETS[0]], row[SETS[1]]
        per = multi["by_language"]
        cells = " / ".join(
            f"{100 * (per[c]['cer'] if c in ('ja', 'zh') else per[c]['wer']):.1f}" for c in sorted(per)
        )
        print(f"| {name} | {100 * accented['wer']:.1f} % | {accented['text_in_reference_language']}/"
              f"{accented['clips']} | {cells} | {multi['text_in_reference_language']}/{multi['clips']} | "
              f"{accented['decode_s']:.0f} / {multi['decode_s']:.0f} |")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT, check=False).stdout.strip()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "benchmark": "accented_language", "model": args.model, "beam": 5, "threads": 2,
        "command": " ".join(["python benchmarks/accented_language.py", *sys.argv[1:]]),
        "code_version": commit, "python": platform.python_version(), "wall_s": round(time.perf_counter() - started, 1),
        "results": results,
    }, ensure_ascii=False, indent=1))
    print(f"\nsaved {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
