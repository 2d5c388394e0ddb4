"""The evaluation tasks registered with :mod:`langassist.eval.harness`.

Each task takes ``(data_path, settings, *, params, limit, seed)`` and returns a
:class:`~langassist.eval.harness.TaskOutput`. ``data_path`` is a shared-data folder (or
the data root holding it) or a user manifest (TSV/CSV/JSONL, see
:func:`~langassist.eval.datasets.load_manifest`). Models load inside the task, never at
import time.

==============  =====================================================================
task            data; metrics (each with a bootstrap 95 % interval)
==============  =====================================================================
``text-lid``    langid-lingua or manifest(text, language[, category]); accuracy,
                macro accuracy over languages, accuracy per category / length bucket;
                confusion matrix. Backend: param ``backend`` or
                ``language_id.backends`` (one name: that backend; several: the ensemble).
``difficulty``  readability-onestopenglish or manifest(text, label=level[, group]);
                pairwise ordering accuracy (harder scores higher, tie = wrong),
                Spearman correlation of score with level, topics fully ordered.
``confusion``   clarification-requests or manifest(text, label=0/1[, previous]);
                precision, recall, F1 at the model threshold, average precision,
                PR-curve points. Param ``system``: ``classifier`` (features head),
                ``classifier-embed`` (with the configured embedder), ``keyword``.
``asr``         a speech set folder (manifest.tsv) or manifest(audio, reference,
                language); corpus WER and CER, per language and per clip.
``spoken-lid``  a speech set folder (e.g. speech-multilingual) or manifest(audio,
                language); top-1 accuracy of Whisper's spoken-language detection,
                per language, confusion matrix. Param ``window``: ``full`` (default) or
                seconds, e.g. ``2`` (the first 2 s of the clip).
``accent``      the data root (speech-en-accented vs speech-en-native; param ``split``:
                ``test`` speakers of the committed split by default, ``train``, ``all``)
                or manifest(audio, label=1 accented / 0 native[, group=speaker]); AUC
                per clip and per speaker. Param ``system``: ``langassist`` (the accent
                model over the transcriber's evidence) or ``p-en`` (1 - P(en)).
``latency``     a speech set folder or manifest(audio, reference); each clip streamed in
                real time (param ``chunk_s``, default 0.2) through the streaming ASR
                stage: end of speech to final and speech start to first partial
                (p50/p95), streaming compute over one offline pass, WER of the finals.
``translation`` translation-testsets (params ``pair`` = ``en-es``, ``testset`` =
                ``tatoeba`` | ``flores`` | ``newstest``) or manifest(text, reference,
                language[, target_language]); BLEU and chrF (sacrebleu). Backend by
                ``translation.routes`` or param ``backend`` (a route step).
==============  =====================================================================
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from langassist.errors import ConfigError
from langassist.eval import datasets as ds
from langassist.eval.harness import (
    Metric,
    TaskOutput,
    bootstrap_metric,
    bootstrap_statistic,
    register_task,
)

__all__ = [
    "auc",
    "binary_counts",
    "length_bucket",
    "pr_curve",
    "spearman",
]

_KNOWN_PARAMS = {
    "text-lid": {"backend", "split"},
    "difficulty": {"system", "split"},
    "confusion": {"system", "split", "subset"},
    "asr": set(),
    "spoken-lid": {"window"},
    "latency": {"chunk_s"},
    "accent": {"system", "split"},
    "translation": {"pair", "testset", "backend"},
}


def _check_params(task: str, params: dict[str, str]) -> None:
    unknown = set(params) - _KNOWN_PARAMS[task]
    if unknown:
        known = ", ".join(sorted(_KNOWN_PARAMS[task])) or "none"
        raise ConfigError(f"task {task}: unknown parameter(s) {', '.join(sorted(unknown))} (known: {known})")


def _spread(count: int, limit: int | None) -> list[int]:
    """``limit`` indices spread evenly over ``range(count)`` (all when no limit)."""
    if limit is None or limit >= count:
        return list(range(count))
    return sorted({int(i) for i in np.linspace(0, count - 1, max(1, limit)).round()})


# -- text language ID ---------------------------------------------------------------------------

_LENGTH_BUCKETS = ((10, "<=10 chars"), (30, "11-30 chars"), (100, "31-100 chars"))


def length_bucket(text: str) -> str:
    """Length category by characters (language-neutral; CJK has no spaces)."""
    size = len(text.strip())
    for top, name in _LENGTH_BUCKETS:
        if size <= top:
            return name
    return ">100 chars"


def _language_identifier(settings: Any, backend: str | None) -> tuple[Any, str]:
    import dataclasses

    from langassist.backends import registry
    from langassist.langid.factory import DEFAULT_LANGUAGES

    language_id = settings.language_id
    languages = tuple(language_id.candidate_languages) or DEFAULT_LANGUAGES
    resolved = dataclasses.replace(
        settings, language_id=dataclasses.replace(language_id, candidate_languages=languages)
    )
    names = tuple(language_id.backends)
    if backend is None:
        backend = names[0] if len(names) == 1 else "ensemble"
    if backend != "ensemble" and backend not in registry.names("language_identifier"):
        raise ConfigError(f"unknown language ID backend {backend!r}; choose from "
                          f"{', '.join(registry.names('language_identifier'))}")
    described = f"ensemble({'+'.join(names)})" if backend == "ensemble" else backend
    return registry.create("language_identifier", backend, resolved), described


@register_task("text-lid", "Text language ID: accuracy, by length/category, confusion matrix")
def text_lid(data: Path, settings: Any, *, params: dict[str, str], limit: int | None, seed: int) -> TaskOutput:
    _check_params("text-lid", params)
    if ds.is_manifest(data):
        rows = ds.load_manifest(data, require=("text", "language"))
        picked = [rows[i] for i in _spread(len(rows), limit)]
        items = [ds.TextItem(r.id, r.text, r.language or "", r.extra.get("category") or length_bucket(r.text))
                 for r in picked]
        files = [data]
    else:
        items, files = ds.load_langid_lingua(data, params.get("split", "test"), limit)
    started = time.perf_counter()
    identifier, described = _language_identifier(settings, params.get("backend"))
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    # A backend with a batch API (the ensemble, lingua) scores every item in one call:
    # the same results, several times the throughput (benchmarks/README.md section 2).
    identify_many = getattr(identifier, "identify_many", None)
    if identify_many is not None:
        guesses = [distribution.top for distribution in identify_many([item.text for item in items])]
    else:
        guesses = [identifier.identify(item.text).top for item in items]
    elapsed = time.perf_counter() - started
    correct = np.asarray([g == item.label for g, item in zip(guesses, items, strict=True)], dtype=np.float64)
    labels = sorted({item.label for item in items})
    label_index = np.asarray([labels.index(item.label) for item in items])

    def macro(indices: np.ndarray) -> float | None:
        totals = np.bincount(label_index[indices], minlength=len(labels))
        hits = np.bincount(label_index[indices], weights=correct[indices], minlength=len(labels))
        present = totals > 0
        return float(np.mean(hits[present] / totals[present])) if present.any() else None

    metrics: dict[str, Metric] = {
        "accuracy": bootstrap_metric(correct.tolist(), seed=seed),
        "macro_accuracy": bootstrap_statistic(len(items), macro, seed=seed),
    }
    groups = list(dict.fromkeys(item.group for item in items))
    for group in groups:
        values = [c for c, item in zip(correct, items, strict=True) if item.group == group]
        metrics[f"accuracy[{group}]"] = bootstrap_metric(values, seed=seed)
    matrix: dict[str, Counter[str]] = defaultdict(Counter)
    for guess, item in zip(guesses, items, strict=True):
        matrix[item.label][guess or "none"] += 1
    by_language = {
        label: round(float(np.mean(correct[label_index == i])), 6) for i, label in enumerate(labels)
    }
    records = [
        {"id": item.id, "text": item.text, "label": item.label, "guess": guess, "correct": bool(c),
         "group": item.group, "length": length_bucket(item.text)}
        for item, guess, c in zip(items, guesses, correct, strict=True)
    ]
    return TaskOutput(
        metrics=metrics, items=records, files=files,
        details={"confusion_matrix": {k: dict(v) for k, v in sorted(matrix.items())},
                 "accuracy_by_language": by_language, "groups": groups},
        models={"language_identifier": described},
        timing={"load_s": round(load_s, 3), "items_per_s": round(len(items) / elapsed, 1) if elapsed else 0.0,
                "batch": identify_many is not None},
    )


# -- difficulty ---------------------------------------------------------------------------------


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rank correlation (average ranks for ties); ``None`` when undefined."""
    from scipy.stats import rankdata

    if len(x) < 2:
        return None
    rx, ry = rankdata(x), rankdata(y)
    if np.std(rx) == 0 or np.std(ry) == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _difficulty_function(settings: Any, system: str) -> Any:
    if system == "langassist":
        from langassist.difficulty import DifficultyScorer

        scorer = DifficultyScorer(settings.assessment)

        def score(text: str) -> float:
            value = scorer.score(text, language="en").value
            return float("nan") if value is None else float(value)

        return score
    if system == "words-per-sentence":
        def words(text: str) -> float:
            sentences = [s for s in _SENTENCE_END.split(text.strip()) if s.strip()]
            return len(text.split()) / max(1, len(sentences))

        return words
    raise ConfigError(f"difficulty system {system!r}: choose langassist or words-per-sentence")


