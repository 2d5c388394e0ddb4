"""Audit throughput: audio hours per wall hour and peak memory, audit vs plain faster-whisper.

Stereo calls are composed from ``speech-en-native`` clips of the shared data: call *i*
puts clip *i* on the left (agent) channel and clip *i+1* on the right (customer) channel
after it, 1 s apart, so each channel holds speech about half of the time, as in a real
two-party call. Two systems run over the same files and channels with the same model,
each in its own child process (its ``ru_maxrss`` is its own peak RSS):

- ``audit``: ``langassist.audit.run_audit`` (inline engine: probe, decode, VAD-windowed
  transcription per channel, the whole assessment chain, redaction, JSON + HTML reports,
  tables and summary), with the given pipeline settings;
- ``baseline``: ``faster_whisper.WhisperModel(dir, device="cpu", compute_type="int8")``
  and ``model.transcribe(channel, beam_size=B, language="en")`` per channel, VAD off
  (faster-whisper's default), segments consumed.

Set ``LANGASSIST_AUDIT_RESOURCES=langassist.audit.fakes:FakeAssessorResources`` to time
the audio path (real model, fake assessment) when the assessment models are missing.

Usage::

    nice python benchmarks/audit_throughput.py --data ../shared/data --calls 6 --model whisper-tiny.en

Writes ``benchmarks/results/audit_throughput.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def compose_calls(data: Path, folder: Path, count: int) -> list[Path]:
    import numpy as np

    from langassist.audio import decode

    manifest = data / "speech-en-native" / "manifest.tsv"
    with manifest.open(encoding="utf-8") as handle:
        clips = [data / "speech-en-native" / row["audio"] for row in csv.DictReader(handle, delimiter="\t")]
    decoded = [decode(path).tracks["mixed"] for path in clips[: count + 1]]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        left, right = decoded[index], decoded[(index + 1) % len(decoded)]
        gap = 16000
        total = left.size + gap + right.size
        stereo = np.zeros((total, 2), dtype=np.float32)
        stereo[: left.size, 0] = left
        stereo[left.size + gap :, 1] = right
        path = folder / f"call-{index:02d}.wav"
        import wave

        pcm = (np.clip(stereo, -1, 1) * 32767).astype("<i2")
        with wave.open(str(path), "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(16000)
            out.writeframes(pcm.tobytes())
        paths.append(path)
    return paths


def run_audit_system(folder: Path, out: Path, model: str, beam: int, threads: int) -> dict[str, float]:
    from langassist import service
    from langassist.audit import AuditOptions, run_audit

    settings = service.load_settings("audit", overrides={
        "asr.model": model, "asr.beam_size": beam, "asr.cpu_threads": threads,
    })
    started = time.perf_counter()
    report = run_audit([folder], out, settings, AuditOptions(engine="inline", resources=os.environ.get(
        "LANGASSIST_AUDIT_RESOURCES", "langassist.audit.worker:ServiceResources")))
    wall = time.perf_counter() - started
    return {"wall_s": wall, "audio_s": report.audio_s * 2, "done": report.done}


def run_baseline_system(folder: Path, model: str, beam: int, threads: int) -> dict[str, float]:
    from faster_whisper import WhisperModel

    from langassist import service
    from langassist.audio import decode
    from langassist.catalog import load_catalog

    settings = service.load_settings()
    directory = load_catalog(settings.models).path(model)
    started = time.perf_counter()
    whisper = WhisperModel(str(directory), device="cpu", compute_type="int8", cpu_threads=threads)
    audio_s = 0.0
    for path in sorted(folder.glob("*.wav")):
        audio = decode(path)
        for samples in audio.tracks.values():
            audio_s += samples.size / 16000
            segments, _ = whisper.transcribe(samples, beam_size=beam, language="en")
            list(segments)
    return {"wall_s": time.perf_counter() - started, "audio_s": audio_s, "done": 0}


def child(system: str, folder: Path, out: Path, model: str, beam: int, threads: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", system, "--folder", str(folder), "--out-dir", str(out),
               "--model", model, "--beam", str(beam), "--threads", str(threads)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{system} failed with status {status}")
    result = json.loads(output.decode().strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024
    result["audio_hours_per_wall_hour"] = result["audio_s"] / result["wall_s"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--calls", type=int, default=6)
    parser.add_argument("--model", default="whisper-tiny.en")
    parser.add_argument("--beam", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "audit_throughput.json")
    parser.add_argument("--child", choices=("audit", "baseline"))
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--out-dir", type=Path)
    args = parser.parse_args()
    if args.child == "audit":
        print(json.dumps(run_audit_system(args.folder, args.out_dir, args.model, args.beam, args.threads)))
        return
    if args.child == "baseline":
        print(json.dumps(run_baseline_system(args.folder, args.model, args.beam, args.threads)))
        return
    with tempfile.TemporaryDirectory(prefix="audit-bench-") as temp:
        folder = compose_calls(args.data, Path(temp) / "calls", args.calls)[0].parent
        baseline = child("baseline", folder, Path(temp) / "unused", args.model, args.beam, args.threads)
        audit = child("audit", folder, Path(temp) / "out", args.model, args.beam, args.threads)
    result = {
        "model": args.model, "beam": args.beam, "threads": args.threads, "calls": args.calls,
        "dataset": "speech-en-native, paired into stereo calls", "audit": audit, "baseline": baseline,
        "speedup": audit["audio_hours_per_wall_hour"] / baseline["audio_hours_per_wall_hour"],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print("| system | audio h / wall h | peak RSS MB | wall s |\n|---|---|---|---|")
    for name in ("baseline", "audit"):
        row = result[name]
        print(f"| {name} | {row['audio_hours_per_wall_hour']:.1f} | {row['peak_rss_mb']:.0f} | {row['wall_s']:.1f} |")
    print(f"speedup: {result['speedup']:.2f}x")


if __name__ == "__main__":
    main()
