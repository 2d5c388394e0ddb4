"""Audit throughput: audio hours per wall hour, peak memory and WER, audit vs plain faster-whisper.

Stereo calls are composed from the ``speech-en-native`` clips of the shared data as
two-party conversations: call *i* has ``--turns`` turns that alternate between the left
(agent) and right (customer) channels, 1 s apart, clip after clip (cycling through the
15 clips), so each channel holds speech about half of the time and is silent while the
other side talks, as in a real call. The references of a channel's clips, in order, are
its reference transcript.

Systems, each in its own child process, over the same files, channels and model:

- ``baseline``: a plain faster-whisper loop: ``WhisperModel(dir, device="cpu",
  compute_type="int8", cpu_threads=THREADS)``, then for every file and channel, in
  order, ``model.transcribe(channel, beam_size=BEAM, language="en")`` with every other
  option at faster-whisper's defaults (no VAD, no word timestamps, temperature fallback
  0.0-1.0, conditioned on previous text), segments consumed. One process, sequential.
- ``audit``: ``langassist.audit.run_audit`` exactly as ``langassist audit FOLDER --out
  DIR --pipeline audit --model MODEL --workers WORKERS`` runs it (the ``local`` engine:
  worker processes, probe, decode, VAD-windowed transcription per channel, the whole
  assessment chain, PII redaction, JSON + HTML reports, JSONL/Parquet tables, summary),
  with ``asr.beam_size=BEAM`` and ``asr.cpu_threads=THREADS / WORKERS`` so that both
  systems use the same cores; ``--engine ray`` adds the same audit on a local Ray
  instance (its overhead against the local engine).

Throughput counts each channel's duration (a stereo call of 60 s is 2 min of audio).
Peak memory is the largest sum of the resident sets of a system's process tree (sampled
every 0.2 s; the driver plus its workers), and ``largest_process_mb`` its biggest single
process; ``cpu_s`` is the tree's CPU time (user + system), a figure that a busy machine
disturbs less than wall time. WER is the corpus WER (edits / reference words, Whisper's English normalizer)
over all channels; the audit's text is its redacted output. Systems alternate
``--repeats`` times in one run; the medians are reported.

Set ``LANGASSIST_AUDIT_RESOURCES=langassist.audit.fakes:FakeAssessorResources`` to time
the audio path (real model, fake assessment) when the assessment models are missing.

Usage (one command; the figures in benchmarks/README.md)::

    python benchmarks/audit_throughput.py --data ../shared/data

Writes ``benchmarks/results/audit_throughput.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path
from typing import Any

SAMPLE_RATE_HZ = 16000
TRACKS = ("agent", "customer")


# -- calls ----------------------------------------------------------------------------


def compose_calls(data: Path, folder: Path, count: int, turns: int = 6, gap_s: float = 1.0) -> dict[str, Any]:
    """Write ``count`` stereo calls of ``turns`` alternating turns; returns the channel
    references ``{call_stem: {track: text}}``."""
    import numpy as np

    from langassist.audio import decode

    manifest = data / "speech-en-native" / "manifest.tsv"
    with manifest.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    clips = [(decode(data / "speech-en-native" / row["audio"]).tracks["mixed"], row["reference"]) for row in rows]
    folder.mkdir(parents=True, exist_ok=True)
    gap = int(gap_s * SAMPLE_RATE_HZ)
    references: dict[str, Any] = {}
    for index in range(count):
        chosen = [clips[(index * turns + turn) % len(clips)] for turn in range(turns)]
        total = sum(samples.size for samples, _ in chosen) + gap * (turns + 1)
        stereo = np.zeros((total, 2), dtype=np.float32)
        texts: dict[str, list[str]] = {track: [] for track in TRACKS}
        position = gap
        for turn, (samples, reference) in enumerate(chosen):
            stereo[position:position + samples.size, turn % 2] = samples
            texts[TRACKS[turn % 2]].append(reference)
            position += samples.size + gap
        name = f"call-{index:02d}"
        pcm = (np.clip(stereo, -1, 1) * 32767).astype("<i2")
        with wave.open(str(folder / f"{name}.wav"), "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE_HZ)
            out.writeframes(pcm.tobytes())
        references[name] = {track: " ".join(parts) for track, parts in texts.items()}
    return references


# -- systems (run in child processes) ---------------------------------------------------


def run_baseline(folder: Path, model: str, beam: int, threads: int) -> dict[str, Any]:
    from faster_whisper import WhisperModel

    from langassist import service
    from langassist.audio import decode
    from langassist.catalog import load_catalog

    directory = load_catalog(service.load_settings().models).path(model)
    started = time.perf_counter()
    whisper = WhisperModel(str(directory), device="cpu", compute_type="int8", cpu_threads=threads)
    audio_s = 0.0
    hypotheses: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("*.wav")):
        audio = decode(path)
        for track, samples in audio.tracks.items():
            audio_s += samples.size / SAMPLE_RATE_HZ
            segments, _ = whisper.transcribe(samples, beam_size=beam, language="en")
            hypotheses.setdefault(path.stem, {})[track] = " ".join(s.text.strip() for s in segments)
    return {"wall_s": time.perf_counter() - started, "audio_s": audio_s, "hypotheses": hypotheses}


def run_audit_system(folder: Path, out: Path, model: str, beam: int, threads: int, workers: int,
                     engine: str, overrides: list[str]) -> dict[str, Any]:
    from langassist import service
    from langassist.audit import AuditOptions, run_audit
    from langassist.audit.worker import DEFAULT_RESOURCES

    settings = service.load_settings("audit", overrides={
        "asr.model": model, "asr.beam_size": beam, "asr.cpu_threads": max(1, threads // workers),
        **dict(item.split("=", 1) for item in overrides),
    })
    resources = os.environ.get("LANGASSIST_AUDIT_RESOURCES", DEFAULT_RESOURCES)
    started = time.perf_counter()
    report = run_audit([folder], out, settings, AuditOptions(engine=engine, workers=workers, resources=resources))
    wall = time.perf_counter() - started
    hypotheses: dict[str, dict[str, str]] = {}
    for path in sorted((out / "calls").glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        utterances = sorted(document["utterances"], key=lambda u: u["start_s"])
        hypotheses[path.stem] = {
            track: " ".join(u["text"] for u in utterances if u["track"] == track) for track in TRACKS
        }
    channels = len(settings.audio.channel_tracks)
    return {"wall_s": wall, "audio_s": report.audio_s * channels, "done": report.done,
            "quarantined": report.quarantined, "hypotheses": hypotheses, "resources": resources,
            "cpu_threads_per_worker": settings.asr.cpu_threads}


# -- measurement ----------------------------------------------------------------------


def _tree(root: int) -> list[int]:
    """``root`` and its descendants (the audit's forkserver and its workers included)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                parents[int(entry)] = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = [root], [root]
    while frontier:
        pid = frontier.pop()
        for child_pid, parent in parents.items():
            if parent == pid and child_pid not in tree:
                tree.append(child_pid)
                frontier.append(child_pid)
    return tree


def _sample(pids: list[int], cpu: dict[int, float]) -> tuple[float, float]:
    """(sum, largest) resident set of ``pids`` in MB; records each one's CPU seconds."""
    page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20
    ticks = os.sysconf("SC_CLK_TCK")
    sizes = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
                sizes.append(int(handle.read().split()[1]) * page_mb)
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            cpu[pid] = max(cpu.get(pid, 0.0), (int(fields[11]) + int(fields[12])) / ticks)
        except (OSError, IndexError, ValueError):
            continue
    return sum(sizes), max(sizes, default=0.0)


def child(args: list[str]) -> dict[str, Any]:
    """Run one system in a child process; its result plus wall time and peak memory."""
    process = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE)
    peak = [0.0, 0.0]
    cpu: dict[int, float] = {}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            total, largest = _sample(_tree(process.pid), cpu)
            peak[0], peak[1] = max(peak[0], total), max(peak[1], largest)
            stop.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    stop.set()
    sampler.join()
    if status != 0:
        raise SystemExit(f"{' '.join(args[:2])} failed with status {status}")
    result: dict[str, Any] = json.loads(output.decode().strip().splitlines()[-1])
    # the child's own CPU time and its reaped children's, or the sampled tree's if more
    # (the audit's workers are children of its forkserver, which rusage does not see)
    result["cpu_s"] = max(usage.ru_utime + usage.ru_stime, sum(cpu.values()))
    result["peak_rss_mb"] = peak[0]
    result["largest_process_mb"] = max(peak[1], usage.ru_maxrss / 1024)
    result["audio_hours_per_wall_hour"] = result["audio_s"] / result["wall_s"]
    return result