@register_task("difficulty", "Comprehension difficulty: pairwise ordering accuracy, Spearman with level")
def difficulty(data: Path, settings: Any, *, params: dict[str, str], limit: int | None, seed: int) -> TaskOutput:
    _check_params("difficulty", params)
    system = params.get("system", "langassist")
    score = _difficulty_function(settings, system)
    texts: list[tuple[str, str, float]] = []  # (id, text, level)
    pairs: list[tuple[str, str, str]] = []  # (kind, harder, easier)
    groups: list[str] = []
    if ds.is_manifest(data):
        rows = ds.load_manifest(data, require=("text", "label"))
        picked = [rows[i] for i in _spread(len(rows), limit)]
        try:
            texts = [(r.id, r.text, float(r.label)) for r in picked]
        except ValueError as exc:
            raise ConfigError(f"{data}: difficulty labels must be numbers (levels)") from exc
        groups = [r.extra.get("group", "") for r in picked]
        candidates = [(i, j) for i in range(len(texts)) for j in range(len(texts))
                      if texts[i][2] > texts[j][2] and groups[i] == groups[j]]
        if len(candidates) > 20000:
            rng = np.random.default_rng(seed)
            candidates = [candidates[k] for k in sorted(rng.choice(len(candidates), 20000, replace=False))]
        pair_index = candidates
        files = [data]
    else:
        level_texts, sentence_pairs, files = ds.load_onestop(data, params.get("split", "test"))
        topics = sorted({t.topic for t in level_texts})
        keep = {topics[i] for i in _spread(len(topics), None if limit is None else max(1, limit // 3))}
        level_texts = [t for t in level_texts if t.topic in keep]
        texts = [(f"{t.topic}/{t.label}", t.text, float(t.label)) for t in level_texts]
        groups = [t.topic for t in level_texts]
        sentence_pairs = [sentence_pairs[i] for i in _spread(len(sentence_pairs), limit)]
        pairs = [(p.kind, p.harder, p.easier) for p in sentence_pairs]
        pair_index = []
    started = time.perf_counter()
    text_scores = np.asarray([score(text) for _, text, _ in texts], dtype=np.float64)
    levels = np.asarray([level for _, _, level in texts], dtype=np.float64)
    records: list[dict[str, Any]] = [
        {"kind": "text", "id": tid, "level": level, "score": _finite(s), "group": g, "text": text[:200]}
        for (tid, text, level), s, g in zip(texts, text_scores, groups, strict=True)
    ]
    outcomes: list[float] = []
    kinds: list[str] = []
    if pair_index:
        for i, j in pair_index:
            outcomes.append(_pair_outcome(text_scores[i], text_scores[j]))
            kinds.append(groups[i] or "all")
            records.append({"kind": "pair", "harder": texts[i][0], "easier": texts[j][0],
                            "outcome": outcomes[-1]})
    else:
        cache: dict[str, float] = {}
        for kind, harder, easier in pairs:
            for sentence in (harder, easier):
                if sentence not in cache:
                    cache[sentence] = score(sentence)
            outcomes.append(_pair_outcome(cache[harder], cache[easier]))
            kinds.append(kind)
            records.append({"kind": "pair", "pair_kind": kind, "harder": harder, "easier": easier,
                            "harder_score": _finite(cache[harder]), "easier_score": _finite(cache[easier]),
                            "outcome": outcomes[-1]})
    elapsed = time.perf_counter() - started
    strict = [1.0 if o == 1.0 else 0.0 for o in outcomes]
    metrics: dict[str, Metric] = {
        "pair_accuracy": bootstrap_metric(strict, seed=seed),
        "pair_accuracy_tie_half": bootstrap_metric(outcomes, seed=seed),
        "spearman": bootstrap_statistic(
            len(texts), lambda idx: spearman(text_scores[idx], levels[idx]), seed=seed),
    }
    for kind in sorted(set(kinds)) if len(set(kinds)) > 1 else []:
        metrics[f"pair_accuracy[{kind}]"] = bootstrap_metric(
            [s for s, k in zip(strict, kinds, strict=True) if k == kind], seed=seed)
    details: dict[str, Any] = {"texts": len(texts), "pairs": len(outcomes)}
    if not ds.is_manifest(data):
        by_topic: dict[str, dict[float, float]] = defaultdict(dict)
        for g, level, s in zip(groups, levels, text_scores, strict=True):
            by_topic[g][level] = s
        ordered = [float(len(v) == 3 and v[0.0] < v[1.0] < v[2.0]) for _, v in sorted(by_topic.items())]
        metrics["topics_ordered"] = bootstrap_metric(ordered, seed=seed)
        details["failed_topics"] = [t for (t, _), o in zip(sorted(by_topic.items()), ordered, strict=True) if not o]
    return TaskOutput(metrics=metrics, items=records, files=files, details=details,
                      models={"difficulty": system},
                      timing={"score_s": round(elapsed, 3)})


def _finite(value: float) -> float | None:
    return None if not np.isfinite(value) else round(float(value), 6)


def _pair_outcome(harder: float, easier: float) -> float:
    """1 when the harder text scores higher, 0.5 on a tie, else 0 (NaN counts as wrong)."""
    if not (np.isfinite(harder) and np.isfinite(easier)):
        return 0.0
    return 1.0 if harder > easier else 0.5 if harder == easier else 0.0


# -- clarification requests ---------------------------------------------------------------------

_KEYWORDS = ("sorry", "pardon", "repeat", "what did you say", "didn't catch", "say that again", "come again")
_KEYWORD_RE = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in _KEYWORDS) + r")\b")


def binary_counts(y: np.ndarray, predicted: np.ndarray) -> tuple[int, int, int, int]:
    """(tp, fp, fn, tn) of boolean predictions against 0/1 labels."""
    y = y.astype(bool)
    predicted = predicted.astype(bool)
    tp = int(np.sum(predicted & y))
    fp = int(np.sum(predicted & ~y))
    fn = int(np.sum(~predicted & y))
    return tp, fp, fn, int(y.size - tp - fp - fn)


def _prf(y: np.ndarray, predicted: np.ndarray) -> tuple[float | None, float | None, float | None]:
    tp, fp, fn, _ = binary_counts(y, predicted)
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    if precision is None or recall is None:
        return precision, recall, None
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def pr_curve(y: np.ndarray, scores: np.ndarray, keep: int = 50) -> list[dict[str, float]]:
    """Precision/recall at each distinct score as threshold (highest first), thinned."""
    points = []
    for threshold in sorted(set(np.round(scores, 6).tolist()), reverse=True):
        precision, recall, _ = _prf(y, scores >= threshold)
        points.append({"threshold": threshold, "precision": precision or 0.0, "recall": recall or 0.0})
    if len(points) > keep:
        points = [points[i] for i in np.unique(np.linspace(0, len(points) - 1, keep).round().astype(int))]
    return points


def _average_precision(y: np.ndarray, scores: np.ndarray) -> float | None:
    """Step-wise average precision over distinct thresholds (tied scores move together)."""
    positives = int(y.sum())
    if positives == 0:
        return None
    order = np.argsort(-scores, kind="mergesort")
    ordered, hits = scores[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(ordered)), ordered.size - 1]
    tps = np.cumsum(hits)[last]
    precision = tps / (last + 1)
    recall = tps / positives
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


