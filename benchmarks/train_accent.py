"""Fit the accent model (``src/langassist/data/accent-model.json``) on the training speakers.

Run (from the repository root)::

    nice .venv/bin/python benchmarks/train_accent.py [--model-dir DIR]

Reproduces the shipped weights exactly from the same Whisper output: Whisper base
transcribes every clip of shared speech-en-accented and speech-en-native with the
language forced to English and the live decode budget lifted (cached under the git-ignored
``benchmarks/results/raw/``, see ``accent_common.py``); only the
speakers marked ``train`` in ``benchmarks/splits/accent-split.json`` are used here.
``benchmarks/accent.py`` evaluates on the ``test`` speakers.

The model: an L2-penalized logistic regression (Newton's method, numpy, deterministic)
on standardized features. Rows are clips (a clip is a stretch of one speaker's speech,
the unit the scorer sees); each speaker's clips share a weight of one, and the two
classes get equal total weight, so the output is the probability of "non-native" at
even prior odds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accent_common import (  # noqa: E402
    BENCH_OVERRIDES,
    Clip,
    auc,
    cache_path,
    finals_of,
    fit_logistic,
    load_clips,
    load_transcriber,
    transcribe_clips,
)
from langassist.accent.evidence import accumulate_evidence  # noqa: E402
from langassist.accent.model import AccentModel, speaker_features  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SPLIT = ROOT / "benchmarks" / "splits" / "accent-split.json"
OUTPUT = ROOT / "src" / "langassist" / "data" / "accent-model.json"
SPOKEN = "en"
DEFAULT_FEATURES = ("spoken_language_logit", "mean_word_probability", "avg_logprob")
L2 = 1.0


def load_split(path: Path = SPLIT) -> dict[str, str]:
    """Speaker -> ``"train"`` or ``"test"``; anything else is an error."""
    data = json.loads(path.read_text(encoding="utf-8"))
    split = {speaker: info["split"] for speaker, info in data["speakers"].items()}
    wrong = sorted(s for s, part in split.items() if part not in ("train", "test"))
    if wrong:
        raise SystemExit(f"{path}: speakers with a split other than train/test: {wrong}")
    return split


def clip_features(clip: Clip, entry: dict[str, Any]) -> dict[str, float | None]:
    return speaker_features(accumulate_evidence(finals_of(entry, clip.clip_id)), SPOKEN)


def speaker_feature_table(
    clips: list[Clip], cache: dict[str, Any]
) -> dict[str, dict[str, float | None]]:
    """Pooled features per speaker (all of the speaker's clips)."""
    by_speaker: dict[str, list[Any]] = {}
    for clip in clips:
        by_speaker.setdefault(clip.speaker, []).extend(finals_of(cache[clip.clip_id], clip.clip_id))
    return {s: speaker_features(accumulate_evidence(f), SPOKEN) for s, f in by_speaker.items()}


def fit(
    clips: list[Clip], cache: dict[str, Any], features: tuple[str, ...], *, l2: float = L2
) -> AccentModel:
    """Fit on ``clips``: the caller passes training clips only (``main`` checks it)."""
    rows = [clip_features(clip, cache[clip.clip_id]) for clip in clips]
    per_speaker: dict[str, int] = {}
    for clip in clips:
        per_speaker[clip.speaker] = per_speaker.get(clip.speaker, 0) + 1
    labels = np.array([1.0 if clip.accented else 0.0 for clip in clips])
    weights = np.array([1.0 / per_speaker[clip.speaker] for clip in clips])
    for value in (0.0, 1.0):
        mask = labels == value
        weights[mask] *= 0.5 * len(per_speaker) / weights[mask].sum()
    raw = np.array([[np.nan if row[f] is None else float(row[f]) for f in features] for row in rows])
    mean = np.array([np.average(col[~np.isnan(col)], weights=weights[~np.isnan(col)]) for col in raw.T])
    std = np.array([
        np.sqrt(np.average((col[~np.isnan(col)] - m) ** 2, weights=weights[~np.isnan(col)]))
        for col, m in zip(raw.T, mean, strict=True)
    ])
    std = np.where(std > 1e-9, std, 1.0)
    standardized = np.where(np.isnan(raw), 0.0, (raw - mean) / std)
    coefficients, intercept = fit_logistic(standardized, labels, weights, l2=l2)
    native = speaker_feature_table([c for c in clips if not c.accented], cache)
    reference = {}
    for name in features:
        values = [row[name] for row in native.values() if row[name] is not None]
        if values:
            reference[name] = float(np.median(values))
    speakers = sorted(per_speaker)
    return AccentModel(
        features=features,
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in std),
        coefficients=tuple(float(v) for v in coefficients),
        intercept=intercept,
        native_reference=reference,
        metadata={
            "fitted_by": "benchmarks/train_accent.py",
            "split": "benchmarks/splits/accent-split.json (train speakers only)",
            "data": ["speech-en-accented", "speech-en-native"],
            "asr": "whisper-base, language forced to en, settings defaults (beam 1, VAD) but no decode budget",
            "rows": "clips; each speaker weight 1, classes balanced",
            "l2": l2,
            "train_speakers": speakers,
            "train_clips": len(clips),
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", default=None, help="CTranslate2 Whisper directory (default: catalog)")
    parser.add_argument("--features", default=",".join(DEFAULT_FEATURES))
    parser.add_argument("--l2", type=float, default=L2)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()

    from langassist import service

    settings = service.load_settings(overrides=BENCH_OVERRIDES)
    clips = load_clips(settings.data_dir)
    split = load_split()
    missing = sorted({c.speaker for c in clips} - set(split))
    if missing:
        raise SystemExit(f"speakers missing from {SPLIT}: {missing}")
    transcriber = load_transcriber(args.model_dir, settings)
    cache = transcribe_clips(
        clips, transcriber, language=SPOKEN, cache_file=cache_path(transcriber.name, SPOKEN),
        guards=service.guard_options(settings), merge=service.merge_options(settings),
    )
    train = [clip for clip in clips if split[clip.speaker] == "train"]
    leaked = sorted({c.speaker for c in train if split[c.speaker] != "train"})
    if leaked:  # pragma: no cover - a guard against editing the filter above
        raise SystemExit(f"test speakers in the training rows: {leaked}")
    features = tuple(name.strip() for name in args.features.split(",") if name.strip())
    model = fit(train, cache, features, l2=args.l2)
    table = speaker_feature_table(train, cache)
    labels = {c.speaker: c.accented for c in train}
    scores = [model.score(table[s]).value for s in sorted(table)]
    train_auc = auc(scores, [labels[s] for s in sorted(table)])
    model = AccentModel.from_dict({**model.to_dict(), "metadata": {
        **model.metadata,
        "split_sha256": hashlib.sha256(SPLIT.read_bytes()).hexdigest(),
        "asr_overrides": dict(BENCH_OVERRIDES),
        "train_speaker_auc": round(train_auc or 0.0, 4)}})
    args.output.write_text(json.dumps(model.to_dict(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}: features {', '.join(features)}; training speaker AUC {train_auc:.3f}")
    for name, coefficient in zip(model.features, model.coefficients, strict=True):
        print(f"  {name:24s} {coefficient:+.3f}")


if __name__ == "__main__":
    main()
