"""Accent strength: separate accented from native English speakers, vs Whisper's P(en) alone.

Run (from the repository root)::

    nice .venv/bin/python benchmarks/accent.py [--model-dir DIR]

Data: shared speech-en-accented (speechocean762 Mandarin-L1 adults and children, two
Earnings-22 excerpts) and speech-en-native (JFK, LibriSpeech reader 1089, 10 FLEURS
clips). Whisper base transcribes each clip with the language forced to English (the
language the speaker is speaking, as a settled call would have it) and the live decode
budget lifted; output is cached under the git-ignored ``benchmarks/results/raw/``
(``accent_common.py``).

Compared in the same run, on the same speakers:

* **langassist**: :class:`~langassist.accent.AccentScorer` with the shipped model
  (``src/langassist/data/accent-model.json``, fitted by ``benchmarks/train_accent.py`` on
  the ``train`` speakers of ``benchmarks/splits/accent-split.json``), scoring each
  speaker from all of the speaker's utterances;
* **peer**: 1 - P(en) from Whisper base ``detect_language`` on each whole clip
  (research/baselines.md 1d), averaged over the speaker's clips weighted by duration;
  and the same on each clip's first 2 s.

Reported: speaker-level AUC on the held-out ``test`` speakers (the headline), with a
95 % bootstrap interval; leave-one-speaker-out AUC over all speakers (each speaker scored
by a model refitted without it); clip-level AUC on test clips; AUC per accented group
against the test natives; first-language guesses; the cost of one ``observe`` call; and
English read by espeak-ng's en-us, French and Spanish voices. With ``--language auto``
(cache built with auto-detected decoding) the shipped model is also evaluated on the
default pipeline's auto-language transcripts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accent_common import (  # noqa: E402
    BENCH_OVERRIDES,
    Clip,
    auc,
    bootstrap_auc,
    cache_path,
    environment,
    finals_of,
    load_clips,
    load_transcriber,
    transcribe_clips,
)
from langassist.accent import AccentScorer, load_accent_model  # noqa: E402
from langassist.accent.model import AccentModel  # noqa: E402
from train_accent import DEFAULT_FEATURES, L2, SPOKEN, fit, load_split  # noqa: E402

RESULT = Path(__file__).resolve().parent / "results" / "accent.json"
ESPEAK_TEXT = (
    "Thank you for calling customer support. I can see that your internet connection "
    "was interrupted yesterday evening. Could you please restart the router and tell me "
    "which lights are on?"
)
ESPEAK_VOICES = ("en-us", "fr-fr", "es")


def _peer(entries: list[tuple[Clip, dict[str, Any]]], key: str) -> float:
    weights = [clip.duration_s for clip, _ in entries]
    values = [1.0 - float(entry[key].get("en", 0.0)) for _, entry in entries]
    return float(np.average(values, weights=weights))


def score_speakers(
    clips: list[Clip], cache: dict[str, Any], model: AccentModel, language: str | None = SPOKEN
) -> dict[str, dict[str, Any]]:
    """Scores per speaker: langassist, peer (whole clip, first 2 s), labels."""
    scorer = AccentScorer(model=model)
    by_speaker: dict[str, list[Clip]] = {}
    for clip in clips:
        by_speaker.setdefault(clip.speaker, []).append(clip)
    rows: dict[str, dict[str, Any]] = {}
    for speaker, own in sorted(by_speaker.items()):
        finals = [f for clip in own for f in finals_of(cache[clip.clip_id], clip.clip_id)]
        event = scorer.score_speaker(finals, language=language, track=speaker)
        entries = [(clip, cache[clip.clip_id]) for clip in own]
        rows[speaker] = {
            "group": own[0].group,
            "accented": own[0].accented,
            "clips": len(own),
            "speech_s": round(sum(c.duration_s for c in own), 2),
            "score": event.score.value,
            "confidence": event.score.confidence,
            "likely_first_language": event.likely_first_language,
            "top_reasons": [r.detail for r in event.score.reasons[:3]],
            "peer_1_minus_p_en": round(_peer(entries, "clip_language"), 4),
            "peer_first2s": round(_peer(entries, "first2s_language"), 4),
        }
    return rows


def _auc_block(rows: dict[str, dict[str, Any]], speakers: list[str], key: str) -> dict[str, Any]:
    kept = [s for s in speakers if rows[s][key] is not None]
    scores = [float(rows[s][key]) for s in kept]
    labels = [bool(rows[s]["accented"]) for s in kept]
    low, high = bootstrap_auc(scores, labels)
    value = auc(scores, labels)
    return {
        "auc": None if value is None else round(value, 4),
        "ci95": None if low is None else [round(low, 3), round(high or 0.0, 3)],
        "positives": sum(labels),
        "negatives": len(labels) - sum(labels),
        "unknown": len(speakers) - len(kept),
    }


def evaluate(
    clips: list[Clip], cache: dict[str, Any], model: AccentModel, split: dict[str, str]
) -> dict[str, Any]:
    rows = score_speakers(clips, cache, model)
    test = [s for s in rows if split[s] == "test"]
    result: dict[str, Any] = {"speakers": rows, "test_speaker_auc": {}, "by_group": {}}
    for key in ("score", "peer_1_minus_p_en", "peer_first2s"):
        result["test_speaker_auc"][key] = _auc_block(rows, test, key)
    natives = [s for s in test if not rows[s]["accented"]]
    for group in ("so762-adult", "so762-child", "earnings22"):
        members = [s for s in test if rows[s]["group"] == group] + natives
        result["by_group"][group] = {
            key: _auc_block(rows, members, key) for key in ("score", "peer_1_minus_p_en")
        }
    # Threshold 0.5 on held-out speakers, and calibration.
    known = [s for s in test if rows[s]["score"] is not None]
    predicted = [rows[s]["score"] >= 0.5 for s in known]
    truth = [rows[s]["accented"] for s in known]
    positives = max(1, sum(truth))
    negatives = max(1, len(truth) - sum(truth))
    result["test_threshold_0_5"] = {
        "true_positive_rate": round(sum(p and t for p, t in zip(predicted, truth, strict=True)) / positives, 4),
        "false_positive_rate": round(sum(p and not t for p, t in zip(predicted, truth, strict=True)) / negatives, 4),
        "brier": round(float(np.mean([(rows[s]["score"] - rows[s]["accented"]) ** 2 for s in known])), 4),
    }
    # Clip level: every test clip scored on its own.
    scorer = AccentScorer(model=model)
    clip_scores, clip_peer, clip_labels = [], [], []
    for clip in clips:
        if split[clip.speaker] != "test":
            continue
        event = scorer.score_speaker(finals_of(cache[clip.clip_id], clip.clip_id), language=SPOKEN)
        if event.score.value is None:
            continue
        clip_scores.append(event.score.value)
        clip_peer.append(1.0 - float(cache[clip.clip_id]["clip_language"].get("en", 0.0)))
        clip_labels.append(clip.accented)
    result["test_clip_auc"] = {}
    for name, values in (("score", clip_scores), ("peer_1_minus_p_en", clip_peer)):
        low, high = bootstrap_auc(values, clip_labels)
        value = auc(values, clip_labels)
        result["test_clip_auc"][name] = {
            "auc": None if value is None else round(value, 4),
            "ci95": None if low is None else [round(low, 3), round(high or 0.0, 3)],
            "positives": sum(clip_labels), "negatives": len(clip_labels) - sum(clip_labels),
        }
    # First language on held-out speakers.
    so762 = [s for s in test if rows[s]["group"].startswith("so762")]
    result["first_language"] = {
        "so762_test_speakers_guessed_zh": sum(rows[s]["likely_first_language"] == "zh" for s in so762),
        "so762_test_speakers": len(so762),
        "so762_test_speakers_guessed_other": sorted(
            {rows[s]["likely_first_language"] for s in so762} - {None, "zh"}
        ),
        "native_test_speakers_with_a_guess": sum(
            rows[s]["likely_first_language"] is not None for s in natives
        ),
        "native_test_speakers": len(natives),
        "earnings22": {s: rows[s]["likely_first_language"] for s in rows if rows[s]["group"] == "earnings22"},
    }
    return result


def leave_one_speaker_out(clips: list[Clip], cache: dict[str, Any], features: tuple[str, ...]) -> dict[str, Any]:
    """Each speaker scored by a model fitted on every other speaker."""
    speakers = sorted({clip.speaker for clip in clips})
    scores, peer, labels = [], [], []
    for speaker in speakers:
        model = fit([c for c in clips if c.speaker != speaker], cache, features, l2=L2)
        own = [c for c in clips if c.speaker == speaker]
        row = score_speakers(own, cache, model)[speaker]
        if row["score"] is None:
            continue
        scores.append(row["score"])
        peer.append(row["peer_1_minus_p_en"])
        labels.append(row["accented"])
    out = {}
    for name, values in (("score", scores), ("peer_1_minus_p_en", peer)):
        low, high = bootstrap_auc(values, labels)
        value = auc(values, labels)
        out[name] = {"auc": None if value is None else round(value, 4),
                     "ci95": None if low is None else [round(low, 3), round(high or 0.0, 3)],
                     "positives": sum(labels), "negatives": len(labels) - sum(labels)}
    return out


def observe_cost(clips: list[Clip], cache: dict[str, Any], model: AccentModel) -> dict[str, float]:
    """Median and p95 milliseconds of one ``AccentScorer.observe`` call."""
    scorer = AccentScorer(model=model)
    times = []
    for clip in clips:
        for final in finals_of(cache[clip.clip_id], clip.clip_id):
            started = time.perf_counter()
            scorer.observe(final, language=SPOKEN)
            times.append((time.perf_counter() - started) * 1000.0)
    times.sort()
    return {"median_ms": round(statistics.median(times), 4),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 4), "calls": len(times)}


def espeak_check(transcriber: Any, model: AccentModel, settings: Any) -> dict[str, Any]:
    """English read by espeak-ng voices: en-us should score least accented."""
    import shutil
    import subprocess
    import tempfile

    from langassist import service
    from langassist.stages.asr import transcribe_track

    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        return {"skipped": "espeak-ng or sox missing"}
    out: dict[str, Any] = {}
    for voice in ESPEAK_VOICES:
        with tempfile.TemporaryDirectory() as folder:
            wav = Path(folder) / "speech.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-w", str(wav), ESPEAK_TEXT], check=True, capture_output=True)
            raw = subprocess.run(["sox", "-q", str(wav), "-t", "raw", "-e", "floating-point", "-b", "32",
                                  "-c", "1", "-r", "16000", "-"], check=True, capture_output=True).stdout
        samples = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        track = transcribe_track(transcriber, samples, call_id=voice, track="customer", language=SPOKEN,
                                 guards=service.guard_options(settings),
                                 merge=service.merge_options(settings))
        event = AccentScorer(model=model).score_speaker(track.utterances, language=SPOKEN)
        out[voice] = {"score": event.score.value, "likely_first_language": event.likely_first_language,
                      "p_en": None if track.language is None else round(track.language.probability("en"), 4),
                      "text": track.text}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", default=None, help="CTranslate2 Whisper directory (default: catalog)")
    parser.add_argument("--accent-model", type=Path, default=None, help="accent model JSON (default: shipped)")
    parser.add_argument("--language", choices=("en", "auto", "both"), default="en",
                        help="which cached ASR run(s) to evaluate: forced English, auto-detected, or both")
    parser.add_argument("--no-espeak", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULT)
    args = parser.parse_args()

    from langassist import service

    settings = service.load_settings(overrides=BENCH_OVERRIDES)
    clips = load_clips(settings.data_dir)
    split = load_split()
    model = load_accent_model(args.accent_model)
    transcriber = load_transcriber(args.model_dir, settings)
    guards = service.guard_options(settings)
    merge = service.merge_options(settings)
    cache = transcribe_clips(clips, transcriber, language=SPOKEN,
                             cache_file=cache_path(transcriber.name, SPOKEN), guards=guards,
                             merge=merge)
    result: dict[str, Any] = {
        "benchmark": "accent",
        "asr_model": transcriber.name,
        "accent_model": str(args.accent_model or "src/langassist/data/accent-model.json"),
        "accent_model_features": list(model.features),
        "split": "benchmarks/splits/accent-split.json",
        "data": ["speech-en-accented", "speech-en-native"],
        "peer": "1 - P(en), Whisper base detect_language (research/baselines.md 1d: 0.941 per clip, all clips)",
        "forced_en": evaluate(clips, cache, model, split),
        "leave_one_speaker_out": leave_one_speaker_out(clips, cache, tuple(model.features)),
        "observe_cost": observe_cost(clips, cache, model),
    }
    if args.language in ("auto", "both"):
        auto = transcribe_clips(clips, transcriber, language=None,
                                cache_file=cache_path(transcriber.name, None), guards=guards,
                                merge=merge)
        result["auto_language"] = evaluate(clips, auto, model, split)
    if not args.no_espeak:
        result["espeak"] = espeak_check(transcriber, model, settings)
    result.update(environment())
    result["default_features"] = list(DEFAULT_FEATURES)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print_tables(result)


def _fmt(block: dict[str, Any]) -> str:
    if block["auc"] is None:
        return "n/a"
    ci = block.get("ci95")
    return f"{block['auc']:.3f} [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else f"{block['auc']:.3f}"


def print_tables(result: dict[str, Any]) -> None:
    names = {"score": "langassist AccentScorer", "peer_1_minus_p_en": "peer: 1 - P(en), whole clip",
             "peer_first2s": "peer: 1 - P(en), first 2 s"}
    for mode in ("forced_en", "auto_language"):
        if mode not in result:
            continue
        data = result[mode]
        print(f"\n### Accent AUC, {result['asr_model']} ({'language forced to en' if mode == 'forced_en' else 'auto-detected language'}); AUC [95 % bootstrap]\n")
        print("| method | test speakers | test clips | leave-one-speaker-out (all speakers) |")
        print("|---|---|---|---|")
        for key, name in names.items():
            speaker = _fmt(data["test_speaker_auc"][key])
            clip = _fmt(data["test_clip_auc"][key]) if key in data["test_clip_auc"] else "-"
            loso = _fmt(result["leave_one_speaker_out"][key]) if (
                mode == "forced_en" and key in result["leave_one_speaker_out"]) else "-"
            print(f"| {name} | {speaker} | {clip} | {loso} |")
        block = data["test_speaker_auc"]["score"]
        print(f"\nTest speakers: {block['positives']} accented, {block['negatives']} native. "
              f"Threshold 0.5: TPR {data['test_threshold_0_5']['true_positive_rate']:.2f}, "
              f"FPR {data['test_threshold_0_5']['false_positive_rate']:.2f}, "
              f"Brier {data['test_threshold_0_5']['brier']:.3f}.")
        print("\n| accented group vs test natives | langassist | peer 1 - P(en) |")
        print("|---|---|---|")
        for group, values in data["by_group"].items():
            print(f"| {group} ({values['score']['positives']} speakers) | {_fmt(values['score'])} "
                  f"| {_fmt(values['peer_1_minus_p_en'])} |")
        first = data["first_language"]
        print(f"\nLikely first language: zh for {first['so762_test_speakers_guessed_zh']}/"
              f"{first['so762_test_speakers']} Mandarin-L1 test speakers "
              f"(other guesses: {first['so762_test_speakers_guessed_other'] or 'none'}); a guess for "
              f"{first['native_test_speakers_with_a_guess']}/{first['native_test_speakers']} native test "
              f"speakers; Earnings-22: {first['earnings22']}.")
    print("\n### Per speaker (language forced to en)\n")
    print("| speaker | group | split | clips | speech s | langassist | confidence | peer 1 - P(en) | likely L1 |")
    print("|---|---|---|---|---|---|---|---|---|")
    split = json.loads((Path(__file__).resolve().parent / "splits" / "accent-split.json").read_text())["speakers"]
    for speaker, row in result["forced_en"]["speakers"].items():
        score = "unknown" if row["score"] is None else f"{row['score']:.3f}"
        print(f"| {speaker} | {row['group']} | {split[speaker]['split']} | {row['clips']} | {row['speech_s']:.1f} "
              f"| {score} | {row['confidence']:.2f} | {row['peer_1_minus_p_en']:.3f} "
              f"| {row['likely_first_language'] or '-'} |")
    cost = result["observe_cost"]
    print(f"\nCost of AccentScorer.observe: median {cost['median_ms']:.3f} ms, p95 {cost['p95_ms']:.3f} ms "
          f"({cost['calls']} calls).")
    if "espeak" in result and "skipped" not in result["espeak"]:
        print("\n| espeak-ng voice reading English | langassist | P(en) | likely L1 |")
        print("|---|---|---|---|")
        for voice, row in result["espeak"].items():
            print(f"| {voice} | {row['score']:.3f} | {row['p_en']} | {row['likely_first_language'] or '-'} |")


if __name__ == "__main__":
    main()