@register_task("confusion", "Clarification requests: precision, recall, F1, PR curve")
def confusion(data: Path, settings: Any, *, params: dict[str, str], limit: int | None, seed: int) -> TaskOutput:
    _check_params("confusion", params)
    system = params.get("system", "classifier")
    if ds.is_manifest(data):
        rows = ds.load_manifest(data, require=("text", "label"))
        positive = {"1", "true", "yes", "clarification_request"}
        items = [ds.TextItem(r.id, r.text, "1" if r.label.lower() in positive else "0",
                             r.extra.get("group", ""), r.extra.get("previous") or None) for r in rows]
        files = [data]
    else:
        items, files = ds.load_clarification(data, params.get("split", "test"), params.get("subset", "all"))
    items = [items[i] for i in _spread(len(items), limit)]
    started = time.perf_counter()
    model_name: str = system
    if system in ("classifier", "classifier-embed"):
        from langassist.confusion.classifier import load_classifier

        embedder = None
        if system == "classifier-embed":
            from langassist import service

            embedder = service.create_embedder(settings)
        classifier = load_classifier(embedder)
        threshold = float(classifier.threshold)
        model_name = f"{system} (head {classifier.head})"
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        raw = classifier.score_many([(item.text, item.previous) for item in items], explain=False)
        scores = np.asarray([0.0 if s.value is None else s.value for s in raw], dtype=np.float64)
    elif system == "keyword":
        threshold = 0.5
        load_s = 0.0
        scores = np.asarray(
            [float(_KEYWORD_RE.search(i.text.lower().replace("\u2019", "'")) is not None) for i in items])
    else:
        raise ConfigError(f"confusion system {system!r}: choose classifier, classifier-embed or keyword")
    elapsed = time.perf_counter() - started
    y = np.asarray([int(item.label) for item in items], dtype=np.int64)
    predicted = scores >= threshold

    def stat(position: int) -> Any:
        return lambda idx: _prf(y[idx], predicted[idx])[position]

    metrics = {
        "precision": bootstrap_statistic(len(items), stat(0), seed=seed),
        "recall": bootstrap_statistic(len(items), stat(1), seed=seed),
        "f1": bootstrap_statistic(len(items), stat(2), seed=seed),
        "average_precision": bootstrap_statistic(
            len(items), lambda idx: _average_precision(y[idx], scores[idx]), seed=seed),
    }
    tp, fp, fn, tn = binary_counts(y, predicted)
    by_group = {}
    for group in sorted({item.group for item in items}):
        mask = np.asarray([item.group == group for item in items])
        p, r, f = _prf(y[mask], predicted[mask])
        by_group[group or "all"] = {"n": int(mask.sum()), "positives": int(y[mask].sum()),
                                    "precision": p, "recall": r, "f1": f}
    records = [
        {"id": item.id, "text": item.text, "previous": item.previous, "label": int(label),
         "score": round(float(s), 6), "predicted": bool(p), "correct": bool(p) == bool(label), "group": item.group}
        for item, label, s, p in zip(items, y, scores, predicted, strict=True)
    ]
    return TaskOutput(
        metrics=metrics, items=records, files=files,
        details={"threshold": threshold, "counts": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
                 "by_group": by_group, "pr_curve": pr_curve(y, scores) if system != "keyword" else []},
        models={"clarification": model_name},
        timing={"load_s": round(load_s, 3), "score_s": round(elapsed, 3)},
    )


