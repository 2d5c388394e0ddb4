"""Live capacity: server memory per call and the most concurrent calls that hold latency.

Starts ``langassist serve`` (a real server on 127.0.0.1, one model: ``--model``, default
whisper-tiny.en, ``--threads`` intra-op threads) as a subprocess and plays shared speech
(default ``speech-en-native``, 1 s of silence before and after each clip) over the native
WebSocket in real time, ``--frame-s`` frames, with a sidebar events socket per call
(:mod:`langassist.api.loadtest`). Each call plays ``--clips-per-call`` clips one after
another (default 3: about 30 s and a dozen finals a call); for each level of concurrent
calls (``--levels``) every call gets different clips (cycling through the set) and all
start within 1 s.

Measured per level:

- end of speech to final: wall time the final reached the events socket minus the time
  the frame holding its last word's end was sent; p50 / p95 over every final of the
  level (targets: p50 <= 0.8 s, p95 <= 1.5 s);
- server RSS (``process_resident_memory_bytes`` from ``/metrics``, sampled every 0.5 s):
  peak during the level; WER of the finals against the references.

Also: RSS right after start-up (model loaded) and after one whole warm-up call (idle, one model
loaded: target <= 600 MB); per added call = (peak RSS at level N - peak at level 1) /
(N - 1) (target <= 20 MB). ``max_calls_within_targets`` is the highest level such that it
and every lower level meet both latency targets (target >= 4).

Usage::

    LANGASSIST_DATA_DIR=/work/shared/data nice python benchmarks/live_capacity.py --levels 1,2,4

Writes ``benchmarks/results/live_capacity.json`` (``--out``) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "live_capacity.json"
TARGETS = {"p50_s": 0.8, "p95_s": 1.5, "rss_one_model_mb": 600.0, "rss_per_call_mb": 20.0, "calls": 4}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--set", default="speech-en-native")
    parser.add_argument("--model", default="whisper-tiny.en")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--levels", default="1,2,4,6", help="concurrent calls per round")
    parser.add_argument("--clip-s", type=float, default=0.0, help="cut each clip to this length (0: whole)")
    parser.add_argument("--clips-per-call", type=int, default=3,
                        help="clips played one after another in each call (more finals per level)")
    parser.add_argument("--frame-s", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=0, help="live.decode_workers (0: auto)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    from langassist.api.loadtest import (
        free_port,
        percentile,
        run_streams,
        scrape_metrics,
        serve_subprocess,
    )
    from langassist.audio import decode
    from langassist.config import load_settings
    from langassist.eval import load_speech_set
    from langassist.eval.wer import wer

    levels = sorted({int(level) for level in args.levels.split(",") if level.strip()})
    settings = load_settings()
    items = load_speech_set(args.set, settings.data_dir)
    silence = np.zeros(16000, dtype=np.float32)
    clips: list[tuple[str, str, np.ndarray]] = []
    for item in items:
        audio = next(iter(decode(item.audio_path).tracks.values()))
        if args.clip_s:
            audio = audio[: int(args.clip_s * 16000)]
        clips.append((item.id, item.reference, np.concatenate([silence, audio, silence])))
    clips_per_call = max(1, args.clips_per_call)
    groups = [[clips[(g * clips_per_call + j) % len(clips)] for j in range(clips_per_call)]
              for g in range(max(1, -(-len(clips) // clips_per_call)))]
    clips = [("+".join(c[0] for c in group), " ".join(c[1] for c in group), np.concatenate([c[2] for c in group]))
             for group in groups]

    token = secrets.token_urlsafe(24)
    port = free_port()
    langassist = shutil.which("langassist", path=str(Path(sys.executable).parent)) or "langassist"
    env = {
        "LANGASSIST_API_TOKEN": token,
        "LANGASSIST_ASR__MODEL": args.model,
        "LANGASSIST_ASR__CPU_THREADS": str(args.threads),
        "LANGASSIST_LIVE__MAX_CALLS": str(max(levels) + 1),
        "LANGASSIST_LIVE__DECODE_WORKERS": str(args.workers),
        "HF_HUB_OFFLINE": "1",
    }
    command = [langassist, "serve", "--port", str(port)]
    rounds: list[dict[str, Any]] = []
    started = time.perf_counter()
    with serve_subprocess(command, port, env=env, startup_timeout_s=300) as (url, process):
        rss_loaded = scrape_metrics(url, token)["process_resident_memory_bytes"]

        def play(level: int, tag: str, seconds: float = 0.0) -> tuple[list[Any], list[float]]:
            chosen = [clips[i % len(clips)] for i in range(level)]
            streams = [(f"{tag}-{i}", audio[: int(seconds * 16000)] if seconds else audio)
                       for i, (_, _, audio) in enumerate(chosen)]
            rss: list[float] = []

            async def sample() -> None:
                while True:
                    rss.append((await asyncio.to_thread(scrape_metrics, url, token))["process_resident_memory_bytes"])
                    await asyncio.sleep(0.5)

            async def scenario() -> list[Any]:
                sampler = asyncio.ensure_future(sample())
                try:
                    return await run_streams(url, token, streams, stagger_s=1.0 / level, frame_s=args.frame_s,
                                             summary_timeout_s=120.0)
                finally:
                    sampler.cancel()
                    await asyncio.gather(sampler, return_exceptions=True)

            return asyncio.run(scenario()), rss

        play(1, "warmup")  # a whole call: decode scratch and first-use costs are paid here
        time.sleep(1.0)
        rss_idle = scrape_metrics(url, token)["process_resident_memory_bytes"]
        for level in levels:
            results, rss = play(level, f"level{level}")
            lags = [lag for result in results for lag in result.final_lags]
            word_errors = []
            for result, (_, reference, _) in zip(results, [clips[i % len(clips)] for i in range(level)],
                                                        strict=True):
                hypothesis = " ".join(final["text"] for final in result.finals)
                word_errors.append(wer(reference, hypothesis))
            p50, p95 = percentile(lags, 50), percentile(lags, 95)
            rounds.append({
                "calls": level,
                "finals": len(lags),
                "final_latency_p50_s": p50,
                "final_latency_p95_s": p95,
                "final_latency_max_s": max(lags) if lags else None,
                "within_targets": bool(p50 is not None and p95 is not None
                                       and p50 <= TARGETS["p50_s"] and p95 <= TARGETS["p95_s"]),
                "rss_peak_mb": max(rss) / 1e6 if rss else None,
                "wer_mean": float(np.mean([w for w in word_errors if w is not None])) if word_errors else None,
                "refused": sum(result.refused for result in results),
                "errors": [e for result in results for e in result.errors],
                "client_send_behind_max_s": max(result.max_send_behind_s for result in results),
            })
            print(f"calls={level}: p50={p50} p95={p95} rss_peak={rounds[-1]['rss_peak_mb']:.0f} MB", flush=True)
        final_metrics = scrape_metrics(url, token)

    within = 0
    for entry in rounds:
        if not entry["within_targets"]:
            break
        within = entry["calls"]
    base = next((r for r in rounds if r["calls"] == 1), None)
    per_call = [
        (r["rss_peak_mb"] - base["rss_peak_mb"]) / (r["calls"] - 1)
        for r in rounds if base is not None and r["calls"] > 1 and r["rss_peak_mb"] and base["rss_peak_mb"]
    ]
    document = {
        "benchmark": "live_capacity",
        "command": "python benchmarks/live_capacity.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "model": args.model,
        "threads": args.threads,
        "decode_workers": args.workers or "auto",
        "set": args.set,
        "clips": len(clips),
        "frame_s": args.frame_s,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "loadavg_1m": os.getloadavg()[0]},
        "targets": TARGETS,
        "rss_model_loaded_mb": rss_loaded / 1e6,
        "rss_one_model_idle_mb": rss_idle / 1e6,
        "rss_per_added_call_mb": max(per_call) if per_call else None,
        "rss_per_added_call_by_level_mb": per_call,
        "max_calls_within_targets": within,
        "rounds": rounds,
        "server": {f"{name}_{part}": final_metrics.get(f"langassist_{name}_{part}")
                   for name in ("decode_seconds", "assess_seconds", "pool_wait_seconds", "pool_job_seconds",
                                "final_latency_seconds") for part in ("count", "sum")}
        | {"note": "sums over the warm-up and every level"},
        "wall_s": time.perf_counter() - started,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    lines = [
        f"# Live capacity ({args.set}, {args.model}, {args.threads} threads, decode workers "
        f"{args.workers or 'auto'}, {args.clips_per_call} clips per call)",
        "",
        f"`python benchmarks/live_capacity.py --levels {args.levels}`; load average at the end "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.",
        "",
        "| calls | finals | end of speech -> final p50 | p95 | server RSS peak | WER |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rounds:
        lines.append(f"| {r['calls']} | {r['finals']} | {r['final_latency_p50_s']:.2f} s | "
                     f"{r['final_latency_p95_s']:.2f} s | {r['rss_peak_mb']:.0f} MB | {r['wer_mean']:.3f} |")
    per_added = document["rss_per_added_call_mb"]
    lines += ["", f"RSS with one model, idle: {document['rss_one_model_idle_mb']:.0f} MB; per added call: "
              f"{'n/a' if per_added is None else format(per_added, '.1f')} MB; most calls within the "
              f"latency targets: {within}."]
    markdown = "\n".join(lines) + "\n"
    args.out.with_suffix(".md").write_text(markdown, encoding="utf-8")
    print("\n" + markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
