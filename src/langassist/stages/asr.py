"""Offline ASR over one track: blocks of audio -> transcriber -> guards -> finals.

A track is fed to the transcriber in blocks of at most ``BLOCK_S`` seconds, cut at the
quietest 100 ms near each boundary, so memory stays bounded and progress can be
reported. Every block's segments pass the hallucination and repetition guards
(:mod:`langassist.asr_guards`); segments that continue each other (no sentence end,
little silence between them) are then joined (:mod:`langassist.asr_merge`), and each
becomes a :class:`TranscriptFinal` event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from langassist.asr_guards import GuardOptions, apply_guards
from langassist.asr_merge import MergeOptions, merge_continuations
from langassist.backends.base import Segment, Transcriber, Transcription
from langassist.events import LanguageDistribution, TranscriptFinal
from langassist.transcript import TrackTranscript

__all__ = ["BLOCK_S", "plan_blocks", "transcribe_track", "transcribe_tracks"]

SAMPLE_RATE_HZ = 16000
BLOCK_S = 120.0
_SEARCH_S = 5.0
_FRAME_S = 0.1

ProgressCallback = Callable[[float], None]


def plan_blocks(samples: np.ndarray, block_s: float = BLOCK_S) -> list[tuple[int, int]]:
    """Cut ``samples`` into blocks near ``block_s`` long, each cut at a quiet frame."""
    total = int(samples.size)
    block = int(block_s * SAMPLE_RATE_HZ)
    if total <= block:
        return [(0, total)] if total else []
    frame = int(_FRAME_S * SAMPLE_RATE_HZ)
    search = int(_SEARCH_S * SAMPLE_RATE_HZ)
    blocks: list[tuple[int, int]] = []
    start = 0
    while total - start > block:
        target = start + block
        low, high = max(start + frame, target - search), min(total - frame, target + search)
        best, best_energy = target, float("inf")
        for position in range(low, high, frame):
            energy = float(np.mean(np.square(samples[position:position + frame])))
            if energy < best_energy:
                best, best_energy = position + frame // 2, energy
        blocks.append((start, best))
        start = best
    blocks.append((start, total))
    return blocks


def _to_final(segment: Segment, *, call_id: str, track: str, number: int) -> TranscriptFinal:
    return TranscriptFinal(
        call_id=call_id,
        track=track,
        utterance_id=f"{track}-{number:04d}",
        start_s=segment.start_s,
        end_s=segment.end_s,
        text=segment.text.strip(),
        words=segment.words,
        avg_logprob=segment.avg_logprob,
        no_speech_prob=segment.no_speech_prob,
        compression_ratio=segment.compression_ratio,
        language=segment.language,
        source="asr",
    )


def transcribe_track(
    transcriber: Transcriber,
    samples: np.ndarray,
    *,
    call_id: str,
    track: str,
    language: str | None = None,
    guards: GuardOptions | None = None,
    merge: MergeOptions | None = None,
    on_progress: ProgressCallback | None = None,
    block_s: float = BLOCK_S,
) -> TrackTranscript:
    """Transcribe one track of 16 kHz mono audio into guarded final utterances.

    Args:
        merge: when consecutive segments become one utterance (``None``: the defaults).
        on_progress: called with the seconds of audio done after each block.
    """
    results = []
    for start, end in plan_blocks(samples, block_s):
        results.append(transcriber.transcribe(
            samples[start:end], language=language, offset_s=start / SAMPLE_RATE_HZ
        ))
        if on_progress is not None:
            on_progress(end / SAMPLE_RATE_HZ)
    return _assemble(results, samples, call_id=call_id, track=track, guards=guards, merge=merge)


def transcribe_tracks(
    transcriber: Transcriber,
    tracks: Mapping[str, np.ndarray],
    *,
    call_id: str,
    language: str | None = None,
    guards: GuardOptions | None = None,
    merge: MergeOptions | None = None,
    on_progress: ProgressCallback | None = None,
    block_s: float = BLOCK_S,
) -> list[TrackTranscript]:
    """Transcribe every track of a call, as :func:`transcribe_track` does each one.

    A transcriber with ``transcribe_many`` gets the blocks of all tracks in one call, so
    it can decode windows of both channels together (``asr.batch_size``); others get
    them track by track.

    Args:
        on_progress: called with the seconds of audio done, over all tracks.
    """
    many = getattr(transcriber, "transcribe_many", None)
    if many is None:
        out: list[TrackTranscript] = []
        done_before = 0.0
        for name, samples in tracks.items():
            def progress(seconds: float, base: float = done_before) -> None:
                if on_progress is not None:
                    on_progress(base + seconds)

            out.append(transcribe_track(
                transcriber, samples, call_id=call_id, track=name, language=language,
                guards=guards, merge=merge, on_progress=progress, block_s=block_s,
            ))
            done_before += samples.size / SAMPLE_RATE_HZ
        return out
    pieces = [
        (name, start, end)
        for name, samples in tracks.items()
        for start, end in plan_blocks(samples, block_s)
    ]
    done = [0.0]

    def finished(index: int) -> None:
        _, start, end = pieces[index]
        done[0] += (end - start) / SAMPLE_RATE_HZ
        if on_progress is not None:
            on_progress(done[0])

    results = many(
        [tracks[name][start:end] for name, start, end in pieces],
        language=language,
        offsets_s=[start / SAMPLE_RATE_HZ for _, start, _ in pieces],
        on_done=finished,
    )
    return [
        _assemble(
            [result for (piece, result) in zip(pieces, results, strict=True) if piece[0] == name],
            samples, call_id=call_id, track=name, guards=guards, merge=merge,
        )
        for name, samples in tracks.items()
    ]


def _assemble(
    results: list[Transcription],
    samples: np.ndarray,
    *,
    call_id: str,
    track: str,
    guards: GuardOptions | None,
    merge: MergeOptions | None = None,
) -> TrackTranscript:
    """A track's block results, guarded, as one transcript (continuations joined)."""
    notes: list[str] = []
    speech_s = decode_s = 0.0
    weighted: dict[str, float] = {}
    weight = 0.0
    kept: list[Segment] = []
    for result in results:
        speech_s += result.speech_s
        decode_s += result.decode_s
        notes.extend(result.dropped)
        guarded = apply_guards(result.segments, guards)
        notes.extend(guarded.notes)
        kept.extend(guarded.segments)
        for segment in guarded.segments:
            if segment.language is not None:
                seconds = max(0.1, segment.end_s - segment.start_s)
                weight += seconds
                for code, probability in segment.language.probabilities:
                    weighted[code] = weighted.get(code, 0.0) + probability * seconds
    finals = [
        _to_final(segment, call_id=call_id, track=track, number=number)
        for number, segment in enumerate(merge_continuations(kept, merge), start=1)
    ]
    language_distribution = (
        LanguageDistribution.from_mapping({k: v / weight for k, v in weighted.items()}).head(10)
        if weight
        else None
    )
    return TrackTranscript(
        track=track,
        utterances=tuple(finals),
        language=language_distribution,
        duration_s=samples.size / SAMPLE_RATE_HZ,
        speech_s=speech_s,
        decode_s=decode_s,
        notes=tuple(notes),
    )