# -- ASR ----------------------------------------------------------------------------------------


@register_task("asr", "Speech recognition: WER/CER per language and per clip")
def asr(data: Path, settings: Any, *, params: dict[str, str], limit: int | None, seed: int) -> TaskOutput:
    from langassist import service
    from langassist.eval.wer import score_clip, score_corpus

    _check_params("asr", params)
    clips: list[tuple[str, Path, str, str | None]] = []
    if ds.is_manifest(data) or ds.is_audio_folder(data):
        rows = (ds.load_manifest(data, require=("audio", "reference")) if ds.is_manifest(data)
                else ds.load_audio_folder(data))
        clips = [(r.id, r.audio_path, r.reference, r.language) for r in rows if r.audio_path is not None]
        files = [data]
    else:
        speech = ds.load_speech_set(data.name, data.parent)
        clips = [(s.id, s.audio_path, s.reference, s.language) for s in speech]
        files = [data / "manifest.tsv"]
    clips = [clips[i] for i in _spread(len(clips), limit)]
    files += [path for _, path, _, _ in clips]
    started = time.perf_counter()
    transcriber = service.create_transcriber(settings)
    load_s = time.perf_counter() - started
    scored = []
    audio_s = compute_s = 0.0
    for clip_id, path, reference, language in clips:
        started = time.perf_counter()
        transcript = service.transcribe_file(path, settings, transcriber=transcriber)
        compute_s += time.perf_counter() - started
        audio_s += transcript.duration_s
        hypothesis = " ".join(u.text.strip() for u in transcript.utterances()).strip()
        scored.append(score_clip(reference, hypothesis, language=language, id=clip_id))
    corpus = score_corpus(scored)

    def rate(pick: str, subset: Sequence[Any]) -> Metric:
        counts = [getattr(clip, pick) for clip in subset]
        if sum(c.reference_length for c in counts) == 0:
            return Metric(None)
        return bootstrap_metric([c.errors for c in counts], denominators=[c.reference_length for c in counts],
                                seed=seed)

    metrics = {"wer": rate("words", scored), "cer": rate("characters", scored)}
    languages = sorted({clip.language or "" for clip in scored})
    if len(languages) > 1:
        for language in languages:
            subset = [clip for clip in scored if (clip.language or "") == language]
            metrics[f"wer[{language}]"] = rate("words", subset)
            metrics[f"cer[{language}]"] = rate("characters", subset)
    return TaskOutput(
        metrics=metrics, items=[clip.as_dict() for clip in scored], files=files,
        details={"clips": len(scored), "words": corpus.words.as_dict(), "characters": corpus.characters.as_dict()},
        models={"asr": getattr(transcriber, "name", settings.asr.model), "backend": settings.asr.backend},
        timing={"load_s": round(load_s, 3), "audio_s": round(audio_s, 3),
                "real_time_factor": round(compute_s / audio_s, 4) if audio_s else 0.0},
    )


