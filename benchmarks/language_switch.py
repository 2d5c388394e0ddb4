"""A customer who switches language mid-call, on real speech: langassist vs faster-whisper.

Run (from the repository root)::

    nice .venv/bin/python benchmarks/language_switch.py [--gap-s 1 3] [--limit 40]

Each "call" is one customer track of three real recordings, ``--gap-s`` seconds of
silence apart: an English clip from ``speech-en-native``, a German, Spanish, French or
Portuguese clip from ``speech-multilingual`` (FLEURS read speech), and another English
clip (the English clips rotate through the set). The agent's side is not simulated:
each gap stands for the agent talking on the other channel. With 1 s gaps the three
turns fall into one VAD window (Whisper hears them as one input); with 3 s gaps they
are separate windows, which the ``audit`` pipeline packs into one input.

Systems, all on Whisper base (int8, ``--threads`` threads), language never forced:

- ``langassist`` (the default pipeline) and ``langassist-audit`` (``pipelines/audit.toml``),
  through :func:`langassist.stages.asr.transcribe_track` as ``langassist transcribe``
  runs them; each also with ``asr.skipped_speech_check`` and ``asr.span_language_check``
  off (suffix ``-nochecks``), to show what the two do: the re-decode of speech Whisper
  left out of a window, and the re-decode of a speech span whose own language is not the
  one it was decoded in. ``langassist-audit-noskipped`` and ``-nospan`` (not run by
  default) turn off one each.
- ``faster-whisper``: ``WhisperModel.transcribe(audio, vad_filter=True)``, its other
  options at their defaults (beam 5; one language for the whole file, detected on its
  first 30 s), and ``faster-whisper-multilingual``: the same with ``multilingual=True``
  (the language detected again for every 30-s segment).

What is scored, per call: each output segment goes to the turn holding its middle (the
nearest turn when it falls in a gap). The foreign turn is **kept** when it has text and
that text reads as the turn's language (py3langid restricted to en/de/es/fr/pt: an
independent judge, not langassist's own language ID), **lost** when no text falls on
it, and **other** when it has text in another language (usually an English
translation, or English-sounding garble). WER (normalized, per language) of the foreign
turns and of the English turns, summed over calls; the median compute seconds per call.

Results go to ``benchmarks/results/language_switch.json``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accent_common import environment  # noqa: E402
from bench_common import write_result  # noqa: E402

SAMPLE_RATE_HZ = 16000
RESULT = Path(__file__).resolve().parent / "results" / "language_switch.json"
FOREIGN = ("de", "es", "fr", "pt")
JUDGE_LANGUAGES = ("en", *FOREIGN)
OFF = {"asr.skipped_speech_check": False, "asr.span_language_check": False}
LANGASSIST = {  # name: (pipeline, setting overrides)
    "langassist": (None, {}),
    "langassist-nochecks": (None, OFF),
    "langassist-audit": ("audit", {}),
    "langassist-audit-nochecks": ("audit", OFF),
    "langassist-audit-noskipped": ("audit", {"asr.skipped_speech_check": False}),
    "langassist-audit-nospan": ("audit", {"asr.span_language_check": False}),
}
SYSTEMS = (*LANGASSIST, "faster-whisper", "faster-whisper-multilingual")
DEFAULT_SYSTEMS = ("langassist", "langassist-nochecks", "langassist-audit", "langassist-audit-nochecks",
                   "faster-whisper", "faster-whisper-multilingual")

Segments = list[tuple[float, float, str]]
System = Callable[[np.ndarray], Segments]


@dataclass(frozen=True)
class Call:
    """One mixed customer track and where its three turns lie (seconds)."""

    id: str
    language: str
    samples: np.ndarray
    spans: tuple[tuple[float, float], ...]
    references: tuple[str, ...]
    languages: tuple[str, ...]


def _mono(path: Path) -> np.ndarray:
    from langassist.audio import decode

    return np.asarray(next(iter(decode(path).tracks.values())), dtype=np.float32)


def build_calls(data_dir: Path, gap_s: float, limit: int) -> list[Call]:
    """The mixed tracks: foreign clips round-robin over the four languages."""
    from langassist.eval.datasets import load_speech_set

    native = load_speech_set("speech-en-native", data_dir)
    by_language: dict[str, list[Any]] = {code: [] for code in FOREIGN}
    for item in load_speech_set("speech-multilingual", data_dir):
        if item.language in by_language:
            by_language[item.language].append(item)
    foreign = [item for group in zip(*by_language.values(), strict=False) for item in group][:limit]
    silence = np.zeros(int(round(gap_s * SAMPLE_RATE_HZ)), dtype=np.float32)
    calls = []
    for index, item in enumerate(foreign):
        before, after = native[index % len(native)], native[(index + 5) % len(native)]
        parts = [_mono(before.audio_path), _mono(item.audio_path), _mono(after.audio_path)]
        spans, position = [], 0
        pieces: list[np.ndarray] = []
        for number, part in enumerate(parts):
            if number:
                pieces.append(silence)
                position += silence.size
            spans.append((position / SAMPLE_RATE_HZ, (position + part.size) / SAMPLE_RATE_HZ))
            pieces.append(part)
            position += part.size
        calls.append(Call(
            id=f"{before.id}+{item.id}+{after.id}", language=item.language,
            samples=np.concatenate(pieces), spans=tuple(spans),
            references=(before.reference, item.reference, after.reference),
            languages=("en", item.language, "en"),
        ))
    return calls


def langassist_system(pipeline: str | None, changes: dict[str, Any], model_dir: str | None, threads: int) -> System:
    from langassist import service
    from langassist.service import guard_options
    from langassist.stages.asr import transcribe_track

    overrides = {"asr.model": "whisper-base", "asr.cpu_threads": threads, **changes}
    settings = service.load_settings(pipeline, overrides, environ={})
    transcriber = service.create_transcriber(settings, model_dir=model_dir)
    guards = guard_options(settings)

    def run(samples: np.ndarray) -> Segments:
        track = transcribe_track(transcriber, samples, call_id="switch", track="customer",
                                 language=None, guards=guards)
        return [(u.start_s, u.end_s, u.text) for u in track.utterances]

    return run


def peer_system(multilingual: bool, model_dir: str, threads: int) -> System:
    from faster_whisper import WhisperModel

    model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=threads)

    def run(samples: np.ndarray) -> Segments:
        segments, _ = model.transcribe(samples, vad_filter=True, multilingual=multilingual)
        return [(segment.start, segment.end, segment.text) for segment in segments]

    return run


def _turn_of(spans: Sequence[tuple[float, float]], start_s: float, end_s: float) -> int:
    middle = 0.5 * (start_s + end_s)
    return min(range(len(spans)), key=lambda i: max(spans[i][0] - middle, 0.0, middle - spans[i][1]))


class Judge:
    """py3langid over en/de/es/fr/pt: the language a turn's text reads as."""

    def __init__(self) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._identifier: Any = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._identifier.set_languages(list(JUDGE_LANGUAGES))

    def __call__(self, text: str) -> str | None:
        if not any(character.isalpha() for character in text):
            return None
        return str(self._identifier.classify(text)[0])


