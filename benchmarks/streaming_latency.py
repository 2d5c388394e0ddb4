"""Streaming latency: shared speech replayed in real time through streaming recognizers.

For each clip of a speech set (default ``speech-en-native``), the audio is padded with
1 s of silence before and after, cut into ``--chunk-s`` chunks and released at real
time (wall clock, in process) into

- ``langassist``: :class:`langassist.stages.streaming_asr.StreamingAsrStage` with the
  Silero VAD, under :func:`langassist.core.audio_replay.replay_audio_paced` (the
  driver the server's sessions use), with the partial and final transcribers of
  :func:`langassist.stages.streaming_asr.streaming_transcribers`;
- each ``--peer`` (``whisperlivekit``: its LocalAgreement policy and faster-whisper
  backend, see ``streaming_peers.py``), one after the other, on the same clips.

One model is loaded (``--model``, default whisper-tiny.en, ``--threads`` 2) and shared by
every system and by the offline pass (project defaults, ``stages.asr.transcribe_track``).

Measured per system, against reference speech spans (faster-whisper's Silero
``get_speech_timestamps`` on the clip, 400 ms minimum silence), each output word going to
the span its middle falls in:

- end of speech to final: when the last word of a span was final (never to be revised)
  minus the span's end, p50/p95 over spans;
- first partial: when the first word of a span was shown (partial or final) minus the
  span's start;
- compute: summed decode time over one offline pass's time on the same clips;
- WER of the finals and of the offline pass against the references (Whisper English
  normalizer, corpus WER).

For ``langassist`` the stage's own measure (final out minus the end of its last word)
is reported too. Usage (one line; saves JSON and Markdown next to ``--out``)::

    LANGASSIST_DATA_DIR=/work/shared/data python benchmarks/streaming_latency.py --peer whisperlivekit
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from streaming_peers import TimedWords, Trace, run_whisperlivekit, whisperlivekit_version  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "streaming_latency.json"
PEERS = ("whisperlivekit",)
SPAN_SLACK_S = 0.5
"""A word whose middle is within this of a span (and nearer it than any other) belongs to it."""


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return round(float(np.percentile(np.asarray(values), q)), 3)


def reference_spans(samples: np.ndarray) -> list[tuple[float, float]]:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=400, speech_pad_ms=0, min_speech_duration_ms=150)
    return [(s["start"] / 16000, s["end"] / 16000) for s in get_speech_timestamps(samples, options)]


def span_of(word: tuple[float, float, str], spans: list[tuple[float, float]]) -> int | None:
    middle = (word[0] + word[1]) / 2
    best, distance = None, SPAN_SLACK_S
    for index, (start, end) in enumerate(spans):
        gap = 0.0 if start <= middle <= end else min(abs(middle - start), abs(middle - end))
        if gap <= distance:
            best, distance = index, gap
    return best


def span_latencies(outputs: list[TimedWords], spans: list[tuple[float, float]]) -> tuple[list[float], list[float], int]:
    """(end of speech to final per span, first partial per span, spans never finalized)."""
    first_shown: dict[int, float] = {}
    last_final: dict[int, float] = {}
    for out in outputs:
        for word in out.words:
            index = span_of(word, spans)
            if index is None:
                continue
            first_shown.setdefault(index, out.wall_s)
            if out.final:
                last_final[index] = out.wall_s
    finals = [last_final[i] - spans[i][1] for i in sorted(last_final)]
    firsts = [first_shown[i] - spans[i][0] for i in sorted(first_shown)]
    return finals, firsts, len(spans) - len(last_final)


def langassist_trace(replay: Any) -> Trace:
    from langassist.events import TranscriptFinal, TranscriptPartial

    trace = Trace(max_lag_s=max(replay.feed_lag_s, default=0.0))
    for timed in replay.events:
        event = timed.event
        if isinstance(event, TranscriptPartial | TranscriptFinal):
            trace.outputs.append(TimedWords(
                timed.wall_s, isinstance(event, TranscriptFinal),
                tuple((w.start_s, w.end_s, w.text) for w in event.words),
            ))
    return trace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--set", default="speech-en-native")
    parser.add_argument("--clips", type=int, default=0, help="first N clips (0: all)")
    parser.add_argument("--model", default="whisper-tiny.en")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--chunk-s", type=float, default=0.1)
    parser.add_argument("--peer", action="append", default=[], choices=PEERS,
                        help="also run this peer on the same clips (repeatable)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--set-option", action="append", default=[], metavar="KEY=VALUE",
                        help="settings override, e.g. streaming.min_chunk_s=1.5")
    args = parser.parse_args(argv)

    from langassist import service
    from langassist.audio import decode
    from langassist.backends.faster_whisper import FasterWhisperTranscriber
    from langassist.core.audio_replay import replay_audio_paced
    from langassist.eval import load_speech_set, score_clip, score_corpus
    from langassist.stages.asr import transcribe_track
    from langassist.stages.streaming_asr import (
        StreamingAsrStage,
        create_vad,
        streaming_transcribers,
    )

    overrides: dict[str, Any] = {"asr.model": args.model, "asr.cpu_threads": args.threads}
    for item in args.set_option:
        key, _, value = item.partition("=")
        overrides[key] = value
    settings = service.load_settings(overrides=overrides)
    offline = service.create_transcriber(settings)
    if not isinstance(offline, FasterWhisperTranscriber):
        raise SystemExit("this benchmark needs the faster-whisper backend")
    partial_engine, final_engine = streaming_transcribers(offline, settings.streaming)
    language = "en" if not offline.multilingual else None
    guards = service.guard_options(settings)
    vad = create_vad(settings.streaming)
    items = load_speech_set(args.set, settings.data_dir)
    if args.clips:
        items = items[: args.clips]
    pad = np.zeros(16000, dtype=np.float32)
    clips = [(item, np.concatenate([pad, next(iter(decode(item.audio_path).tracks.values())), pad]))
             for item in items]
    offline.transcribe(clips[0][1][:32000], language=language)  # warm up
    final_engine.transcribe(clips[0][1][:32000], language=language)

    systems = ["langassist", *dict.fromkeys(args.peer)]
    per: dict[str, dict[str, Any]] = {
        name: {"final": [], "first": [], "missed": 0, "scores": [], "compute": 0.0, "decodes": 0, "rows": []}
        for name in systems
    }
    stage_final_latency: list[float] = []
    offline_scores = []
    offline_rows: list[dict[str, Any]] = []
    offline_compute = audio_total = 0.0
    spans_total = 0
    for item, samples in clips:
        spans = reference_spans(samples)
        spans_total += len(spans)
        started = time.perf_counter()
        result = transcribe_track(offline, samples, call_id=item.id, track="mixed", language=language, guards=guards)
        offline_wall = time.perf_counter() - started
        offline_text = " ".join(u.text for u in result.utterances)
        offline_scores.append(score_clip(item.reference, offline_text, language="en", id=item.id))
        offline_rows.append({"id": item.id, "wer": offline_scores[-1].wer, "text": offline_text,
                             "compute_s": round(offline_wall, 3)})
        offline_compute += offline_wall
        audio_total += samples.size / 16000
        for name in systems:
            extra: dict[str, Any] = {}
            if name == "langassist":
                stage = StreamingAsrStage(partial_engine, vad=vad, settings=settings.streaming, language=language,
                                          guards=guards, final_transcriber=final_engine)
                replay = replay_audio_paced(stage, {"mixed": samples}, call_id=item.id, chunk_s=args.chunk_s)
                trace = langassist_trace(replay)
                trace.decode_s, trace.decodes = stage.stats.decode_s, stage.stats.decodes
                stage_final_latency.extend(replay.final_latencies())
                extra = {"finals": len(replay.finals), "stage_final_latency_s": [round(x, 3) for x in replay.final_latencies()],
                         "final_decodes_at_end": stage.stats.tail_decodes,
                         "early_final_decodes": stage.stats.early_final_decodes,
                         "skipped_no_speech": stage.stats.skipped_no_speech,
                         "max_buffer_s": round(stage.stats.max_buffer_s, 2)}
            else:
                trace = run_whisperlivekit(offline._model, samples, language="en", chunk_s=args.chunk_s)
            finals, firsts, missed = span_latencies(trace.outputs, spans)
            text = trace.final_text
            score = score_clip(item.reference, text, language="en", id=item.id)
            bucket = per[name]
            bucket["final"].extend(finals)
            bucket["first"].extend(firsts)
            bucket["missed"] += missed
            bucket["scores"].append(score)
            bucket["compute"] += trace.decode_s
            bucket["decodes"] += trace.decodes
            bucket["rows"].append({
                "id": item.id, "spans": len(spans),
                "final_latency_s": [round(x, 3) for x in finals],
                "first_partial_s": [round(x, 3) for x in firsts],
                "missed_spans": missed, "decodes": trace.decodes, "decode_s": round(trace.decode_s, 3),
                "max_feed_lag_s": round(trace.max_lag_s, 3), "wer": score.wer, "text": text, **extra,
            })
            print(f"{item.id} {name}: final {[round(x, 2) for x in finals]} first {[round(x, 2) for x in firsts]} "
                  f"decode {trace.decode_s:.2f}s ({trace.decodes}) vs offline {offline_wall:.2f}s wer {score.wer}",
                  flush=True)

    offline_corpus = score_corpus(offline_scores)
    summaries: dict[str, dict[str, Any]] = {}
    for name in systems:
        bucket = per[name]
        corpus = score_corpus(bucket["scores"])
        summaries[name] = {
            "final_latency_p50_s": _percentile(bucket["final"], 50),
            "final_latency_p95_s": _percentile(bucket["final"], 95),
            "first_partial_p50_s": _percentile(bucket["first"], 50),
            "first_partial_p95_s": _percentile(bucket["first"], 95),
            "spans_never_final": bucket["missed"],
            "compute_ratio": round(bucket["compute"] / offline_compute, 3) if offline_compute else None,
            "decode_s": round(bucket["compute"], 3),
            "decodes": bucket["decodes"],
            "wer": corpus.wer,
        }
    summaries["langassist"]["stage_final_latency_p50_s"] = _percentile(stage_final_latency, 50)
    summaries["langassist"]["stage_final_latency_p95_s"] = _percentile(stage_final_latency, 95)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    document = {
        "benchmark": "streaming_latency",
        "version": service.package_version(),
        "dataset": args.set,
        "model": args.model,
        "threads": args.threads,
        "chunk_s": args.chunk_s,
        "driver": "in-process real-time replay (wall clock), one clip at a time, systems one after the other",
        "peers": {"whisperlivekit": whisperlivekit_version()} if "whisperlivekit" in systems else {},
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "load_average_at_end": load},
        "settings": {"streaming": dataclasses.asdict(settings.streaming), "asr": dataclasses.asdict(settings.asr)},
        "clips": len(items),
        "audio_s": round(audio_total, 2),
        "reference_spans": spans_total,
        "offline": {"compute_s": round(offline_compute, 3), "wer": offline_corpus.wer},
        "summary": summaries,
        "per_clip": {"offline": offline_rows, **{name: per[name]["rows"] for name in systems}},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2), encoding="utf-8")

    def fmt(value: float | None, digits: int = 2) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    lines = [
        f"# Streaming latency ({len(items)} clips of {args.set}, {audio_total:.0f} s, {args.model}, "
        f"{args.threads} threads, chunk {args.chunk_s} s)",
        "",
        f"In-process real-time replay; load average at the end {tuple(round(x, 1) for x in load) if load else '-'} "
        f"on {os.cpu_count()} CPUs. Offline pass: {offline_compute:.1f} s, WER "
        f"{fmt((offline_corpus.wer or 0) * 100, 1)} %.",
        "",
        "| system | end of speech to final p50 s | p95 s | first partial p50 s | p95 s | spans never final "
        "| compute vs offline | decodes | WER stream | WER offline |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in systems:
        s = summaries[name]
        label = name if name == "langassist" else f"{name} {whisperlivekit_version() or ''}".strip()
        lines.append(
            f"| {label} | {fmt(s['final_latency_p50_s'])} | {fmt(s['final_latency_p95_s'])} | "
            f"{fmt(s['first_partial_p50_s'])} | {fmt(s['first_partial_p95_s'])} | {s['spans_never_final']} | "
            f"{fmt(s['compute_ratio'])}x | {s['decodes']} | {fmt((s['wer'] or 0) * 100, 1)} % | "
            f"{fmt((offline_corpus.wer or 0) * 100, 1)} % |"
        )
    lines += ["", f"langassist stage measure (final out minus its last word's end): p50 "
              f"{fmt(summaries['langassist']['stage_final_latency_p50_s'])} s, p95 "
              f"{fmt(summaries['langassist']['stage_final_latency_p95_s'])} s.", "",
              "Command: `python benchmarks/streaming_latency.py "
              + " ".join(argv if argv is not None else sys.argv[1:]) + "`"]
    markdown = "\n".join(lines) + "\n"
    args.out.with_suffix(".md").write_text(markdown, encoding="utf-8")
    print()
    print(markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