# -- spoken language ID and accent --------------------------------------------------------------


def _speech_clips(data: Path, *, require: tuple[str, ...]) -> tuple[list[dict[str, Any]], list[Path]]:
    """Clips of a speech set folder or an audio manifest: id, path, language, label, group."""
    if ds.is_manifest(data) or ds.is_audio_folder(data):
        rows = ds.load_manifest(data, require=require) if ds.is_manifest(data) else ds.load_audio_folder(data)
        return [{"id": r.id, "path": r.audio_path, "language": r.language, "label": r.label,
                 "group": r.extra.get("group") or r.extra.get("speaker") or r.id}
                for r in rows if r.audio_path is not None], [data]
    items = ds.load_speech_set(data.name, data.parent)
    return [{"id": i.id, "path": i.audio_path, "language": i.language, "label": None,
             "group": i.labels.get("speaker") or i.id} for i in items], [data / "manifest.tsv"]


def _mono(path: Path, settings: Any) -> np.ndarray:
    from langassist.audio import decode

    audio = decode(path, settings=settings.audio)
    tracks = list(audio.tracks.values())
    return np.asarray(tracks[0] if len(tracks) == 1 else np.mean(np.stack(tracks), axis=0), dtype=np.float32)


@register_task("spoken-lid", "Spoken language ID: top-1 accuracy of Whisper's detection")
def spoken_lid(data: Path, settings: Any, *, params: dict[str, str], limit: int | None, seed: int) -> TaskOutput:
    from langassist import service

    _check_params("spoken-lid", params)
    window = params.get("window", "full")
    try:
        window_s = None if window == "full" else float(window)
    except ValueError as exc:
        raise ConfigError(f"spoken-lid: window must be 'full' or seconds, got {window!r}") from exc
    clips, files = _speech_clips(data, require=("audio", "language"))
    clips = [clips[i] for i in _spread(len(clips), limit)]
    files += [clip["path"] for clip in clips]
    transcriber = service.create_transcriber(settings)
    if not transcriber.multilingual:
        raise ConfigError(f"spoken-lid needs a multilingual model; {transcriber.name} is English-only")
    items: list[dict[str, Any]] = []
    started = time.perf_counter()
    for clip in clips:
        samples = _mono(clip["path"], settings)
        if window_s is not None:
            samples = samples[: int(window_s * 16000)]
        distribution = transcriber.detect_language(samples)
        items.append({"id": clip["id"], "language": clip["language"], "predicted": distribution.top,
                      "probability": round(distribution.top_probability, 4),
                      "correct": distribution.top == clip["language"]})
    compute_s = time.perf_counter() - started
    correct = [1.0 if item["correct"] else 0.0 for item in items]
    metrics = {"accuracy": bootstrap_metric(correct, seed=seed)}
    by_language: dict[str, list[float]] = defaultdict(list)
    for item, value in zip(items, correct, strict=True):
        by_language[str(item["language"])].append(value)
    for language, values in sorted(by_language.items()):
        metrics[f"accuracy[{language}]"] = bootstrap_metric(values, seed=seed)
    confusion_matrix: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for item in items:
        confusion_matrix[str(item["language"])][str(item["predicted"])] += 1
    return TaskOutput(
        metrics=metrics, items=items, files=files,
        details={"window": window, "confusion_matrix": {k: dict(v) for k, v in confusion_matrix.items()}},
        models={"asr": transcriber.name},
        timing={"ms_per_clip": round(1000 * compute_s / max(1, len(items)), 2)},
    )


