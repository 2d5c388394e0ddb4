"""Render a :class:`~langassist.transcript.CallTranscript` as json, jsonl, vtt, srt or text."""

from __future__ import annotations

import json

from langassist.errors import ConfigError
from langassist.transcript import CallTranscript, final_to_dict

__all__ = ["FORMATS", "render"]

FORMATS = ("json", "jsonl", "vtt", "srt", "text")


def _timestamp(seconds: float, separator: str) -> str:
    milliseconds = int(round(max(0.0, seconds) * 1000))
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _top_language(final_language: dict[str, float] | None) -> str:
    if not final_language:
        return ""
    code, probability = next(iter(final_language.items()))
    return f" [{code} {probability:.2f}]"


def render(transcript: CallTranscript, fmt: str) -> str:
    """Render ``transcript`` in one of :data:`FORMATS`."""
    if fmt == "json":
        return json.dumps(transcript.to_dict(), ensure_ascii=False, indent=2) + "\n"
    utterances = transcript.utterances()
    if fmt == "jsonl":
        lines = []
        for utterance in utterances:
            row = {"call_id": transcript.call_id, "track": utterance.track, **final_to_dict(utterance)}
            lines.append(json.dumps(row, ensure_ascii=False))
        return "\n".join(lines) + ("\n" if lines else "")
    if fmt == "vtt":
        blocks = ["WEBVTT", ""]
        for utterance in utterances:
            blocks.append(
                f"{_timestamp(utterance.start_s, '.')} --> {_timestamp(utterance.end_s, '.')}"
            )
            blocks.append(f"<v {utterance.track}>{utterance.text}")
            blocks.append("")
        return "\n".join(blocks)
    if fmt == "srt":
        blocks = []
        for number, utterance in enumerate(utterances, start=1):
            blocks.append(str(number))
            blocks.append(
                f"{_timestamp(utterance.start_s, ',')} --> {_timestamp(utterance.end_s, ',')}"
            )
            blocks.append(f"[{utterance.track}] {utterance.text}")
            blocks.append("")
        return "\n".join(blocks)
    if fmt == "text":
        lines = [f"# {transcript.call_id} ({transcript.duration_s:.1f} s)"]
        for track in transcript.tracks:
            language = ""
            if track.language:
                language = ", ".join(f"{c} {p:.2f}" for c, p in track.language.head(3).probabilities)
                language = f"  language: {language}"
            lines.append(f"## {track.track}{language}")
        for utterance in utterances:
            top: dict[str, float] | None = None
            if utterance.language:
                top = dict(utterance.language.head(1).probabilities)
            lines.append(
                f"[{utterance.start_s:7.2f}-{utterance.end_s:7.2f}] {utterance.track:>8}: "
                f"{utterance.text}{_top_language(top)}"
            )
        return "\n".join(lines) + "\n"
    raise ConfigError(f"unknown output format {fmt!r}: choose one of {', '.join(FORMATS)}")