def score_system(calls: list[Call], outputs: list[Segments], seconds: list[float], judge: Judge) -> dict[str, Any]:
    from langassist.eval import score_clip, score_corpus

    verdicts = {"kept": 0, "lost": 0, "other": 0}
    foreign_scores, english_scores, per_call = [], [], []
    for call, segments in zip(calls, outputs, strict=True):
        texts: list[list[str]] = [[], [], []]
        for start_s, end_s, text in segments:
            texts[_turn_of(call.spans, start_s, end_s)].append(text.strip())
        turns = [" ".join(part for part in parts if part) for parts in texts]
        read_as = judge(turns[1])
        verdict = "lost" if read_as is None else "kept" if read_as == call.language else "other"
        verdicts[verdict] += 1
        for number, (reference, language, text) in enumerate(zip(call.references, call.languages, turns,
                                                                 strict=True)):
            score = score_clip(reference, text, language=language, id=f"{call.id}#{number}")
            (foreign_scores if number == 1 else english_scores).append(score)
        per_call.append({"id": call.id, "language": call.language, "verdict": verdict, "read_as": read_as,
                         "foreign_text": turns[1][:300]})
    total = len(calls)
    foreign, english = score_corpus(foreign_scores), score_corpus(english_scores)
    audio_s = [call.samples.size / SAMPLE_RATE_HZ for call in calls]
    return {
        "calls": total,
        **{f"{name}_share": round(count / total, 4) for name, count in verdicts.items()},
        "foreign_wer": round(foreign.wer, 4) if foreign.wer is not None else None,
        "english_wer": round(english.wer, 4) if english.wer is not None else None,
        "median_seconds_per_call": round(statistics.median(seconds), 3),
        "real_time_factor": round(sum(audio_s) / sum(seconds), 2),
        "per_call": per_call,
    }