def _quantile_metric(values: Sequence[float], q: float, seed: int) -> Metric:
    array = np.asarray(values, dtype=np.float64)

    def statistic(indices: np.ndarray) -> float | None:
        return float(np.percentile(array[indices], q)) if indices.size else None

    return bootstrap_statistic(len(array), statistic, seed=seed)


@register_task("latency", "Streaming latency: end of speech to final, first partial, compute, WER")
def latency(data: Path, settings: Any, *, params: dict[str, str], limit: int | None, seed: int) -> TaskOutput:
    from langassist import service
    from langassist.core.audio_replay import replay_audio_paced
    from langassist.eval.wer import score_clip

    _check_params("latency", params)
    chunk_s = float(params.get("chunk_s", "0.2"))
    clips, files = _speech_clips(data, require=("audio", "reference"))
    references = {}
    if ds.is_audio_folder(data):
        references = {r.id: r.reference for r in ds.load_audio_folder(data)}
    elif ds.is_manifest(data):
        references = {r.id: r.reference for r in ds.load_manifest(data, require=("audio", "reference"))}
    else:
        references = {i.id: i.reference for i in ds.load_speech_set(data.name, data.parent)}
    clips = [clips[i] for i in _spread(len(clips), limit if limit is not None else 4)]
    files += [clip["path"] for clip in clips]
    offline = service.create_transcriber(settings)
    language = settings.asr.language or (None if offline.multilingual else "en")
    finals: list[float] = []
    partials: list[float] = []
    items: list[dict[str, Any]] = []
    stream_s = offline_s = 0.0
    for clip in clips:
        samples = np.concatenate([np.zeros(16000, np.float32), _mono(clip["path"], settings),
                                  np.zeros(16000, np.float32)])
        started = time.perf_counter()
        offline_text = offline.transcribe(samples, language=language).text
        offline_s += time.perf_counter() - started
        stage = service.create_streaming_stage(settings, offline)
        replay = replay_audio_paced(stage, {"mixed": samples}, call_id=clip["id"], chunk_s=chunk_s)
        stream_s += stage.stats.decode_s
        finals += replay.final_latencies()
        partials += replay.first_partial_latencies()
        text = " ".join(f.text for f in replay.finals)
        reference = references.get(clip["id"], "")
        streamed = score_clip(reference, text, language=clip["language"], id=clip["id"])
        baseline = score_clip(reference, offline_text, language=clip["language"], id=clip["id"])
        items.append({"id": clip["id"], "final_latency_s": [round(x, 3) for x in replay.final_latencies()],
                      "first_partial_s": [round(x, 3) for x in replay.first_partial_latencies()],
                      "stream_wer": streamed.wer, "offline_wer": baseline.wer, "stream_text": text,
                      "stream_errors": streamed.words.errors, "offline_errors": baseline.words.errors,
                      "words": streamed.words.reference_length})
    words = [float(item["words"]) for item in items]
    metrics = {
        "final_p50_s": _quantile_metric(finals, 50, seed),
        "final_p95_s": _quantile_metric(finals, 95, seed),
        "first_partial_p50_s": _quantile_metric(partials, 50, seed),
        "stream_wer": bootstrap_metric([float(i["stream_errors"]) for i in items], denominators=words, seed=seed),
        "offline_wer": bootstrap_metric([float(i["offline_errors"]) for i in items], denominators=words, seed=seed),
    }
    return TaskOutput(
        metrics=metrics, items=items, files=files,
        details={"chunk_s": chunk_s, "compute_ratio": round(stream_s / offline_s, 3) if offline_s else None},
        models={"asr": offline.name},
        timing={"stream_decode_s": round(stream_s, 3), "offline_s": round(offline_s, 3)},
    )


