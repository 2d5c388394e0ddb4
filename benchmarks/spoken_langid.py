"""Spoken language ID on shared speech-multilingual: full clips, 2-s cuts, call context, flips.

Run (from the repository root)::

    nice .venv/bin/python benchmarks/spoken_langid.py [--model-dir DIR]

What is measured, all with Whisper base ``detect_language`` (first 30-s window), the
same engine the peer baseline used (research/baselines.md 1c):

1. **Full clip** top-1 accuracy (target >= 98 %).
2. **First 2 s of the clip** top-1 accuracy, alone (the peer: 39.5 %) and with the call
   context below.
3. **First 2 s of speech** (the 2 s after the VAD's first speech onset: in a live call an
   utterance starts at speech, while the FLEURS clips often open with silence), alone and
   with the call context.
4. **No flips within a speaker**: every clip is cut into consecutive pieces of
   ``--piece-s`` seconds (< 2 s); the pieces of one clip (one speaker) go in order through
   a language hysteresis rule, and every change of the settled language counts as a flip
   (each clip holds one language, so any flip is wrong). Also done for a "language
   stream": all clips of one language in a row (FLEURS does not name its speakers, so a
   stream may hold several readers, but one language).

**Call context (what it is, exactly):** the contact-center queue's configured customer
languages, ``--queue-languages`` (default ``en,es,de,fr,pt,zh,ja``: English plus every
language of this test set, as a queue serving those customers would be set up). It is a
prior over languages: 98 % of the mass spread evenly over the queue's languages, 2 % over
all others, multiplied into Whisper's distribution and renormalized. It does not use any
other clip, the speaker's earlier utterances, or the clip's label. It is close to a
closed-set decision over the queue's languages; a language outside the queue can still
win, but only with overwhelming evidence.

**Hysteresis rule:** the minimal local rule :class:`LocalHysteresis` (named in the
output; the project's per-speaker language state machine was not available when this
benchmark was written): an utterance whose top probability is below 0.5 is ignored; a run of
consecutive utterances whose top language differs from the settled one replaces it only
when the run holds >= 2 utterances, >= 3 s of speech and a duration-weighted mean top
probability >= 0.8 (the defaults of ``LanguageIdSettings``). The first language settles
by the same rule. One short utterance can therefore never flip a speaker.

Language distributions per clip and per piece are cached under the git-ignored
``benchmarks/results/raw/`` so the rule and the context can be re-evaluated without
running Whisper again. ``--piece-clips N`` limits the flip test to N clips (round-robin
over the languages) when the machine is too slow for all of them; the result says how
many clips and pieces it covered.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accent_common import DEFAULT_CACHE_DIR, environment, load_manifest  # noqa: E402
from langassist.events import LanguageDistribution  # noqa: E402

SAMPLE_RATE_HZ = 16000
RESULT = Path(__file__).resolve().parent / "results" / "spoken_langid.json"


def apply_prior(
    distribution: LanguageDistribution, expected: tuple[str, ...], *, leak: float = 0.02
) -> LanguageDistribution:
    """Multiply a queue prior into ``distribution`` (see the module docstring)."""
    if not expected:
        return distribution
    others = max(1, len(distribution.probabilities) - len(expected))
    weighted = {
        code: p * ((1.0 - leak) / len(expected) if code in expected else leak / others)
        for code, p in distribution.probabilities
    }
    total = sum(weighted.values()) or 1.0
    return LanguageDistribution.from_mapping({c: v / total for c, v in weighted.items()})


@dataclass
class LocalHysteresis:
    """Minimal per-speaker language hysteresis (used when no shared state machine exists)."""

    confidence_floor: float = 0.5
    switch_probability: float = 0.8
    switch_min_speech_s: float = 3.0
    switch_min_utterances: int = 2
    settled: str | None = None
    _run: list[tuple[str, float, float]] = field(default_factory=list)

    def observe(self, distribution: LanguageDistribution, duration_s: float) -> str | None:
        top, p = distribution.top, distribution.top_probability
        if top is None or p < self.confidence_floor:
            return self.settled
        if top == self.settled:
            self._run.clear()
            return self.settled
        if self._run and self._run[-1][0] != top:
            self._run.clear()
        self._run.append((top, p, duration_s))
        speech = sum(d for _, _, d in self._run)
        mean_p = sum(q * d for _, q, d in self._run) / speech if speech else 0.0
        if (
            len(self._run) >= self.switch_min_utterances
            and speech >= self.switch_min_speech_s
            and mean_p >= self.switch_probability
        ):
            self.settled = top
            self._run.clear()
        return self.settled


def _dist(data: dict[str, float]) -> LanguageDistribution:
    return LanguageDistribution.from_mapping(data)


def _first_speech_onset(samples: np.ndarray) -> int:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    spans = get_speech_timestamps(samples, VadOptions(min_speech_duration_ms=150))
    return int(spans[0]["start"]) if spans else 0


def _speech_seconds(samples: np.ndarray) -> float:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    spans = get_speech_timestamps(samples, VadOptions(min_speech_duration_ms=150, speech_pad_ms=0))
    return sum(int(s["end"]) - int(s["start"]) for s in spans) / SAMPLE_RATE_HZ


def gated_first2s(entries: dict[str, Any], labels: dict[str, str], expected: tuple[str, ...],
                  min_speech_s: float) -> dict[str, Any]:
    """First 2 s with the queue prior, but "unknown" when they hold too little speech."""
    answered = correct = no_speech = 0
    for clip_id, language in labels.items():
        speech = entries[clip_id]["first2s_speech_s"]
        no_speech += speech == 0.0
        if speech < min_speech_s:
            continue
        answered += 1
        correct += apply_prior(_dist(entries[clip_id]["first2s"]), expected).top == language
    return {"min_speech_s": min_speech_s, "clips": len(labels), "answered": answered,
            "correct": correct, "no_speech": no_speech,
            "accuracy_answered": correct / answered if answered else 0.0,
            "accuracy_all": correct / len(labels)}


def _save(cache: dict[str, Any], cache_file: Path) -> None:
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    cache_file.write_text(json.dumps(cache), encoding="utf-8")


def collect(
    clips: list[dict[str, str]], folder: Path, transcriber: Any, piece_s: float, cache_file: Path,
    *, piece_clips: int | None, speech_onset: bool,
) -> dict[str, Any]:
    """Whisper distributions per clip: full, first 2 s (and first 2 s of speech), pieces.

    Two passes, each cached clip by clip, so an interrupted run resumes: first the whole
    clip and its first 2 s for every clip, then the pieces of ``piece_clips`` clips
    (all when ``None``) taken round-robin over the languages, so a partial flip test still
    covers every language. One ``detect_language`` costs a full 30-s encoder pass
    whatever the input length, so the pieces are most of the cost.
    """
    from faster_whisper import decode_audio

    cache: dict[str, Any] = {}
    if cache_file.is_file():
        cache = json.loads(cache_file.read_text(encoding="utf-8"))
    key = f"piece{piece_s:g}"

    def detect(audio: np.ndarray) -> dict[str, float]:
        return dict(transcriber.detect_language(audio).head(20).probabilities)

    def load(row: dict[str, str]) -> np.ndarray:
        return decode_audio(str(folder / row["audio"]), sampling_rate=SAMPLE_RATE_HZ)

    for number, row in enumerate(clips, start=1):
        entry = cache.setdefault(row["id"], {})
        if "full" in entry and "first2s_speech_s" in entry and (not speech_onset or "speech2s" in entry):
            continue
        samples = load(row)
        if "first2s_speech_s" not in entry:
            entry["first2s_speech_s"] = round(_speech_seconds(samples[: 2 * SAMPLE_RATE_HZ]), 3)
        started = time.perf_counter()
        if "full" not in entry:
            entry["full"] = detect(samples)
            entry["full_s"] = round(time.perf_counter() - started, 3)
            entry["first2s"] = detect(samples[: 2 * SAMPLE_RATE_HZ])
            entry["duration_s"] = round(samples.size / SAMPLE_RATE_HZ, 3)
        if speech_onset and "speech2s" not in entry:
            onset = _first_speech_onset(samples)
            entry["speech_onset_s"] = round(onset / SAMPLE_RATE_HZ, 3)
            entry["speech2s"] = detect(samples[onset: onset + 2 * SAMPLE_RATE_HZ])
        print(f"[{number}/{len(clips)}] {row['id']}: full={max(entry['full'], key=entry['full'].get)}, "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        _save(cache, cache_file)

    by_language: dict[str, list[dict[str, str]]] = {}
    for row in clips:
        by_language.setdefault(row["language"], []).append(row)
    ordered = [
        rows[i] for i in range(max(len(rows) for rows in by_language.values()))
        for _, rows in sorted(by_language.items()) if i < len(rows)
    ]
    chosen = ordered if piece_clips is None else ordered[:piece_clips]
    for number, row in enumerate(chosen, start=1):
        entry = cache[row["id"]]
        if key in entry:
            continue
        samples = load(row)
        started = time.perf_counter()
        step = int(piece_s * SAMPLE_RATE_HZ)
        pieces = []
        for start in range(0, samples.size - SAMPLE_RATE_HZ // 2, step):
            piece = samples[start: start + step]
            pieces.append({"start_s": start / SAMPLE_RATE_HZ,
                           "duration_s": piece.size / SAMPLE_RATE_HZ,
                           "language": detect(piece)})
        entry[key] = pieces
        print(f"[pieces {number}/{len(chosen)}] {row['id']}: {len(pieces)} pieces, "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        _save(cache, cache_file)
    return cache


class ProjectState:
    """Adapter: the project's :class:`SpeakerLanguageState`, fed a piece as ``asr`` evidence
    of its duration, with the thresholds of ``LanguageIdSettings`` (``overrides`` change
    some, e.g. ``min_speech_s``)."""

    def __init__(self, **overrides: float) -> None:
        from langassist.config import LanguageIdSettings
        from langassist.langid.speaker_state import SpeakerLanguages

        settings = LanguageIdSettings()
        values = {name: getattr(settings, name) for name in (
            "confidence_floor", "switch_probability", "switch_min_speech_s",
            "switch_min_utterances", "min_speech_s")}
        values.update(overrides)
        self._state = SpeakerLanguages(**values).state("customer")  # type: ignore[arg-type]

    def observe(self, distribution: LanguageDistribution, duration_s: float) -> str | None:
        from langassist.langid.speaker_state import LanguageObservation

        return self._state.observe(LanguageObservation(distribution, duration_s)).language


def _rules(min_speech_s: float) -> dict[str, Any]:
    """The hysteresis rules the flip test compares."""
    return {
        "SpeakerLanguageState (project defaults)": ProjectState,
        f"SpeakerLanguageState (min_speech_s={min_speech_s:g})":
            lambda: ProjectState(min_speech_s=min_speech_s),
        "LocalHysteresis (minimal rule, no speech gate)": LocalHysteresis,
    }


def run_stream(
    pieces: list[dict[str, Any]], expected: tuple[str, ...] | None, factory: Any
) -> dict[str, Any]:
    rule = factory()
    settled_history: list[str | None] = []
    for piece in pieces:
        distribution = _dist(piece["language"])
        if expected:
            distribution = apply_prior(distribution, expected)
        settled_history.append(rule.observe(distribution, piece["duration_s"]))
    changes = [
        (a, b) for a, b in zip(settled_history, settled_history[1:], strict=False)
        if a is not None and b != a
    ]
    first_settle = next((i for i, s in enumerate(settled_history) if s is not None), None)
    return {
        "flips": len(changes),
        "final": settled_history[-1] if settled_history else None,
        "first_settled_at_piece": first_settle,
        "first_settled": settled_history[first_settle] if first_settle is not None else None,
    }


def top1(entries: dict[str, Any], labels: dict[str, str], key: str,
         expected: tuple[str, ...] | None) -> dict[str, Any]:
    hits: dict[str, list[bool]] = {}
    for clip_id, language in labels.items():
        distribution = _dist(entries[clip_id][key])
        if expected:
            distribution = apply_prior(distribution, expected)
        hits.setdefault(language, []).append(distribution.top == language)
    total = [h for values in hits.values() for h in values]
    return {
        "accuracy": sum(total) / len(total),
        "correct": sum(total),
        "clips": len(total),
        "per_language": {lang: f"{sum(v)}/{len(v)}" for lang, v in sorted(hits.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", default=None, help="CTranslate2 Whisper directory (default: catalog)")
    parser.add_argument("--piece-s", type=float, default=1.5, help="piece length for the flip test (< 2 s)")
    parser.add_argument("--queue-languages", default="en,es,de,fr,pt,zh,ja")
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--piece-clips", type=int, default=None,
                        help="cut only this many multilingual clips into pieces (round-robin over "
                             "languages; default: all)")
    parser.add_argument("--native-pieces", action="store_true",
                        help="also cut the native English clips into pieces")
    parser.add_argument("--speech-onset", action="store_true",
                        help="also measure the first 2 s after the VAD's first speech onset")
    parser.add_argument("--gate-speech-s", type=float, default=0.5,
                        help="speech the first 2 s must hold for a gated answer")
    parser.add_argument("--short-min-speech-s", type=float, default=1.0,
                        help="min_speech_s of the second project-state variant in the flip test")
    parser.add_argument("--output", type=Path, default=RESULT)
    args = parser.parse_args()
    if not args.piece_s < 2.0:
        parser.error("--piece-s must be under 2 s")

    from langassist import service

    settings = service.load_settings()
    folder = Path(settings.data_dir) / "speech-multilingual"
    native = Path(settings.data_dir) / "speech-en-native"
    rows = load_manifest(folder)
    native_rows = load_manifest(native)
    transcriber = service.create_transcriber(settings, model_dir=args.model_dir)
    cache_file = args.cache or DEFAULT_CACHE_DIR / f"spoken-langid-{transcriber.name}.json"
    started = time.perf_counter()
    entries = collect(rows, folder, transcriber, args.piece_s, cache_file,
                      piece_clips=args.piece_clips, speech_onset=args.speech_onset)
    entries.update(collect(native_rows, native, transcriber, args.piece_s,
                           cache_file.with_name(cache_file.stem + "-en.json"),
                           piece_clips=None if args.native_pieces else 0,
                           speech_onset=args.speech_onset))
    elapsed = time.perf_counter() - started
    expected = tuple(code.strip() for code in args.queue_languages.split(",") if code.strip())
    labels = {row["id"]: row["language"] for row in rows}
    labels_en = {row["id"]: row["language"] for row in native_rows}

    accuracy: dict[str, Any] = {}
    for key, name in (("full", "full clip"), ("first2s", "first 2 s of clip"),
                      ("speech2s", "first 2 s of speech (VAD onset)")):
        if any(key not in entries[cid] for cid in list(labels) + list(labels_en)):
            continue
        for context in (None, expected):
            label = f"{name} | {'queue prior' if context else 'Whisper alone'}"
            accuracy[label] = {
                "multilingual": top1(entries, labels, key, context),
                "native_english": top1(entries, labels_en, key, context),
            }

    piece_key = f"piece{args.piece_s:g}"
    flips: dict[str, Any] = {}
    all_labels = {cid: lang for cid, lang in {**labels, **labels_en}.items() if piece_key in entries[cid]}
    rules = _rules(args.short_min_speech_s)
    for rule_name, factory in rules.items():
        for context in (None, expected):
            per_clip = {cid: run_stream(entries[cid][piece_key], context, factory) for cid in all_labels}
            streams = {}
            for language in sorted(set(all_labels.values())):
                pieces = [p for cid, lang in all_labels.items() if lang == language
                          for p in entries[cid][piece_key]]
                streams[language] = run_stream(pieces, context, factory)
            raw_changes = 0
            for cid in all_labels:
                tops = [_dist(p["language"]) for p in entries[cid][piece_key]]
                if context:
                    tops = [apply_prior(d, context) for d in tops]
                names = [d.top for d in tops]
                raw_changes += sum(1 for a, b in zip(names, names[1:], strict=False) if a != b)
            flips[f"{rule_name} | {'queue prior' if context else 'Whisper alone'}"] = {
                "clips": len(per_clip),
                "pieces": sum(len(entries[cid][piece_key]) for cid in per_clip),
                "clips_with_flips": sum(1 for r in per_clip.values() if r["flips"]),
                "total_flips": sum(r["flips"] for r in per_clip.values()),
                "raw_top1_changes_without_hysteresis": raw_changes,
                "settled_correct": sum(1 for cid, r in per_clip.items() if r["final"] == all_labels[cid]),
                "settled_wrong": sum(1 for cid, r in per_clip.items()
                                     if r["final"] is not None and r["final"] != all_labels[cid]),
                "never_settled": sum(1 for r in per_clip.values() if r["final"] is None),
                "language_streams": streams,
                "per_clip": per_clip,
            }

    result = {
        "benchmark": "spoken_langid",
        "model": transcriber.name,
        "engine": "faster-whisper detect_language (first 30 s window)",
        "data": {"multilingual": str(folder), "native_english": str(native)},
        "queue_languages": list(expected),
        "context": "queue prior: 98% of mass evenly over queue languages, 2% over the rest",
        "hysteresis_rules": list(rules),
        "piece_s": args.piece_s,
        "piece_clips": args.piece_clips,
        "native_pieces": args.native_pieces,
        "accuracy": accuracy,
        "flips": flips,
        "first2s_vad_gated": gated_first2s(entries, labels, expected, args.gate_speech_s),
        "peer": {"whisper_base_full": 1.0, "whisper_base_first2s": 0.395,
                 "source": "research/baselines.md 1c"},
        "collect_s": round(elapsed, 1),
        **environment(),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print_tables(result)


def print_tables(result: dict[str, Any]) -> None:
    print(f"\n### Spoken language ID ({result['model']}, top-1)\n")
    print("| input | context | multilingual (43) | per language | native English (15) |")
    print("|---|---|---|---|---|")
    for label, values in result["accuracy"].items():
        name, context = label.split(" | ")
        m, e = values["multilingual"], values["native_english"]
        per = ", ".join(f"{k} {v}" for k, v in m["per_language"].items())
        print(f"| {name} | {context} | {m['accuracy']:.1%} ({m['correct']}/{m['clips']}) | {per} "
              f"| {e['accuracy']:.1%} ({e['correct']}/{e['clips']}) |")
    print(f"\nPeer (Whisper base alone, baselines.md 1c): full 100 %, first 2 s 39.5 %. "
          f"Queue languages: {', '.join(result['queue_languages'])}.")
    gated = result.get("first2s_vad_gated")
    if gated:
        print(f"\nFirst 2 s of clip, answering only when the VAD finds >= {gated['min_speech_s']:g} s of "
              f"speech in them (else unknown): {gated['answered']}/{gated['clips']} answered, "
              f"{gated['correct']} right ({gated['accuracy_answered']:.1%} of answered, "
              f"{gated['accuracy_all']:.1%} of all); {gated['no_speech']} clips have no speech at all "
              "in their first 2 s.")
    print(f"\n### Flips within a speaker ({result['piece_s']:g}-s pieces)\n")
    print("| rule | context | clips | pieces | clips with a flip | flips | raw top-1 changes (no hysteresis) "
          "| settled right | settled wrong | never settled | language streams with a flip |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label, values in result["flips"].items():
        rule, context = label.split(" | ")
        streams = values["language_streams"]
        flipped = sum(1 for s in streams.values() if s["flips"])
        print(f"| {rule} | {context} | {values['clips']} | {values['pieces']} | {values['clips_with_flips']} "
              f"| {values['total_flips']} | {values['raw_top1_changes_without_hysteresis']} "
              f"| {values['settled_correct']} | {values['settled_wrong']} | {values['never_settled']} "
              f"| {flipped}/{len(streams)} |")


if __name__ == "__main__":
    main()
