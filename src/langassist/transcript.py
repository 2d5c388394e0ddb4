"""Call transcripts: the per-track utterances of one call, and their JSON form.

A :class:`CallTranscript` is what ``langassist transcribe`` produces and what
``langassist assess`` reads back. The JSON document is versioned
(``"schema": "langassist.transcript/1"``). Chat logs (JSONL lines with ``speaker``,
``text`` and an optional ``time``) load into the same type with ``source="chat"``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langassist.errors import TranscriptFormatError
from langassist.events import AGENT, CUSTOMER, LanguageDistribution, TranscriptFinal, Word

__all__ = [
    "SCHEMA",
    "CallTranscript",
    "TrackTranscript",
    "final_from_dict",
    "final_to_dict",
    "load_transcript",
]

SCHEMA = "langassist.transcript/1"
_SPEAKER_ALIASES = {
    "agent": AGENT, "assistant": AGENT, "system": AGENT, "operator": AGENT, "support": AGENT,
    "customer": CUSTOMER, "user": CUSTOMER, "client": CUSTOMER, "caller": CUSTOMER,
}


@dataclass(frozen=True, slots=True)
class TrackTranscript:
    """All final utterances of one track, in time order."""

    track: str
    utterances: tuple[TranscriptFinal, ...]
    language: LanguageDistribution | None = None
    duration_s: float = 0.0
    speech_s: float = 0.0
    decode_s: float = 0.0
    notes: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return " ".join(utterance.text for utterance in self.utterances)


@dataclass(frozen=True, slots=True)
class CallTranscript:
    """A whole call: its tracks plus what produced them."""

    call_id: str
    tracks: tuple[TrackTranscript, ...]
    source: str | None = None
    duration_s: float = 0.0
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def track(self, name: str) -> TrackTranscript | None:
        for track in self.tracks:
            if track.track == name:
                return track
        return None

    def utterances(self) -> list[TranscriptFinal]:
        """Every utterance of every track, ordered by start time then track."""
        merged = [utterance for track in self.tracks for utterance in track.utterances]
        return sorted(merged, key=lambda u: (u.start_s, u.end_s, u.track))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "call_id": self.call_id,
            "source": self.source,
            "duration_s": round(self.duration_s, 3),
            "metadata": dict(self.metadata),
            "tracks": [
                {
                    "track": track.track,
                    "language": _language_to_dict(track.language),
                    "duration_s": round(track.duration_s, 3),
                    "speech_s": round(track.speech_s, 3),
                    "decode_s": round(track.decode_s, 3),
                    "notes": list(track.notes),
                    "utterances": [final_to_dict(u) for u in track.utterances],
                }
                for track in self.tracks
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CallTranscript:
        if data.get("schema") != SCHEMA:
            raise TranscriptFormatError(
                f"unsupported transcript schema {data.get('schema')!r}: expected {SCHEMA!r}"
            )
        try:
            call_id = str(data["call_id"])
            tracks = tuple(
                TrackTranscript(
                    track=str(track["track"]),
                    utterances=tuple(
                        final_from_dict(u, call_id=call_id, track=str(track["track"]))
                        for u in track.get("utterances", ())
                    ),
                    language=_language_from_dict(track.get("language")),
                    duration_s=float(track.get("duration_s", 0.0)),
                    speech_s=float(track.get("speech_s", 0.0)),
                    decode_s=float(track.get("decode_s", 0.0)),
                    notes=tuple(track.get("notes", ())),
                )
                for track in data["tracks"]
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise TranscriptFormatError(f"malformed transcript document: {exc}") from exc
        return cls(
            call_id=call_id,
            tracks=tracks,
            source=data.get("source"),
            duration_s=float(data.get("duration_s", 0.0)),
            metadata=dict(data.get("metadata") or {}),
        )

    @classmethod
    def from_chat(cls, lines: Iterable[Mapping[str, Any]], *, call_id: str) -> CallTranscript:
        """Build a transcript from chat messages (``speaker``, ``text``, optional ``time``).

        Messages without a time are spaced 5 s apart after the previous one.
        """
        per_track: dict[str, list[TranscriptFinal]] = {}
        clock = 0.0
        for number, message in enumerate(lines, start=1):
            if not isinstance(message, Mapping):
                raise TranscriptFormatError(f"chat line {number}: expected an object")
            speaker_raw = str(message.get("speaker", message.get("role", ""))).strip().lower()
            speaker = _SPEAKER_ALIASES.get(speaker_raw)
            if speaker is None:
                raise TranscriptFormatError(
                    f"chat line {number}: speaker {speaker_raw!r} is not agent or customer"
                )
            text = message.get("text")
            if not isinstance(text, str):
                raise TranscriptFormatError(f"chat line {number}: 'text' must be a string")
            time_value = message.get("time", message.get("start_s"))
            try:
                start = float(time_value) if time_value is not None else clock
            except (TypeError, ValueError) as exc:
                raise TranscriptFormatError(f"chat line {number}: bad time {time_value!r}") from exc
            end = float(message.get("end_s", start))
            clock = max(clock, end) + 5.0
            utterances = per_track.setdefault(speaker, [])
            utterances.append(
                TranscriptFinal(
                    call_id=call_id,
                    track=speaker,
                    utterance_id=f"{speaker}-{len(utterances) + 1:04d}",
                    start_s=start,
                    end_s=end,
                    text=text.strip(),
                    source="chat",
                )
            )
        if not per_track:
            raise TranscriptFormatError("chat log holds no messages")
        tracks = tuple(
            TrackTranscript(track=name, utterances=tuple(sorted(items, key=lambda u: u.start_s)))
            for name, items in sorted(per_track.items())
        )
        end_time = max(u.end_s for track in tracks for u in track.utterances)
        return cls(call_id=call_id, tracks=tracks, source=None, duration_s=end_time,
                   metadata={"kind": "chat"})


def final_to_dict(final: TranscriptFinal) -> dict[str, Any]:
    return {
        "id": final.utterance_id,
        "start_s": round(final.start_s, 3),
        "end_s": round(final.end_s, 3),
        "text": final.text,
        "source": final.source,
        "avg_logprob": _round(final.avg_logprob),
        "no_speech_prob": _round(final.no_speech_prob),
        "compression_ratio": _round(final.compression_ratio),
        "language": _language_to_dict(final.language),
        "words": [
            [round(w.start_s, 3), round(w.end_s, 3), w.text, round(w.probability, 4)]
            for w in final.words
        ],
    }


def final_from_dict(data: Mapping[str, Any], *, call_id: str, track: str) -> TranscriptFinal:
    return TranscriptFinal(
        call_id=call_id,
        track=track,
        utterance_id=str(data["id"]),
        start_s=float(data["start_s"]),
        end_s=float(data["end_s"]),
        text=str(data["text"]),
        words=tuple(
            Word(start_s=float(w[0]), end_s=float(w[1]), text=str(w[2]), probability=float(w[3]))
            for w in data.get("words", ())
        ),
        avg_logprob=_optional_float(data.get("avg_logprob")),
        no_speech_prob=_optional_float(data.get("no_speech_prob")),
        compression_ratio=_optional_float(data.get("compression_ratio")),
        language=_language_from_dict(data.get("language")),
        source="chat" if data.get("source") == "chat" else "asr",
    )


def load_transcript(path: str | Path) -> CallTranscript:
    """Read a transcript JSON (``langassist transcribe --format json``) or a chat JSONL."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise TranscriptFormatError(f"{path}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise TranscriptFormatError(f"{path}: not UTF-8 text") from exc
    stripped = raw.strip()
    if not stripped:
        raise TranscriptFormatError(f"{path}: file is empty")
    if stripped.startswith("{") and path.suffix != ".jsonl":
        try:
            document = json.loads(stripped)
        except json.JSONDecodeError:
            document = None
        if isinstance(document, dict) and "schema" in document:
            return CallTranscript.from_dict(document)
    messages = []
    for number, line in enumerate(stripped.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            messages.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise TranscriptFormatError(f"{path}: line {number} is not JSON: {exc.msg}") from exc
    return CallTranscript.from_chat(messages, call_id=path.stem)


def _language_to_dict(distribution: LanguageDistribution | None) -> dict[str, float] | None:
    if distribution is None:
        return None
    return {code: round(p, 4) for code, p in distribution.head(10).probabilities}


def _language_from_dict(data: Any) -> LanguageDistribution | None:
    if not data:
        return None
    return LanguageDistribution.from_mapping({str(k): float(v) for k, v in dict(data).items()})


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)
