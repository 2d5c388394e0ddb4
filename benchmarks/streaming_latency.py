"""Streaming latency: shared speech replayed in real time through the streaming ASR stage.

For each clip of a speech set (default ``speech-en-native``), the audio is padded with
1 s of silence before and after, cut into ``--chunk-s`` chunks and released at real
time (:func:`langassist.core.audio_replay.replay_audio_paced`, wall clock) into
:class:`langassist.stages.streaming_asr.StreamingAsrStage` with the Silero VAD. One
model is loaded (``--model``, default whisper-tiny.en, ``--threads`` 2) and shared by the
streaming transcriber (VAD off, temperature 0 only: the stage does the VAD) and the
offline one (project defaults), so they differ only in decoding options.

Measured:

- end of speech to final: wall time the final came out minus (stream start + the end
  of its last word), p50/p95 over all finals;
- first partial: wall time of the first partial (or final) after a speech start minus
  that start;
- compute: the stage's summed decode time over one offline pass's decode time on the
  same clips (``stages.asr.transcribe_track``);
- WER of the finals and of the offline pass against the references (Whisper English
  normalizer, corpus WER).

Usage::

    LANGASSIST_DATA_DIR=/work/shared/data nice python benchmarks/streaming_latency.py --clips 4

Writes ``benchmarks/results/streaming_latency.json`` (``--out``) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "streaming_latency.json"


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return float(np.percentile(np.asarray(values), q))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--set", default="speech-en-native")
    parser.add_argument("--clips", type=int, default=0, help="first N clips (0: all)")
    parser.add_argument("--model", default="whisper-tiny.en")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--chunk-s", type=float, default=0.1)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--set-option", action="append", default=[], metavar="KEY=VALUE",
                        help="streaming.* override, e.g. streaming.min_chunk_s=1.5")
    args = parser.parse_args(argv)

    from langassist import service
    from langassist.audio import decode
    from langassist.backends.faster_whisper import FasterWhisperTranscriber
    from langassist.core.audio_replay import replay_audio_paced
    from langassist.eval import load_speech_set, score_clip, score_corpus
    from langassist.stages.asr import transcribe_track
    from langassist.stages.streaming_asr import StreamingAsrStage, create_vad

    overrides: dict[str, Any] = {"asr.model": args.model, "asr.cpu_threads": args.threads}
    for item in args.set_option:
        key, _, value = item.partition("=")
        overrides[key] = value
    settings = service.load_settings(overrides=overrides)
    offline = service.create_transcriber(settings)
    if not isinstance(offline, FasterWhisperTranscriber):
        raise SystemExit("this benchmark needs the faster-whisper backend")
    streaming_options = dataclasses.replace(offline.options, vad_filter=False, temperatures=(0.0,))
    streamer = FasterWhisperTranscriber(
        offline.model_dir, name=offline.name, options=streaming_options, model=offline._model
    )
    language = "en" if not offline.multilingual else None
    guards = service.guard_options(settings)
    vad = create_vad(settings.streaming)
    items = load_speech_set(args.set, settings.data_dir)
    if args.clips:
        items = items[: args.clips]
    pad = np.zeros(16000, dtype=np.float32)
    warm = decode(items[0].audio_path).tracks
    offline.transcribe(next(iter(warm.values()))[:32000], language=language)

    rows: list[dict[str, Any]] = []
    finals_latency: list[float] = []
    first_partial: list[float] = []
    stream_scores = []
    offline_scores = []
    stream_compute = offline_compute = audio_total = 0.0
    for item in items:
        tracks = decode(item.audio_path).tracks
        samples = np.concatenate([pad, next(iter(tracks.values())), pad])
        started = time.perf_counter()
        result = transcribe_track(offline, samples, call_id=item.id, track="mixed", language=language, guards=guards)
        offline_wall = time.perf_counter() - started
        offline_text = " ".join(u.text for u in result.utterances)
        stage = StreamingAsrStage(streamer, vad=vad, settings=settings.streaming, language=language, guards=guards)
        replay = replay_audio_paced(stage, {"mixed": samples}, call_id=item.id, chunk_s=args.chunk_s)
        stream_text = " ".join(f.text for f in replay.finals)
        latencies = replay.final_latencies()
        partials = replay.first_partial_latencies()
        finals_latency.extend(latencies)
        first_partial.extend(partials)
        stream_scores.append(score_clip(item.reference, stream_text, language="en", id=item.id))
        offline_scores.append(score_clip(item.reference, offline_text, language="en", id=item.id))
        stream_compute += stage.stats.decode_s
        offline_compute += offline_wall
        audio_total += samples.size / 16000
        rows.append({
            "id": item.id,
            "audio_s": round(samples.size / 16000, 2),
            "finals": len(replay.finals),
            "final_latency_s": [round(x, 3) for x in latencies],
            "first_partial_s": [round(x, 3) for x in partials],
            "decodes": stage.stats.decodes,
            "tail_decodes": stage.stats.tail_decodes,
            "stream_decode_s": round(stage.stats.decode_s, 3),
            "offline_s": round(offline_wall, 3),
            "max_feed_lag_s": round(max(replay.feed_lag_s, default=0.0), 3),
            "max_buffer_s": round(stage.stats.max_buffer_s, 2),
            "stream_wer": stream_scores[-1].wer,
            "offline_wer": offline_scores[-1].wer,
            "stream_text": stream_text,
            "offline_text": offline_text,
        })
        print(f"{item.id}: finals {len(replay.finals)} latency {latencies} first partial {partials} "
              f"decode {stage.stats.decode_s:.2f}s vs offline {offline_wall:.2f}s", flush=True)

    stream_corpus = score_corpus(stream_scores)
    offline_corpus = score_corpus(offline_scores)
    summary = {
        "clips": len(items),
        "audio_s": round(audio_total, 2),
        "final_latency_p50_s": _percentile(finals_latency, 50),
        "final_latency_p95_s": _percentile(finals_latency, 95),
        "first_partial_p50_s": _percentile(first_partial, 50),
        "first_partial_p95_s": _percentile(first_partial, 95),
        "compute_ratio": round(stream_compute / offline_compute, 3) if offline_compute else None,
        "stream_decode_s": round(stream_compute, 3),
        "offline_s": round(offline_compute, 3),
        "stream_wer": stream_corpus.wer,
        "offline_wer": offline_corpus.wer,
    }
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    document = {
        "benchmark": "streaming_latency",
        "version": service.package_version(),
        "dataset": args.set,
        "model": args.model,
        "threads": args.threads,
        "chunk_s": args.chunk_s,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "load_average": load},
        "settings": {"streaming": dataclasses.asdict(settings.streaming), "asr": dataclasses.asdict(settings.asr)},
        "summary": summary,
        "clips": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2), encoding="utf-8")

    def fmt(value: float | None, digits: int = 2) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    print()
    print("| model | clips | final p50 s | final p95 s | first partial p50 s | compute vs offline | WER stream | WER offline |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {args.model} | {len(items)} | {fmt(summary['final_latency_p50_s'])} | "
          f"{fmt(summary['final_latency_p95_s'])} | {fmt(summary['first_partial_p50_s'])} | "
          f"{fmt(summary['compute_ratio'])}x | {fmt((stream_corpus.wer or 0) * 100, 1)} % | "
          f"{fmt((offline_corpus.wer or 0) * 100, 1)} % |")
    print(f"\nload average {load}; results in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
