"""Shared code of the accent benchmarks: data, speakers, cached ASR output, metrics.

Used by ``benchmarks/accent.py`` and ``benchmarks/train_accent.py``. Reads the shared
speech sets through ``Settings.data_dir`` and never copies them. Whisper output per clip
(final utterances with words, probabilities and language distributions, plus whole-clip
and first-2-s language detection) is cached as JSON under the git-ignored ``benchmarks/results/raw/``, so the
calibration can be refit without running ASR again.

Speakers:

* speechocean762: the manifest names the speaker (``spk0024``); age >= 18 is an adult.
* Earnings-22: one excerpt is one speaker (the L1 is not labelled per speaker; the
  company country is France or Germany).
* Native: ``jfk`` is one speaker, the four LibriSpeech clips are reader 1089. The FLEURS
  clips carry no speaker id, so each FLEURS clip counts as its own speaker (which may
  overcount native speakers if FLEURS reused a reader).
"""

from __future__ import annotations

import csv
import json
import math
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

SAMPLE_RATE_HZ = 16000
ACCENTED = "speech-en-accented"
NATIVE = "speech-en-native"
DEFAULT_CACHE_DIR = Path(
    os.environ.get("LANGASSIST_BENCH_CACHE", Path(__file__).resolve().parent / "results" / "raw")
)
"""Cached Whisper output (git-ignored ``benchmarks/results/raw/``; ``LANGASSIST_BENCH_CACHE`` moves it)."""
BENCH_OVERRIDES: dict[str, object] = {"asr.max_decode_factor": 100.0}
"""Settings overrides of the accent runs: the live decode budget (1.5 x real time) is
lifted, because on a loaded machine it cut transcripts short at random, so the features
(and the fitted model) depended on the machine's load."""


@dataclass(frozen=True, slots=True)
class Clip:
    """One clip of the accent sets with its speaker and group labels."""

    clip_id: str
    path: Path
    accented: bool
    speaker: str
    group: str
    duration_s: float
    note: str


def _speaker_of(clip_id: str, note: str, accented: bool) -> tuple[str, str]:
    from langassist.eval.datasets import accent_speaker

    return accent_speaker(clip_id, note, accented)


