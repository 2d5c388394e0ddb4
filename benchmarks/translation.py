"""Benchmark: translation quality, latency and speed for every backend available here.

* Apertium (Debian ``apertium-eng-spa``) en<->es on the subsets in
  ``translation-testsets`` (FLORES-200 devtest 1-500, newstest2013 1-300, Tatoeba 300),
  scored with sacrebleu BLEU and chrF (0-100), beside the published OPUS-MT figures
  (full test sets; chrF there is on a 0-1 scale and is shown x100).
  Quality is measured on a whole file translated in one Apertium call, through the
  router (protected-term masking included, as the suggestions use it).
* Latency per sentence (median, p95): one router call per sentence for the first
  ``--latency-sentences`` sentences (what one live suggestion costs), with the
  persistent null-flush pipeline (the default) and with one Apertium process per call
  (the old way, which pays ~150-200 ms of process start-up every call), interleaved.
  Throughput: sentences per second in batch (both ways); BLEU both ways.
* CTranslate2 int8 vs transformers float32 on one random Marian model of OPUS-MT's
  shape built here (no neural MT weights are downloadable on this network): same
  inputs, greedy, fixed output length (``min = max`` decoding length), one thread,
  batch 16 (best of ``--repeats``) and one sentence at a time (median).
* Whisper speech-to-English (whisper-base, ``task="translate"``): the FLEURS clips in
  ``speech-multilingual`` whose transcript is one of the FLORES devtest lines here are
  scored against the parallel English FLORES line (a real reference; FLEURS read
  FLORES aloud). Clips without such a line are left out, never given a made-up one.

Usage::

    nice .venv/bin/python benchmarks/translation.py --data ../shared/data

Writes ``benchmarks/results/translation.json`` and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_common import percentile, write_result  # noqa: E402

TESTSETS: list[dict[str, str]] = [
    {"testset": "flores200-devtest", "direction": "eng-spa",
     "src": "flores200-devtest/eng_Latn.txt", "ref": "flores200-devtest/spa_Latn.txt"},
    {"testset": "flores200-devtest", "direction": "spa-eng",
     "src": "flores200-devtest/spa_Latn.txt", "ref": "flores200-devtest/eng_Latn.txt"},
    {"testset": "newstest2013", "direction": "eng-spa",
     "src": "wmt-newstest/newstest2013.eng-spa.eng", "ref": "wmt-newstest/newstest2013.eng-spa.spa"},
    {"testset": "newstest2013 (reversed)", "direction": "spa-eng",
     "src": "wmt-newstest/newstest2013.eng-spa.spa", "ref": "wmt-newstest/newstest2013.eng-spa.eng"},
    {"testset": "tatoeba-test-v2021-08-07", "direction": "eng-spa",
     "src": "tatoeba-test-v2021-08-07/eng-spa.eng", "ref": "tatoeba-test-v2021-08-07/eng-spa.spa"},
    {"testset": "tatoeba-test-v2021-08-07", "direction": "spa-eng",
     "src": "tatoeba-test-v2021-08-07/eng-spa.spa", "ref": "tatoeba-test-v2021-08-07/eng-spa.eng"},
]
CODES = {"eng": "en", "spa": "es"}


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def published(folder: Path) -> dict[tuple[str, str], list[dict[str, str]]]:
    table: dict[tuple[str, str], list[dict[str, str]]] = {}
    path = folder / "published" / "opus-mt-published-bleu.tsv"
    if not path.is_file():
        return table
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            table.setdefault((row["direction"], row["testset"]), []).append(row)
    return table


def bench_apertium(folder: Path, latency_sentences: int) -> dict[str, Any]:
    import sacrebleu

    from langassist.translate import TranslationRouter, TranslationSettings
    from langassist.translate.apertium import ApertiumTranslator

    apertium = ApertiumTranslator(persistent=True)
    if apertium.mode_for("en", "es") is None:
        return {"skipped": "apertium-eng-spa is not installed"}
    one_shot = ApertiumTranslator(persistent=False)
    router = TranslationRouter(TranslationSettings(), translators={"apertium": apertium})
    one_shot_router = TranslationRouter(TranslationSettings(), translators={"apertium": one_shot})
    refs_published = published(folder)
    rows = []
    for spec in TESTSETS:
        source_lines = read_lines(folder / spec["src"])
        reference = read_lines(folder / spec["ref"])
        if len(source_lines) != len(reference):
            raise SystemExit(f"{spec['src']}: {len(source_lines)} lines vs {len(reference)}")
        src, tgt = (CODES[part] for part in spec["direction"].split("-"))
        router.translate(source_lines[:1], source=src, target=tgt)  # start the pipeline
        started = time.perf_counter()
        outcome = router.translate(source_lines, source=src, target=tgt)
        batch_s = time.perf_counter() - started
        if not outcome.ok or len(outcome.texts) != len(source_lines):
            raise SystemExit(f"{spec['src']}: {outcome.status} {outcome.message}")
        started = time.perf_counter()
        one_shot_outcome = one_shot_router.translate(source_lines, source=src, target=tgt)
        one_shot_batch_s = time.perf_counter() - started
        hypotheses = outcome.texts
        bleu_metric, chrf_metric = sacrebleu.metrics.BLEU(), sacrebleu.metrics.CHRF()
        bleu = bleu_metric.corpus_score(hypotheses, [reference])
        chrf = chrf_metric.corpus_score(hypotheses, [reference])
        one_shot_bleu = sacrebleu.metrics.BLEU().corpus_score(one_shot_outcome.texts, [reference])
        latencies: dict[str, list[float]] = {"persistent": [], "one_process_per_call": []}
        for line in source_lines[:latency_sentences]:
            for mode, mode_router in (("persistent", router), ("one_process_per_call", one_shot_router)):
                started = time.perf_counter()
                mode_router.translate([line], source=src, target=tgt)
                latencies[mode].append((time.perf_counter() - started) * 1000.0)
        key = (spec["direction"], spec["testset"].split(" ")[0])
        reported = [
            {"model": row["model"], "bleu": float(row["BLEU"]),
             "chrf": float(row["chrF"]) * 100 if row["chrF"] else None,
             "n_sentences": int(row["n_sentences_scored"]), "source": row["source_repo"]}
            for row in refs_published.get(key, [])
        ] if "reversed" not in spec["testset"] else []
        protection: dict[str, int] = {}
        for translation in outcome.translations:
            protection[translation.protection] = protection.get(translation.protection, 0) + 1
        kept = sum(
            all(term in translation.text for term in translation.protected_terms)
            for translation in outcome.translations
        )
        rows.append({
            "backend": "apertium", "testset": spec["testset"], "direction": spec["direction"],
            "sentences": len(source_lines), "bleu": round(bleu.score, 2), "chrf": round(chrf.score, 2),
            "bleu_one_process_per_call": round(one_shot_bleu.score, 2),
            "bleu_signature": str(bleu_metric.get_signature()),
            "chrf_signature": str(chrf_metric.get_signature()),
            "batch_ms_per_sentence": round(batch_s * 1000 / len(source_lines), 3),
            "throughput_sentences_per_s": round(len(source_lines) / batch_s, 1),
            "one_process_batch_ms_per_sentence": round(one_shot_batch_s * 1000 / len(source_lines), 3),
            "one_call_ms_median": round(statistics.median(latencies["persistent"]), 1),
            "one_call_ms_p95": round(percentile(latencies["persistent"], 95), 1),
            "one_process_per_call_ms_median": round(statistics.median(latencies["one_process_per_call"]), 1),
            "one_process_per_call_ms_p95": round(percentile(latencies["one_process_per_call"], 95), 1),
            "latency_sentences": len(latencies["persistent"]),
            "protection": protection,
            "sentences_with_every_protected_term_kept": kept,
            "published_opus_mt": reported,
        })
    router.close()
    return {"rows": rows}


def bench_tiny_marian(
    sentences: int, length: int, repeats: int, d_model: int = 512, layers: int = 6,
    vocab: int = 58101, single: int = 16,
) -> dict[str, Any]:
    """CTranslate2 int8 vs transformers float32 on one random Marian model of OPUS-MT's
    shape (d_model 512, 6+6 layers, ffn 2048, 8 heads, vocabulary 58101 like opus-mt-en-de).

    Fair by construction: the same inputs, greedy (beam 1) for both, the same output
    length (``min = max`` so both decode exactly ``length`` tokens), one intra-op thread
    each, the same batch size, one warm-up call each, best of ``repeats`` for the batch
    and the median over ``single`` one-sentence calls (the live case).
    """
    try:
        import torch
    except ModuleNotFoundError:
        return {"skipped": "torch is not installed"}
    from langassist.translate.ctranslate2_marian import (
        CTranslate2Translator,
        convert_translation_model,
    )
    from langassist.translate.tiny_marian import TINY_CORPUS, build_tiny_marian
    from langassist.translate.transformers_marian import TransformersMarianTranslator

    torch.set_num_threads(1)
    texts = [TINY_CORPUS[index % len(TINY_CORPUS)] for index in range(sentences)]
    batch_size = 16
    with tempfile.TemporaryDirectory() as tmp:
        hf = build_tiny_marian(Path(tmp) / "opus-mt-en-es", d_model=d_model, layers=layers,
                               heads=8, ffn_dim=4 * d_model, vocab_size=400,
                               pad_vocab_to=vocab, max_positions=512)
        ct2_dir = Path(tmp) / "ct2-int8"
        convert_translation_model(hf, ct2_dir, quantization="int8")
        ct2 = CTranslate2Translator(ct2_dir, compute_type="int8", cpu_threads=1, beam_size=1,
                                    batch_size=batch_size, max_decoding_length=length,
                                    min_decoding_length=length)
        reference = TransformersMarianTranslator(hf, source="en", target="es", beam_size=1,
                                                 batch_size=batch_size, max_new_tokens=length,
                                                 min_new_tokens=length, cpu_threads=1)
        backends = (("ctranslate2-int8", ct2), ("transformers-float32", reference))
        for _, translator in backends:
            translator.translate(texts[:2], source="en", target="es")
        timings: dict[str, float] = {}
        one_ms: dict[str, list[float]] = {}
        for name, translator in backends:
            best = float("inf")
            for _ in range(repeats):
                started = time.perf_counter()
                translator.translate(texts, source="en", target="es")
                best = min(best, time.perf_counter() - started)
            timings[name] = best
            one_ms[name] = []
            for text in texts[:single]:
                started = time.perf_counter()
                translator.translate([text], source="en", target="es")
                one_ms[name].append((time.perf_counter() - started) * 1000)
        medians = {name: statistics.median(values) for name, values in one_ms.items()}
    return {
        "model": f"random Marian (d_model {d_model}, {layers}+{layers} layers, ffn {4 * d_model}, "
                 f"8 heads, vocabulary {vocab}; OPUS-MT base: d_model 512, 6+6 layers, "
                 "vocabulary 58101 for en-de)",
        "sentences": sentences, "output_tokens": length, "threads": 1, "beam_size": 1,
        "batch_size": batch_size, "repeats": repeats, "single_sentences": single,
        "seconds": {name: round(value, 4) for name, value in timings.items()},
        "sentences_per_s": {name: round(sentences / value, 1) for name, value in timings.items()},
        "speed_ratio": round(timings["transformers-float32"] / timings["ctranslate2-int8"], 2),
        "one_sentence_ms_median": {name: round(value, 2) for name, value in medians.items()},
        "one_sentence_speed_ratio": round(
            medians["transformers-float32"] / medians["ctranslate2-int8"], 2
        ),
        "ctranslate2_one_sentence_ms_p95": round(percentile(one_ms["ctranslate2-int8"], 95), 2),
        "target_ratio": 3.0,
    }


FLORES_FILES = {"de": "deu_Latn", "fr": "fra_Latn", "es": "spa_Latn", "zh": "zho_Hans", "pl": "pol_Latn"}


def _normalized(text: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join("".join(ch if ch.isalnum() or ch.isspace() else " " for ch in text).split())


def align_fleurs_to_flores(data: Path) -> list[dict[str, str]]:
    """FLEURS clips whose transcript is a FLORES devtest sentence in the subset here.

    FLEURS read FLORES sentences aloud, and FLORES is n-way parallel, so the English
    line with the same index is a real reference translation of the clip. A clip counts
    only when its (lower-cased, punctuation-free) transcript equals the normalized
    FLORES line (difflib ratio >= 0.98); nothing is guessed for the others.
    """
    import difflib

    manifest = data / "speech-multilingual" / "manifest.tsv"
    flores = data / "translation-testsets" / "flores200-devtest"
    if not manifest.is_file() or not flores.is_dir():
        return []
    english = read_lines(flores / "eng_Latn.txt")
    lines: dict[str, list[str]] = {}
    matched = []
    with manifest.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            language = row["language"]
            if language not in FLORES_FILES or not (flores / f"{FLORES_FILES[language]}.txt").is_file():
                continue
            if language not in lines:
                lines[language] = [_normalized(line) for line in
                                   read_lines(flores / f"{FLORES_FILES[language]}.txt")]
            reference = _normalized(row["reference"])
            scores = [difflib.SequenceMatcher(None, reference, line).ratio() for line in lines[language]]
            best = max(range(len(scores)), key=scores.__getitem__)
            if scores[best] >= 0.98:
                matched.append({"id": row["id"], "audio": str(data / "speech-multilingual" / row["audio"]),
                                "language": language, "flores_line": str(best + 1),
                                "reference_en": english[best]})
    return matched


def bench_whisper(data: Path) -> dict[str, Any]:
    """Whisper base ``task="translate"`` on FLEURS clips aligned to FLORES English."""
    import sacrebleu

    clips = align_fleurs_to_flores(data)
    if not clips:
        return {"skipped": "no speech clip with an English reference (FLEURS aligned to FLORES)"}
    try:
        from faster_whisper import decode_audio

        from langassist.catalog import load_catalog
        from langassist.config import load_settings
        from langassist.translate.whisper_translate import create_speech_translator

        model_dir = load_catalog(load_settings().models).path("whisper-base")
        translator = create_speech_translator(model_dir, compute_type="int8", cpu_threads=2)
    except Exception as exc:  # noqa: BLE001 - any missing piece means "not measured here"
        return {"skipped": f"whisper-base is not available: {exc}"}
    hypotheses, references, rows, seconds, audio_s = [], [], [], 0.0, 0.0
    for clip in clips:
        audio = decode_audio(clip["audio"], sampling_rate=16000)
        started = time.perf_counter()
        result = translator.translate_speech(audio, source=clip["language"])
        seconds += time.perf_counter() - started
        audio_s += result.duration_s
        hypotheses.append(result.text)
        references.append(clip["reference_en"])
        rows.append({"id": clip["id"], "language": clip["language"], "flores_line": clip["flores_line"],
                     "hypothesis": result.text, "reference": clip["reference_en"]})
    bleu_metric, chrf_metric = sacrebleu.metrics.BLEU(), sacrebleu.metrics.CHRF()
    per_language = {}
    for language in sorted({clip["language"] for clip in clips}):
        hyp = [h for h, c in zip(hypotheses, clips, strict=True) if c["language"] == language]
        ref = [r for r, c in zip(references, clips, strict=True) if c["language"] == language]
        per_language[language] = {
            "clips": len(hyp),
            "bleu": round(sacrebleu.metrics.BLEU().corpus_score(hyp, [ref]).score, 2),
            "chrf": round(sacrebleu.metrics.CHRF().corpus_score(hyp, [ref]).score, 2),
        }
    return {
        "model": "whisper-base (CTranslate2 int8 on CPU, beam 1, VAD, language given)",
        "data": "speech-multilingual FLEURS clips whose transcript equals a FLORES-200 devtest "
                "line in translation-testsets (lines 1-500); reference = the English FLORES line",
        "clips": len(clips),
        "clips_in_speech_multilingual_without_reference": "the rest (FLORES dev/devtest lines "
                                                          "outside the 500-line subset, pt, ja)",
        "bleu": round(bleu_metric.corpus_score(hypotheses, [references]).score, 2),
        "chrf": round(chrf_metric.corpus_score(hypotheses, [references]).score, 2),
        "bleu_signature": str(bleu_metric.get_signature()),
        "per_language": per_language,
        "real_time_factor": round(seconds / audio_s, 3) if audio_s else None,
        "examples": rows[:6],
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "| backend | test set (subset) | direction | BLEU | chrF | published OPUS-MT BLEU / chrF (full set) "
        "| batch ms/sent | sent/s | one call ms median / p95: persistent | one process per call |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in result["apertium"].get("rows", []):
        pub = "; ".join(
            f"{p['bleu']:.1f}" + (f" / {p['chrf']:.1f}" if p["chrf"] is not None else "")
            + f" ({p['model'].split('/')[-1]})"
            for p in row["published_opus_mt"]
        ) or "—"
        lines.append(
            f"| {row['backend']} | {row['testset']} ({row['sentences']}) | {row['direction']} | "
            f"{row['bleu']:.1f} | {row['chrf']:.1f} | {pub} | {row['batch_ms_per_sentence']:.2f} | "
            f"{row['throughput_sentences_per_s']:.0f} | {row['one_call_ms_median']:.1f} / "
            f"{row['one_call_ms_p95']:.1f} | {row['one_process_per_call_ms_median']:.0f} / "
            f"{row['one_process_per_call_ms_p95']:.0f} |"
        )
    tiny = result["tiny_marian"]
    if "speed_ratio" in tiny:
        lines += [
            "",
            "| tiny Marian, greedy, 1 thread | seconds (best) | sentences/s |",
            "|---|---|---|",
        ]
        for name, seconds in tiny["seconds"].items():
            lines.append(f"| {name} | {seconds:.3f} | {tiny['sentences_per_s'][name]:.0f} |")
        lines.append(
            f"| **speed ratio, batch {tiny['batch_size']}** | **{tiny['speed_ratio']:.1f}x** "
            "(target >= 3x) | |"
        )
        singles = tiny["one_sentence_ms_median"]
        lines.append(
            f"| **speed ratio, one sentence** | **{tiny['one_sentence_speed_ratio']:.1f}x** | "
            + ", ".join(f"{name} {value:.0f} ms" for name, value in singles.items()) + " median |"
        )
    lines.append("")
    whisper = result["whisper"]
    if "skipped" in whisper:
        lines.append(f"Whisper speech-to-English: {whisper['skipped']}")
    else:
        lines += [
            f"Whisper speech-to-English ({whisper['model']}), {whisper['clips']} FLEURS clips with "
            "FLORES English references:",
            "",
            "| language | clips | BLEU | chrF |",
            "|---|---|---|---|",
        ]
        for language, row in whisper["per_language"].items():
            lines.append(f"| {language} | {row['clips']} | {row['bleu']:.1f} | {row['chrf']:.1f} |")
        lines.append(f"| **all** | {whisper['clips']} | **{whisper['bleu']:.1f}** | "
                     f"**{whisper['chrf']:.1f}** |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=os.environ.get("LANGASSIST_DATA_DIR", str(ROOT.parent / "shared" / "data")))
    parser.add_argument("--latency-sentences", type=int, default=30)
    parser.add_argument("--tiny-sentences", type=int, default=64)
    parser.add_argument("--tiny-length", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tiny-d-model", type=int, default=512)
    parser.add_argument("--tiny-layers", type=int, default=6)
    parser.add_argument("--tiny-vocab", type=int, default=58101,
                        help="model vocabulary (OPUS-MT en-de: 58101)")
    parser.add_argument("--skip-apertium", action="store_true", help="no Apertium section")
    parser.add_argument("--skip-marian", action="store_true", help="no CTranslate2/transformers section")
    parser.add_argument("--skip-whisper", action="store_true", help="no Whisper speech-to-English section")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "translation.json"))
    args = parser.parse_args(argv)
    folder = Path(args.data) / "translation-testsets"
    if not folder.is_dir():
        print(f"no translation-testsets under {args.data}", file=sys.stderr)
        return 1
    from langassist.service import package_version

    result: dict[str, Any] = {
        "benchmark": "translation",
        "code_version": package_version(),
        "dataset": str(folder),
        "device": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "apertium": {"skipped": "--skip-apertium"} if args.skip_apertium else bench_apertium(
            folder, args.latency_sentences
        ),
        "tiny_marian": {"skipped": "--skip-marian"} if args.skip_marian else bench_tiny_marian(
            args.tiny_sentences, args.tiny_length, args.repeats, args.tiny_d_model,
            args.tiny_layers, args.tiny_vocab,
        ),
        "whisper": {"skipped": "--skip-whisper"} if args.skip_whisper else bench_whisper(
            Path(args.data)
        ),
    }
    write_result(result, args.output)
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