def auc(labels: Sequence[int], scores: Sequence[float]) -> float | None:
    """Mann-Whitney AUC, ties counted as one half; ``None`` without both classes."""
    positives = [s for s, y in zip(scores, labels, strict=True) if y == 1]
    negatives = [s for s, y in zip(scores, labels, strict=True) if y == 0]
    if not positives or not negatives:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return float(wins / (len(positives) * len(negatives)))


def _accent_clips(data: Path) -> tuple[list[dict[str, Any]], list[Path]]:
    clips: list[dict[str, Any]] = []
    files: list[Path] = []
    if ds.is_manifest(data):
        clips, files = _speech_clips(data, require=("audio", "label"))
        for clip in clips:
            clip["label"] = int(float(clip["label"]))
        return clips, files
    for name, label in (("speech-en-accented", 1), ("speech-en-native", 0)):
        for item in ds.load_speech_set(name, data):
            speaker, group = ds.accent_speaker(item.id, item.labels.get("speaker_l1", ""), bool(label))
            clips.append({"id": item.id, "path": item.audio_path, "language": item.language,
                          "label": label, "group": speaker, "speaker_group": group})
        files.append(data / name / "manifest.tsv")
    return clips, files


def _accent_split(clips: list[dict[str, Any]], split: str) -> tuple[list[dict[str, Any]], Path | None]:
    """Keep the speakers of one part of the committed accent split (``all``: every clip)."""
    import json

    from langassist.config import project_root

    if split == "all":
        return clips, None
    root = project_root()
    path = root / "benchmarks" / "splits" / "accent-split.json" if root is not None else None
    if path is None or not path.is_file():
        raise ConfigError("accent: the split file benchmarks/splits/accent-split.json is not here "
                          "(run from a source checkout, or pass split=all)")
    speakers = json.loads(path.read_text(encoding="utf-8"))["speakers"]
    if split not in {"train", "test"}:
        raise ConfigError(f"accent: split must be train, test or all, got {split!r}")
    return [clip for clip in clips if speakers.get(clip["group"], {}).get("split") == split], path