def corpus_wer(references: dict[str, dict[str, str]], hypotheses: dict[str, dict[str, str]]) -> float | None:
    from langassist.eval.wer import score_clip, score_corpus

    clips = [score_clip(text, hypotheses.get(call, {}).get(track, ""), language="en")
             for call, tracks in sorted(references.items()) for track, text in sorted(tracks.items())]
    return score_corpus(clips).wer


def _median_run(runs: list[dict[str, Any]], references: dict[str, Any]) -> dict[str, Any]:
    keys = ("wall_s", "cpu_s", "audio_hours_per_wall_hour", "peak_rss_mb", "largest_process_mb")
    summary: dict[str, Any] = {key: statistics.median(run[key] for run in runs) for key in keys}
    summary["audio_s"] = runs[0]["audio_s"]
    summary["runs_wall_s"] = [round(run["wall_s"], 2) for run in runs]
    summary["wer"] = corpus_wer(references, runs[0]["hypotheses"])
    for key in ("done", "quarantined", "resources", "cpu_threads_per_worker"):
        if key in runs[0]:
            summary[key] = runs[0][key]
    return summary


def bench_model(model: str, args: argparse.Namespace, temp: Path, references: dict[str, Any],
                folder: Path) -> dict[str, Any]:
    common = ["--model", model, "--beam", str(args.beam), "--threads", str(args.threads)]
    systems: dict[str, list[str]] = {"baseline": ["--child", "baseline", "--folder", str(folder), *common]}
    for engine in args.engines:
        systems[f"audit-{engine}"] = ["--child", "audit", "--engine", engine, "--folder", str(folder),
                                      "--workers", str(args.workers), *common,
                                      *[f"--set={item}" for item in args.set]]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in systems}
    for repeat in range(args.repeats):
        for name, command in systems.items():
            out_dir = temp / f"{model}-{name}-{repeat}"
            extra = ["--out-dir", str(out_dir)] if name != "baseline" else []
            runs[name].append(child([*command, *extra]))
            print(f"{model} {name} run {repeat + 1}: {runs[name][-1]['wall_s']:.1f} s", file=sys.stderr)
    result: dict[str, Any] = {name: _median_run(items, references) for name, items in runs.items()}
    baseline_speed = result["baseline"]["audio_hours_per_wall_hour"]
    for engine in args.engines:
        result[f"audit-{engine}"]["speedup_vs_baseline"] = (
            result[f"audit-{engine}"]["audio_hours_per_wall_hour"] / baseline_speed
        )
    if "local" in args.engines and "ray" in args.engines:
        result["ray_overhead"] = result["audit-ray"]["wall_s"] / result["audit-local"]["wall_s"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--calls", type=int, default=4)
    parser.add_argument("--turns", type=int, default=6, help="turns per call, alternating channels")
    parser.add_argument("--models", default="whisper-tiny.en,whisper-base")
    parser.add_argument("--beam", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2, help="CPU threads of each system in all")
    parser.add_argument("--workers", type=int, default=2, help="audit worker processes")
    parser.add_argument("--engine", dest="engines", action="append", choices=("local", "ray", "inline"),
                        help="audit engine(s) to time (repeatable; default local)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="an audit setting override, e.g. asr.pack_windows=false (repeatable)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "audit_throughput.json")
    parser.add_argument("--child", choices=("audit", "baseline"))
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--out-dir", type=Path)
    parser.add_argument("--model", default="whisper-tiny.en")
    args = parser.parse_args()
    if args.child == "baseline":
        result = run_baseline(args.folder, args.model, args.beam, args.threads)
        print(json.dumps(result))
        return
    if args.child == "audit":
        engine = (args.engines or ["local"])[0]
        result = run_audit_system(args.folder, args.out_dir, args.model, args.beam, args.threads,
                                  args.workers, engine, args.set)
        print(json.dumps(result))
        return
    if not args.engines:
        import importlib.util

        args.engines = ["local", "ray"] if importlib.util.find_spec("ray") is not None else ["local"]
    if args.threads % args.workers:
        parser.error("--threads must be a multiple of --workers (the audit splits the threads)")
    models = [name.strip() for name in args.models.split(",") if name.strip()]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="audit-bench-") as temp_name:
        temp = Path(temp_name)
        references = compose_calls(args.data, temp / "calls", args.calls, args.turns)
        for model in models:
            results[model] = bench_model(model, args, temp, references, temp / "calls")
    for model_result in results.values():
        for system in model_result.values():
            if isinstance(system, dict):
                system.pop("hypotheses", None)
    document = {
        "command": " ".join(["python", "benchmarks/audit_throughput.py", *sys.argv[1:]]),
        "dataset": f"speech-en-native, {args.calls} stereo calls of {args.turns} alternating turns",
        "calls": args.calls, "turns": args.turns, "beam": args.beam, "threads": args.threads,
        "workers": args.workers, "engines": args.engines, "repeats": args.repeats,
        "audit_overrides": args.set,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load average at end "
                   f"{os.getloadavg()[0]:.1f}",
        "models": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print("| model | system | audio h / wall h | x baseline | WER | peak RSS MB (tree) | wall s | CPU s |")
    print("|---|---|---|---|---|---|---|---|")
    for model, model_result in results.items():
        for name, row in model_result.items():
            if not isinstance(row, dict):
                continue
            ratio = row.get("speedup_vs_baseline")
            wer = row.get("wer")
            print(f"| {model} | {name} | {row['audio_hours_per_wall_hour']:.1f} | "
                  f"{'1.00' if ratio is None else format(ratio, '.2f')} | "
                  f"{'?' if wer is None else format(wer, '.3f')} | {row['peak_rss_mb']:.0f} | {row['wall_s']:.1f} | "
                  f"{row['cpu_s']:.1f} |")
        if "ray_overhead" in model_result:
            print(f"{model}: ray wall / local wall = {model_result['ray_overhead']:.2f}")


if __name__ == "__main__":
    main()