def make_system(name: str, model_dir: str, threads: int) -> System:
    if name.startswith("faster-whisper"):
        return peer_system(name.endswith("multilingual"), model_dir, threads)
    pipeline, changes = LANGASSIST[name]
    return langassist_system(pipeline, changes, model_dir, threads)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=os.environ.get("LANGASSIST_DATA_DIR", "../shared/data"),
                        help="the shared data folder (default: $LANGASSIST_DATA_DIR or ../shared/data)")
    parser.add_argument("--gap-s", type=float, nargs="+", default=[1.0, 3.0],
                        help="silence between the turns, one run per value (default: 1 3)")
    parser.add_argument("--limit", type=int, default=40, help="foreign clips per gap (default: all 40)")
    parser.add_argument("--systems", nargs="+", default=list(DEFAULT_SYSTEMS), choices=SYSTEMS,
                        help="default: " + " ".join(DEFAULT_SYSTEMS))
    parser.add_argument("--model-dir", default=None, help="Whisper base folder (default: the catalog's)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", default=str(RESULT))
    args = parser.parse_args(argv)

    if args.model_dir:
        model_dir = args.model_dir
    else:
        from langassist.catalog import load_catalog
        from langassist.config import load_settings

        model_dir = str(load_catalog(load_settings(environ={}).models).path("whisper-base"))
    data_dir = Path(args.data)
    systems = {name: make_system(name, model_dir, args.threads) for name in args.systems}
    judge = Judge()
    runs = []
    for gap_s in args.gap_s:
        calls = build_calls(data_dir, gap_s, args.limit)
        outputs: dict[str, list[Segments]] = {name: [] for name in systems}
        seconds: dict[str, list[float]] = {name: [] for name in systems}
        for number, call in enumerate(calls, 1):
            for name, system in systems.items():  # interleaved: drift hits every system alike
                started = time.perf_counter()
                outputs[name].append(system(call.samples))
                seconds[name].append(time.perf_counter() - started)
            print(f"gap {gap_s:g} s: call {number}/{len(calls)}", file=sys.stderr, flush=True)
        scored = {name: score_system(calls, outputs[name], seconds[name], judge) for name in systems}
        runs.append({"gap_s": gap_s, "systems": scored})
        print(f"\ngap {gap_s:g} s, {len(calls)} calls")
        print("| system | kept | lost | other | foreign WER | English WER | s/call (median) | RTF |")
        print("|---|---|---|---|---|---|---|---|")
        for name, row in scored.items():
            print(f"| {name} | {row['kept_share']:.1%} | {row['lost_share']:.1%} | {row['other_share']:.1%} | "
                  f"{row['foreign_wer']:.1%} | {row['english_wer']:.1%} | {row['median_seconds_per_call']:.2f} | "
                  f"{row['real_time_factor']:.2f}x |")
    result = {
        "benchmark": "language_switch",
        "model": "whisper-base",
        "threads": args.threads,
        "judge": "py3langid restricted to " + ",".join(JUDGE_LANGUAGES),
        "peer": "faster-whisper WhisperModel(compute_type=int8).transcribe(vad_filter=True[, multilingual=True])",
        **environment(),
        "runs": runs,
    }
    print(f"\nwrote {write_result(result, args.output)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