@register_task("accent", "Accent strength: AUC of accented vs native speakers")
def accent(data: Path, settings: Any, *, params: dict[str, str], limit: int | None, seed: int) -> TaskOutput:
    from langassist import service
    from langassist.stages.accent import create_accent_stage

    _check_params("accent", params)
    system = params.get("system", "langassist")
    if system not in {"langassist", "p-en"}:
        raise ConfigError(f"accent: system must be langassist or p-en, got {system!r}")
    clips, files = _accent_clips(data)
    split_file: Path | None = None
    if not ds.is_manifest(data):
        clips, split_file = _accent_split(clips, params.get("split", "test"))
        files += [split_file] if split_file is not None else []
    clips = [clips[i] for i in _spread(len(clips), limit)]
    files += [clip["path"] for clip in clips]
    settings = apply_language(settings, "en")
    transcriber = service.create_transcriber(settings)
    items: list[dict[str, Any]] = []
    for clip in clips:
        transcript = service.transcribe_file(clip["path"], settings, transcriber=transcriber, call_id=clip["id"])
        finals = transcript.utterances()
        score: float | None = None
        if system == "p-en":
            distribution = transcript.tracks[0].language if transcript.tracks else None
            score = None if distribution is None else 1.0 - distribution.probability("en")
        else:
            stage = create_accent_stage(settings)
            for final in finals:
                for event in stage.feed(final):
                    if getattr(event, "score", None) is not None and event.score.value is not None:
                        score = float(event.score.value)
            for event in stage.flush():
                if getattr(event, "score", None) is not None and event.score.value is not None:
                    score = float(event.score.value)
        items.append({"id": clip["id"], "group": clip["group"], "label": clip["label"], "score": score})
    scored = [item for item in items if item["score"] is not None]
    labels = [int(item["label"]) for item in scored]
    values = [float(item["score"]) for item in scored]

    def clip_auc(indices: np.ndarray) -> float | None:
        return auc([labels[i] for i in indices], [values[i] for i in indices])

    groups: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(scored):
        groups[str(item["group"])].append(index)
    group_names = sorted(groups)
    group_labels = [labels[groups[g][0]] for g in group_names]
    group_scores = [float(np.mean([values[i] for i in groups[g]])) for g in group_names]

    def speaker_auc(indices: np.ndarray) -> float | None:
        return auc([group_labels[i] for i in indices], [group_scores[i] for i in indices])

    metrics = {
        "auc_clips": bootstrap_statistic(len(scored), clip_auc, seed=seed),
        "auc_speakers": bootstrap_statistic(len(group_names), speaker_auc, seed=seed),
    }
    return TaskOutput(
        metrics=metrics, items=items, files=files,
        details={"system": system, "unscored": len(items) - len(scored), "speakers": len(group_names),
                 "split": params.get("split", "test") if split_file is not None or not ds.is_manifest(data) else None},
        models={"asr": transcriber.name, "accent": "accent-model.json" if system == "langassist" else None},
    )


def apply_language(settings: Any, language: str) -> Any:
    import dataclasses

    return dataclasses.replace(settings, asr=dataclasses.replace(settings.asr, language=language))


# -- translation --------------------------------------------------------------------------------


def _sacrebleu_metric(kind: str, hypotheses: list[str], references: list[str], seed: int) -> Metric:
    from sacrebleu.metrics.bleu import BLEU
    from sacrebleu.metrics.chrf import CHRF

    metric = BLEU() if kind == "bleu" else CHRF()
    stats = np.asarray(metric._extract_corpus_statistics(hypotheses, [references]), dtype=np.float64)

    def score(idx: np.ndarray) -> float:
        return float(metric._compute_score_from_stats(stats[idx].sum(axis=0).tolist()).score)

    return bootstrap_statistic(len(hypotheses), score, seed=seed, resamples=300)


@register_task("translation", "Machine translation: BLEU and chrF (sacrebleu)")
def translation(data: Path, settings: Any, *, params: dict[str, str], limit: int | None, seed: int) -> TaskOutput:
    from langassist import service

    _check_params("translation", params)
    pair = params.get("pair", "en-es")
    source, _, target = pair.partition("-")
    if ds.is_manifest(data):
        rows = ds.load_manifest(data, require=("text", "reference"))
        source = rows[0].language or source if rows else source
        target = rows[0].extra.get("target_language", target) if rows else target
        sentences = [(r.text, r.reference) for r in rows]
        files = [data]
    else:
        sentences, files = ds.load_translation_set(data, pair, params.get("testset", "tatoeba"))
    sentences = [sentences[i] for i in _spread(len(sentences), limit)]
    router = service.create_translation_router(settings)
    started = time.perf_counter()
    hypotheses: list[str] = []
    served: set[str] = set()
    for start in range(0, len(sentences), 32):
        batch = [text for text, _ in sentences[start : start + 32]]
        outcome = router.translate(batch, source=source, target=target, backend=params.get("backend"))
        if not outcome.ok:
            raise ConfigError(f"translation {source}->{target} failed: {outcome.message}")
        served.add(outcome.backend or "")
        hypotheses.extend(outcome.texts)
    elapsed = time.perf_counter() - started
    references = [ref for _, ref in sentences]
    from sacrebleu.metrics.chrf import CHRF

    chrf = CHRF()
    records = [
        {"id": i, "source": text, "reference": ref, "hypothesis": hyp,
         "chrf": round(chrf.sentence_score(hyp, [ref]).score, 3)}
        for i, ((text, ref), hyp) in enumerate(zip(sentences, hypotheses, strict=True))
    ]
    return TaskOutput(
        metrics={"bleu": _sacrebleu_metric("bleu", hypotheses, references, seed),
                 "chrf": _sacrebleu_metric("chrf", hypotheses, references, seed)},
        items=records, files=files,
        details={"pair": f"{source}-{target}", "sentences": len(sentences)},
        models={"translation": sorted(served), "routes": list(settings.translation.routes)},
        timing={"translate_s": round(elapsed, 3),
                "sentences_per_s": round(len(sentences) / elapsed, 2) if elapsed else 0.0},
    )