def load_manifest(folder: Path) -> list[dict[str, str]]:
    with (folder / "manifest.tsv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def load_clips(data_dir: str | Path) -> list[Clip]:
    """Every clip of the accented and native English sets, with speaker labels."""
    clips: list[Clip] = []
    for name, accented in ((ACCENTED, True), (NATIVE, False)):
        folder = Path(data_dir) / name
        if not (folder / "manifest.tsv").is_file():
            raise FileNotFoundError(f"{folder}/manifest.tsv not found: set LANGASSIST_DATA_DIR")
        for row in load_manifest(folder):
            speaker, group = _speaker_of(row["id"], row["speaker_l1"], accented)
            clips.append(
                Clip(
                    clip_id=row["id"],
                    path=folder / row["audio"],
                    accented=accented,
                    speaker=speaker,
                    group=group,
                    duration_s=float(row["duration_s"]),
                    note=row["speaker_l1"],
                )
            )
    return clips


def cache_path(model_name: str, language: str | None, cache_dir: Path = DEFAULT_CACHE_DIR) -> Path:
    mode = f"lang-{language}" if language else "lang-auto"
    return cache_dir / f"accent-{model_name}-{mode}.json"


def transcribe_clips(
    clips: list[Clip],
    transcriber: Any,
    *,
    language: str | None,
    cache_file: Path,
    guards: Any = None,
    merge: Any = None,
    log: Callable[[str], None] = print,
) -> dict[str, dict[str, Any]]:
    """Whisper output per clip, from the cache or computed (and then cached).

    Each entry holds ``finals`` (``final_to_dict`` form), ``clip_language`` (whole-clip
    ``detect_language``), ``first2s_language`` (first 2 s), ``decode_s``.
    """
    from faster_whisper import decode_audio

    from langassist.stages.asr import transcribe_track
    from langassist.transcript import final_to_dict

    cache: dict[str, dict[str, Any]] = {}
    if cache_file.is_file():
        cache = json.loads(cache_file.read_text(encoding="utf-8"))
    missing = [clip for clip in clips if clip.clip_id not in cache]
    for number, clip in enumerate(missing, start=1):
        samples = decode_audio(str(clip.path), sampling_rate=SAMPLE_RATE_HZ)
        started = time.perf_counter()
        track = transcribe_track(
            transcriber, samples, call_id=clip.clip_id, track="customer",
            language=language, guards=guards, merge=merge,
        )
        decode_s = time.perf_counter() - started
        whole = transcriber.detect_language(samples)
        first = transcriber.detect_language(samples[: 2 * SAMPLE_RATE_HZ])
        cache[clip.clip_id] = {
            "finals": [final_to_dict(final) for final in track.utterances],
            "clip_language": dict(whole.head(10).probabilities),
            "first2s_language": dict(first.head(10).probabilities),
            "decode_s": round(decode_s, 3),
            "duration_s": round(samples.size / SAMPLE_RATE_HZ, 3),
        }
        log(f"[{number}/{len(missing)}] {clip.clip_id}: {len(track.utterances)} utterances, "
            f"P(en)={whole.probability('en'):.3f}, {decode_s:.1f} s")
        if number % 10 == 0 or number == len(missing):
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            cache_file.write_text(json.dumps(cache), encoding="utf-8")
    return cache


def finals_of(entry: dict[str, Any], clip_id: str, track: str = "customer") -> list[Any]:
    """The cached utterances of one clip as ``TranscriptFinal`` events."""
    from langassist.transcript import final_from_dict

    return [final_from_dict(item, call_id=clip_id, track=track) for item in entry["finals"]]


def load_transcriber(model_dir: str | None, settings: Any) -> Any:
    """The catalog's transcriber for ``settings.asr.model``, or one from ``model_dir``."""
    from langassist import service

    return service.create_transcriber(settings, model_dir=model_dir)


# ------------------------------------------------------------------------------ metrics


def auc(scores: list[float], labels: list[bool]) -> float | None:
    """Area under the ROC curve (Mann-Whitney U, ties count one half); None if one class."""
    positives = [s for s, y in zip(scores, labels, strict=True) if y]
    negatives = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not positives or not negatives:
        return None
    wins = 0.0
    for p in positives:
        for n in negatives:
            wins += 1.0 if p > n else 0.5 if p == n else 0.0
    return wins / (len(positives) * len(negatives))


def bootstrap_auc(
    scores: list[float], labels: list[bool], *, repeats: int = 2000, seed: int = 0
) -> tuple[float | None, float | None]:
    """95 % percentile interval of the AUC, resampling each class separately."""
    positives = np.array([s for s, y in zip(scores, labels, strict=True) if y])
    negatives = np.array([s for s, y in zip(scores, labels, strict=True) if not y])
    if positives.size == 0 or negatives.size == 0:
        return None, None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(repeats):
        p = rng.choice(positives, positives.size)
        n = rng.choice(negatives, negatives.size)
        greater = (p[:, None] > n[None, :]).mean()
        ties = (p[:, None] == n[None, :]).mean()
        values.append(greater + 0.5 * ties)
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def fit_logistic(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray, *, l2: float = 1.0, iterations: int = 100
) -> tuple[np.ndarray, float]:
    """Weighted L2-penalized logistic regression by Newton's method (intercept unpenalized).

    ``x`` is already standardized. Deterministic; returns ``(coefficients, intercept)``.
    """
    n, d = x.shape
    design = np.hstack([np.ones((n, 1)), x])
    beta = np.zeros(d + 1)
    penalty = np.full(d + 1, l2)
    penalty[0] = 0.0
    for _ in range(iterations):
        logits = design @ beta
        prob = 1.0 / (1.0 + np.exp(-logits))
        gradient = design.T @ (weights * (prob - y)) + penalty * beta
        hessian = (design * (weights * prob * (1 - prob))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian + 1e-9 * np.eye(d + 1), gradient)
        beta -= step
        if float(np.max(np.abs(step))) < 1e-10:
            break
    return beta[1:], float(beta[0])


def median(values: list[float]) -> float | None:
    return float(np.median(values)) if values else None


def finite_or_none(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def environment(packages: tuple[str, ...] = ("faster-whisper", "ctranslate2", "numpy")) -> dict[str, Any]:
    """``versions`` (of ``packages``; ``None`` when not installed) and ``machine``, for a result."""
    versions: dict[str, str | None] = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "versions": versions,
        "machine": f"{platform.system()} {platform.machine()}, python {platform.python_version()}",
    }
