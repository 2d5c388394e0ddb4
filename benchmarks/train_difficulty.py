"""Fit the difficulty model on the TRAINING topics of OneStopEnglish and write its JSON.

    python benchmarks/train_difficulty.py                # writes src/langassist/data/difficulty-model.json
    python benchmarks/train_difficulty.py --check        # refit and compare with the shipped file
    python benchmarks/train_difficulty.py --make-split   # (re)write the committed topic split

The model is a pairwise ranking logistic regression: for every aligned sentence pair of
a training topic (the harder level's sentence and its simpler rewrite), the difference of
their feature vectors should score positive. Fitting is L2-regularized Newton iteration in
numpy, started from zero, so the same data always gives the same weights (they are
rounded to 6 decimals before writing). The L2 strength is chosen on the DEV topics; the
TEST topics are never read here. Their features and the data itself never enter the repo.

The split is by topic (no topic in two parts): topics are ordered by the SHA-256 of their
name and cut 55 / 15 / 30 % into train / dev / test. See
``benchmarks/splits/onestopenglish-split.json``.

This module also holds the corpus reader that ``benchmarks/difficulty.py`` imports.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from langassist.eval.datasets import LevelText, SentencePair

ROOT = Path(__file__).resolve().parent.parent
SPLIT_PATH = ROOT / "benchmarks" / "splits" / "onestopenglish-split.json"
MODEL_PATH = ROOT / "src" / "langassist" / "data" / "difficulty-model.json"
DATASET = "readability-onestopenglish"
LEVELS = ("elementary", "intermediate", "advanced")
_PAIR_FILES = {"ADV-ELE.tsv": None, "ADV-INT.tsv": None, "ELE-INT.tsv": None}
_COLUMN_LEVEL = {"ele_sentence": 0, "int_sentence": 1, "adv_sentence": 2}
_HEADER_LINES = {"elementary", "intermediate", "advanced"}
SPLIT_SHARES = (0.55, 0.15)  # train, dev; the rest is test
L2_GRID = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)


@dataclass(frozen=True)
class Corpus:
    texts: tuple[LevelText, ...]
    pairs: tuple[SentencePair, ...]

    @property
    def topics(self) -> list[str]:
        return sorted({text.topic for text in self.texts})

    def restricted(self, topics: Iterable[str]) -> Corpus:
        keep = set(topics)
        return Corpus(
            tuple(text for text in self.texts if text.topic in keep),
            tuple(pair for pair in self.pairs if pair.topic in keep),
        )


def dataset_dir(data_dir: str | Path | None) -> Path:
    """The OneStopEnglish folder under ``data_dir`` (default: ``Settings.data_dir``)."""
    if data_dir is None:
        from langassist.config import load_settings

        data_dir = load_settings().data_dir
    path = Path(data_dir)
    if (path / DATASET).is_dir():
        path = path / DATASET
    if not (path / "manifest.tsv").is_file():
        raise SystemExit(f"no {DATASET} data under {data_dir}: pass --data DIR")
    return path


def read_level_text(path: Path) -> str:
    """A corpus text without its BOM and its "Intermediate" header line."""
    raw = path.read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = raw.splitlines()
    while lines and lines[0].strip().lower() in _HEADER_LINES | {""}:
        lines.pop(0)
    return "\n".join(line.strip() for line in lines if line.strip())


def load_corpus(data_dir: str | Path | None) -> Corpus:
    """All texts and aligned sentence pairs of the shared OneStopEnglish data."""
    root = dataset_dir(data_dir)
    texts: list[LevelText] = []
    with (root / "manifest.tsv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            texts.append(
                LevelText(row["topic"], int(row["label"]), read_level_text(root / row["path"]))
            )
    pairs: list[SentencePair] = []
    for name in _PAIR_FILES:
        with (root / "sentence-aligned" / name).open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader)
            levels = [_COLUMN_LEVEL[column] for column in header[1:3]]
            for row in reader:
                if len(row) < 3:
                    continue
                first, second = (row[1], levels[0]), (row[2], levels[1])
                harder, easier = (first, second) if first[1] > second[1] else (second, first)
                pairs.append(
                    SentencePair(
                        row[0], name.removesuffix(".tsv"), harder[1], easier[1], harder[0], easier[0]
                    )
                )
    return Corpus(tuple(texts), tuple(pairs))


# -- split ----------------------------------------------------------------------------------


def make_split(topics: Sequence[str]) -> dict[str, Any]:
    """Deterministic topic split: order by SHA-256 of the name, cut 55 / 15 / 30 %."""
    ordered = sorted(topics, key=lambda topic: hashlib.sha256(topic.encode()).hexdigest())
    n_train = round(len(ordered) * SPLIT_SHARES[0])
    n_dev = round(len(ordered) * SPLIT_SHARES[1])
    return {
        "dataset": DATASET,
        "method": "topics ordered by sha256(topic name), cut 55/15/30 % into train/dev/test",
        "train": sorted(ordered[:n_train]),
        "dev": sorted(ordered[n_train : n_train + n_dev]),
        "test": sorted(ordered[n_train + n_dev :]),
    }


def load_split(path: Path = SPLIT_PATH) -> dict[str, list[str]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    split = {part: list(document[part]) for part in ("train", "dev", "test")}
    seen: set[str] = set()
    for part, topics in split.items():
        overlap = seen & set(topics)
        if overlap:
            raise SystemExit(f"split file {path}: {part} shares topics {sorted(overlap)[:3]}")
        seen |= set(topics)
    return split


# -- features -------------------------------------------------------------------------------


def feature_rows(scorer: Any, sentences: Sequence[str]) -> np.ndarray:
    """Model input vectors (before standardization) for ``sentences`` in English."""
    model = scorer.model
    rows = []
    for sentence in sentences:
        features = scorer.extractor.extract(sentence, language="en")
        rows.append(model.raw_vector(features.values))
    return np.asarray(rows, dtype=np.float64)


# -- fitting --------------------------------------------------------------------------------


def fit_pairwise(
    differences: np.ndarray, l2: float, sample_weights: np.ndarray | None = None,
    iterations: int = 50,
) -> np.ndarray:
    """Weights ``w`` minimizing the weighted mean of log(1 + exp(-d.w)) + l2/2 |w|^2.

    Newton's method from zero: deterministic, and a column of zeros keeps a zero weight.
    """
    n, dim = differences.shape
    sample = np.ones(n) if sample_weights is None else np.asarray(sample_weights, dtype=float)
    total = float(sample.sum())
    weights = np.zeros(dim)
    for _ in range(iterations):
        margins = differences @ weights
        probabilities = 1.0 / (1.0 + np.exp(margins))  # sigma(-m)
        gradient = -(differences.T @ (sample * probabilities)) / total + l2 * weights
        curvature = sample * probabilities * (1.0 - probabilities)
        hessian = (differences.T * curvature) @ differences / total + l2 * np.eye(dim)
        step = np.linalg.solve(hessian, gradient)
        weights = weights - step
        if float(np.max(np.abs(step))) < 1e-10:
            break
    return weights


def fit_signed(
    differences: np.ndarray,
    l2: float,
    expected: np.ndarray,
    sample_weights: np.ndarray | None = None,
) -> tuple[np.ndarray, list[int]]:
    """Fit, then repeatedly drop the feature whose weight has the wrong sign the most and refit.

    Returns the weights (zero for dropped features) and the dropped column indices.
    """
    active = np.ones(differences.shape[1], dtype=bool)
    dropped: list[int] = []
    while True:
        weights = fit_pairwise(differences * active, l2, sample_weights)
        wrong = np.where(active & (weights * expected < 0), np.abs(weights), 0.0)
        if not np.any(wrong > 0):
            return weights, dropped
        worst = int(np.argmax(wrong))
        active[worst] = False
        dropped.append(worst)


def pair_accuracy(differences: np.ndarray, weights: np.ndarray) -> float:
    """Share of pairs ordered correctly, a tie counting one half."""
    margins = differences @ weights
    return float(np.mean((margins > 0) + 0.5 * (margins == 0)))


TEXT_PAIR_WEIGHT = 3.0
"""Each (harder text, easier text) pair of a training topic counts as this many sentence pairs."""


def train(corpus: Corpus, split: dict[str, list[str]], template: dict[str, Any]) -> dict[str, Any]:
    """Fit weights on the train topics, pick L2 on dev, calibrate; return the model JSON."""
    from langassist.difficulty.model import EXPECTED_SIGN, DifficultyModel
    from langassist.difficulty.scorer import DifficultyScorer

    scorer = DifficultyScorer(model=DifficultyModel.from_dict(template))
    names = scorer.model.learned_names
    expected = np.array([EXPECTED_SIGN[name] for name in names], dtype=float)
    train_corpus = corpus.restricted(split["train"])
    dev_corpus = corpus.restricted(split["dev"])

    def pair_matrices(part: Corpus) -> tuple[np.ndarray, np.ndarray]:
        harder = feature_rows(scorer, [pair.harder for pair in part.pairs])
        easier = feature_rows(scorer, [pair.easier for pair in part.pairs])
        return harder, easier

    def text_pairs(part: Corpus) -> tuple[np.ndarray, np.ndarray]:
        by_topic: dict[str, dict[int, str]] = {}
        for text in part.texts:
            by_topic.setdefault(text.topic, {})[text.label] = text.text
        harder, easier = [], []
        for topic in sorted(by_topic):
            levels = by_topic[topic]
            for high, low in ((1, 0), (2, 1), (2, 0)):
                if high in levels and low in levels:
                    harder.append(levels[high])
                    easier.append(levels[low])
        return feature_rows(scorer, harder), feature_rows(scorer, easier)

    train_harder, train_easier = pair_matrices(train_corpus)
    dev_harder, dev_easier = pair_matrices(dev_corpus)
    text_harder, text_easier = text_pairs(train_corpus)
    dev_text_harder, dev_text_easier = text_pairs(dev_corpus)
    train_sentences = np.vstack([train_harder, train_easier])
    mean = np.nanmean(train_sentences, axis=0)
    scale = np.nanstd(train_sentences, axis=0)
    scale[~(scale > 1e-9)] = 1.0

    def standardized_difference(harder: np.ndarray, easier: np.ndarray) -> np.ndarray:
        high = np.nan_to_num((harder - mean) / scale, nan=0.0)
        low = np.nan_to_num((easier - mean) / scale, nan=0.0)
        return np.clip(high, -6, 6) - np.clip(low, -6, 6)

    train_diff = np.vstack(
        [standardized_difference(train_harder, train_easier),
         standardized_difference(text_harder, text_easier)]
    )
    sample = np.concatenate(
        [np.ones(len(train_harder)), np.full(len(text_harder), TEXT_PAIR_WEIGHT)]
    )
    dev_diff = standardized_difference(dev_harder, dev_easier)
    results = []
    for l2 in L2_GRID:
        weights, _ = fit_signed(train_diff, l2, expected, sample)
        results.append((pair_accuracy(dev_diff, weights), l2))
    dev_accuracy, best_l2 = max(results, key=lambda item: (item[0], -item[1]))
    # Refit on train + dev (sentence and text pairs) with the chosen strength.
    all_diff = np.vstack(
        [train_diff, dev_diff, standardized_difference(dev_text_harder, dev_text_easier)]
    )
    all_sample = np.concatenate(
        [sample, np.ones(len(dev_diff)), np.full(len(dev_text_harder), TEXT_PAIR_WEIGHT)]
    )
    weights, dropped = fit_signed(all_diff, best_l2, expected, all_sample)
    weights = np.round(weights, 6) + 0.0  # no negative zeros in the JSON

    # Calibration: latent 0 halfway between the mean elementary and the mean advanced
    # training sentence; one latent unit is one standard deviation of the raw score over
    # all training sentences. With the model's gain of 1.7 the logistic approximates the
    # normal CDF, so a score is roughly the share of training sentences easier than it.
    levels: dict[int, list[np.ndarray]] = {}
    for pair, h_row, e_row in zip(train_corpus.pairs, train_harder, train_easier, strict=True):
        levels.setdefault(pair.harder_label, []).append(h_row)
        levels.setdefault(pair.easier_label, []).append(e_row)

    def raw(rows: np.ndarray) -> np.ndarray:
        return np.clip(np.nan_to_num((rows - mean) / scale), -6, 6) @ weights

    raw_scores = {
        label: float(np.mean(raw(np.asarray(rows)))) for label, rows in sorted(levels.items())
    }
    center = (raw_scores[0] + raw_scores[2]) / 2.0
    unit = float(np.std(raw(train_sentences)))

    document = dict(template)
    document["learned"] = {
        "features": list(names),
        "mean": [round(float(value), 6) for value in mean],
        "scale": [round(float(value), 6) for value in scale],
        "weights": [float(value) for value in weights],
        "center": round(center, 6),
        "unit": round(unit, 6),
        "dropped_for_sign": [names[index] for index in dropped],
    }
    document["training"] = {
        "dataset": DATASET,
        "split": str(SPLIT_PATH.relative_to(ROOT)),
        "train_topics": len(split["train"]),
        "dev_topics": len(split["dev"]),
        "train_sentence_pairs": len(train_corpus.pairs),
        "train_text_pairs": len(text_harder),
        "dev_sentence_pairs": len(dev_corpus.pairs),
        "text_pair_weight": TEXT_PAIR_WEIGHT,
        "l2_grid": list(L2_GRID),
        "l2": best_l2,
        "dev_pair_accuracy_tie_half": round(dev_accuracy, 4),
        "level_mean_latent": {
            str(k): round((v - center) / unit, 4) for k, v in raw_scores.items()
        },
        "note": "L2 chosen on dev sentence pairs; weights then refit on train+dev; "
        "test topics never read",
    }
    return document


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="shared data dir (default Settings.data_dir)")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--check", action="store_true", help="refit and compare, write nothing")
    parser.add_argument("--make-split", action="store_true", help="write the topic split file")
    args = parser.parse_args(argv)

    corpus = load_corpus(args.data)
    if args.make_split:
        SPLIT_PATH.parent.mkdir(parents=True, exist_ok=True)
        SPLIT_PATH.write_text(json.dumps(make_split(corpus.topics), indent=1) + "\n")
        print(f"wrote {SPLIT_PATH}")
        return 0
    split = load_split()
    from langassist.difficulty.model import model_template

    document = train(corpus, split, model_template())
    text = json.dumps(document, indent=1) + "\n"
    if args.check:
        shipped = args.out.read_text(encoding="utf-8") if args.out.is_file() else ""
        same = shipped == text
        print("shipped model reproduced exactly" if same else "shipped model DIFFERS from refit")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    training = document["training"]
    print(
        f"wrote {args.out}: l2={training['l2']} dev pairs (tie=1/2) "
        f"{training['dev_pair_accuracy_tie_half']:.4f} on {training['dev_sentence_pairs']} pairs"
    )
    weights = dict(zip(document["learned"]["features"], document["learned"]["weights"], strict=True))
    for name, weight in sorted(weights.items(), key=lambda item: -abs(item[1])):
        print(f"  {name:24s} {weight:+.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
