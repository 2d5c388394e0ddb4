"""A live-API client: replay a recording to ``langassist serve`` as a phone platform would.

:func:`replay` streams the tracks of a call in real time (paced by the clock, ``speed``
times faster for tests), over the native socket (``/v1/stream``: JSON ``start``, binary
frames of one track-index byte + PCM16 LE, ``stop``) or the Twilio Media Streams socket
(``/v1/twilio``: ``connected``/``start``/``media``/``stop`` text frames, base64 μ-law at
8 kHz, ``inbound`` = customer and ``outbound`` = agent, the token in
``start.customParameters`` because Twilio sends no headers). Meanwhile it listens to the
call's events socket and records when each partial and final arrives.

Latency is measured in wall seconds from the moment the client had sent the audio up to
an audio time ``t`` (``t0 + t / speed``) to the arrival of an event about it:

* ``final_latency_s``: end of speech (the final's ``end_s``) to the final's arrival;
* ``first_partial_latency_s``: start of speech (the utterance's ``start_s``) to the
  first partial (or the final, when no partial came first).

Only the standard library, NumPy, ``websockets`` and :mod:`langassist.audio` are used,
so benchmarks import this module without FastAPI. :class:`TwilioMessages` builds the
exact Twilio message shapes and is shared with the protocol tests.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import statistics
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import numpy.typing as npt

__all__ = [
    "CallAudio",
    "ReplayError",
    "ReplayReport",
    "TwilioMessages",
    "UtteranceTiming",
    "load_call_audio",
    "native_frames",
    "replay",
    "replay_file",
    "websocket_url",
]

FloatArray = npt.NDArray[np.float32]
Protocol = Literal["native", "twilio"]

FRAME_MS = 20
"""One message per track every 20 ms (Twilio's cadence: 160 μ-law bytes)."""
TWILIO_TRACK_OF = {"customer": "inbound", "agent": "outbound", "mixed": "inbound"}
"""Our track names -> Twilio's (inbound: caller to Twilio; outbound: the agent side)."""


class ReplayError(RuntimeError):
    """The server refused or dropped the replay (the message says how)."""


# --------------------------------------------------------------------------- audio


@dataclass(frozen=True)
class CallAudio:
    """The tracks of one call at ``sample_rate_hz`` (float32 in [-1, 1], equal lengths)."""

    tracks: Mapping[str, FloatArray]
    sample_rate_hz: int = 16000

    @property
    def duration_s(self) -> float:
        return max((t.size for t in self.tracks.values()), default=0) / self.sample_rate_hz


def load_call_audio(path: str | Path, *, agent_channel: Literal["left", "right"] = "left") -> CallAudio:
    """Decode a recording: stereo gives agent + customer (``agent_channel`` says which is
    the agent), mono one ``mixed`` track, at 16 kHz.

    Raises:
        AudioFormatError: the file cannot be used.
        ValueError: more than two channels.
    """
    from langassist.audio import decode
    from langassist.config import AudioSettings

    names = ("agent", "customer") if agent_channel == "left" else ("customer", "agent")
    decoded = decode(path, settings=AudioSettings(channel_tracks=names))
    if decoded.channels > 2:
        raise ValueError(f"{path}: {decoded.channels} channels; give a mono or stereo call")
    order = [n for n in ("agent", "customer", "mixed") if n in decoded.tracks]
    return CallAudio({name: np.asarray(decoded.tracks[name], dtype=np.float32) for name in order},
                     decoded.sample_rate_hz)


def _pcm16(samples: FloatArray) -> bytes:
    return bytes(np.round(np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes())


def native_frames(audio: CallAudio, sample_rate_hz: int = 16000,
                  frame_ms: int = FRAME_MS) -> Iterator[tuple[float, bytes]]:
    """``(audio end time, binary frame)`` for the native socket, tracks interleaved per frame."""
    from langassist.audio import resample

    names = list(audio.tracks)
    tracks = [audio.tracks[n] if sample_rate_hz == audio.sample_rate_hz
              else resample(audio.tracks[n], audio.sample_rate_hz, sample_rate_hz) for n in names]
    step = sample_rate_hz * frame_ms // 1000
    total = max(t.size for t in tracks)
    for start in range(0, total, step):
        end_s = min(start + step, total) / sample_rate_hz
        for index, samples in enumerate(tracks):
            piece = samples[start:start + step]
            if piece.size:
                yield end_s, bytes([index]) + _pcm16(piece)


@dataclass
class TwilioMessages:
    """The messages Twilio Media Streams sends for one stream (shapes of the Twilio docs;
    numbers are strings). ``sequenceNumber`` is global, ``chunk`` counts per track, and
    ``timestamp`` is milliseconds from the stream start."""

    call_sid: str
    tracks: Sequence[str] = ("inbound",)
    custom_parameters: Mapping[str, str] = field(default_factory=dict)
    stream_sid: str = field(default_factory=lambda: "MZ" + secrets.token_hex(16))
    account_sid: str = "AC" + "0" * 32
    sequence: int = 0
    chunks: dict[str, int] = field(default_factory=dict)

    def _next(self) -> str:
        self.sequence += 1
        return str(self.sequence)

    @staticmethod
    def connected() -> dict[str, Any]:
        return {"event": "connected", "protocol": "Call", "version": "1.0.0"}

    def start(self) -> dict[str, Any]:
        return {"event": "start", "sequenceNumber": self._next(), "streamSid": self.stream_sid,
                "start": {"streamSid": self.stream_sid, "accountSid": self.account_sid,
                          "callSid": self.call_sid, "tracks": list(self.tracks),
                          "customParameters": dict(self.custom_parameters),
                          "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}}

    def media(self, track: str, codes: bytes, timestamp_ms: int | None = None) -> dict[str, Any]:
        chunk = self.chunks.get(track, 0) + 1
        self.chunks[track] = chunk
        stamp = (chunk - 1) * FRAME_MS if timestamp_ms is None else timestamp_ms
        return {"event": "media", "sequenceNumber": self._next(), "streamSid": self.stream_sid,
                "media": {"track": track, "chunk": str(chunk), "timestamp": str(stamp),
                          "payload": base64.b64encode(codes).decode("ascii")}}

    def mark(self, name: str) -> dict[str, Any]:
        return {"event": "mark", "sequenceNumber": self._next(), "streamSid": self.stream_sid,
                "mark": {"name": name}}

    def stop(self) -> dict[str, Any]:
        return {"event": "stop", "sequenceNumber": self._next(), "streamSid": self.stream_sid,
                "stop": {"accountSid": self.account_sid, "callSid": self.call_sid}}

    def media_stream(self, audio: CallAudio) -> Iterator[tuple[float, dict[str, Any]]]:
        """``(audio end time, media message)`` for every 20 ms of every track, interleaved."""
        from langassist.audio import resample
        from langassist.g711 import mulaw_encode

        names = list(audio.tracks)
        codes = {}
        for name in names:
            samples = audio.tracks[name]
            at_8k = samples if audio.sample_rate_hz == 8000 else resample(samples, audio.sample_rate_hz, 8000)
            codes[name] = mulaw_encode(np.round(np.clip(at_8k, -1.0, 1.0) * 32767).astype(np.int16)).tobytes()
        step = 8000 * FRAME_MS // 1000
        total = max(len(c) for c in codes.values())
        for start in range(0, total, step):
            end_s = min(start + step, total) / 8000
            for name in names:
                piece = codes[name][start:start + step]
                if piece:
                    yield end_s, self.media(TWILIO_TRACK_OF[name], piece, start // 8)


# --------------------------------------------------------------------------- report


@dataclass
class UtteranceTiming:
    """One final utterance and when its events arrived (see the module docstring)."""

    utterance_id: str
    track: str
    start_s: float
    end_s: float
    text: str
    partials: int
    final_latency_s: float
    first_partial_latency_s: float | None


@dataclass
class ReplayReport:
    """What one replay sent and saw."""

    call_id: str
    protocol: str
    speed: float
    audio_s: float
    wall_s: float
    sent_messages: int
    utterances: list[UtteranceTiming]
    suggestions: list[dict[str, Any]]
    events: dict[str, int]
    summary: dict[str, Any] | None
    complete: bool
    """``True`` when the call's ``CallSummary`` arrived before the drain timeout."""

    def latency_stats(self) -> dict[str, float | None]:
        finals = [u.final_latency_s for u in self.utterances]
        firsts = [u.first_partial_latency_s for u in self.utterances if u.first_partial_latency_s is not None]
        return {"final_p50_s": _quantile(finals, 0.5), "final_p95_s": _quantile(finals, 0.95),
                "final_max_s": max(finals, default=None),
                "first_partial_p50_s": _quantile(firsts, 0.5), "first_partial_p95_s": _quantile(firsts, 0.95)}

    def to_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["latency"] = self.latency_stats()
        return body


def _quantile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    ordered = sorted(values)
    position = q * (len(ordered) - 1)  # linear interpolation, like numpy's default
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


# --------------------------------------------------------------------------- replay


def websocket_url(server: str, path: str) -> str:
    """``http://host:port`` (or ``ws://``) + ``path`` as a WebSocket URL."""
    parts = urlsplit(server if "://" in server else f"http://{server}")
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise ValueError(f"--server {server!r}: give a URL like http://127.0.0.1:8765")
    return urlunsplit((scheme, parts.netloc, path, "", ""))


class _Listener:
    """Collects a call's events with their arrival times."""

    def __init__(self, clock: Callable[[], float], on_event: Callable[[dict[str, Any]], None] | None) -> None:
        self.clock = clock
        self.on_event = on_event
        self.first_partial: dict[str, float] = {}
        self.partials: dict[str, int] = {}
        self.finals: list[tuple[float, dict[str, Any]]] = []
        self.suggestions: list[dict[str, Any]] = []
        self.counts: dict[str, int] = {}
        self.summary: dict[str, Any] | None = None
        self.done = asyncio.Event()

    def handle(self, message: dict[str, Any]) -> None:
        now = self.clock()
        kind = str(message.get("type"))
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if kind == "TranscriptPartial":
            uid = str(message.get("utterance_id"))
            self.first_partial.setdefault(uid, now)
            self.partials[uid] = self.partials.get(uid, 0) + 1
        elif kind == "TranscriptFinal" and message.get("source", "asr") == "asr":
            self.finals.append((now, message))
        elif kind == "SuggestionProposed":
            self.suggestions.append(message)
        elif kind == "CallSummary":
            self.summary = message
            self.done.set()
        if self.on_event is not None:
            self.on_event(message)


async def replay(
    audio: CallAudio,
    server: str,
    *,
    token: str,
    protocol: Protocol = "native",
    speed: float = 1.0,
    call_id: str | None = None,
    sample_rate_hz: Literal[8000, 16000] = 16000,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    drain_timeout_s: float = 120.0,
    open_timeout_s: float = 10.0,
) -> ReplayReport:
    """Stream ``audio`` to the server in real time (``speed`` x) and time what comes back.

    Args:
        token: the API token (a header on the native and events sockets; a Twilio
            ``<Parameter>`` on the Twilio socket, as Twilio cannot send headers).
        call_id: the call's id (Twilio: the ``callSid``); default a fresh random one.
        sample_rate_hz: the native socket's PCM rate (Twilio is always 8 kHz μ-law).
        on_event: called with every event of the call as it arrives.
        drain_timeout_s: how long to wait after the last audio for the ``CallSummary``.

    Raises:
        ReplayError: a socket was refused or closed with an error code.
        ValueError: bad arguments.
    """
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    if not 0 < speed <= 1000:
        raise ValueError(f"speed must be in (0, 1000], got {speed}")
    if protocol not in ("native", "twilio"):
        raise ValueError(f"protocol must be native or twilio, not {protocol!r}")
    call_id = call_id or ("CA" if protocol == "twilio" else "replay-") + secrets.token_hex(8)
    clock = time.perf_counter
    listener = _Listener(clock, on_event)
    headers = {"Authorization": f"Bearer {token}"}
    events_url = websocket_url(server, f"/v1/calls/{call_id}/events")
    started = clock()

    try:
        events_ws = await connect(events_url, additional_headers=headers, open_timeout=open_timeout_s,
                                  max_size=4 * 1024 * 1024)
    except InvalidStatus as exc:
        raise ReplayError(f"the events socket was refused: HTTP {exc.response.status_code}") from exc
    except OSError as exc:
        raise ReplayError(f"cannot connect to {server}: {exc}") from exc

    async def listen() -> None:
        try:
            async for raw in events_ws:
                if isinstance(raw, str):
                    listener.handle(json.loads(raw))
        except ConnectionClosed:
            pass
        finally:
            listener.done.set()

    listen_task = asyncio.create_task(listen())
    sent = 0
    t0 = clock()
    try:
        if protocol == "native":
            url, stream_headers = websocket_url(server, "/v1/stream"), headers
        else:
            url, stream_headers = websocket_url(server, "/v1/twilio"), {}
        try:
            stream = await connect(url, additional_headers=stream_headers, open_timeout=open_timeout_s)
        except InvalidStatus as exc:
            raise ReplayError(f"the {protocol} socket was refused: HTTP {exc.response.status_code}") from exc
        async with stream:
            outgoing: Iterator[tuple[float, str | bytes]]
            if protocol == "native":
                await stream.send(json.dumps({"type": "start", "call_id": call_id, "sample_rate_hz": sample_rate_hz,
                                              "tracks": list(audio.tracks)}))
                outgoing = native_frames(audio, sample_rate_hz)
            else:
                twilio = TwilioMessages(call_id, [TWILIO_TRACK_OF[n] for n in audio.tracks],
                                        {"token": token})
                await stream.send(json.dumps(twilio.connected()))
                await stream.send(json.dumps(twilio.start()))
                outgoing = ((t, json.dumps(m)) for t, m in twilio.media_stream(audio))
            sent = 2 if protocol == "twilio" else 1
            t0 = clock()
            try:
                for audio_end_s, message in outgoing:
                    delay = t0 + audio_end_s / speed - clock()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    await stream.send(message)
                    sent += 1
                await stream.send(json.dumps({"type": "stop"} if protocol == "native" else twilio.stop()))
                sent += 1
                # the server answers once it has used every frame: an ack (native) or its close (Twilio)
                answer = await asyncio.wait_for(stream.recv(), timeout=drain_timeout_s)
                if protocol == "native" and json.loads(answer).get("type") != "StreamStopped":
                    raise ReplayError(f"unexpected answer to stop: {str(answer)[:80]}")
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else None
                if code not in (1000, None):
                    raise ReplayError(f"the server closed the {protocol} stream with code {code}") from exc
            except asyncio.TimeoutError:
                pass  # the server is still busy; the events socket may yet bring the results
        try:
            await asyncio.wait_for(listener.done.wait(), timeout=drain_timeout_s)
        except asyncio.TimeoutError:
            pass
    finally:
        await events_ws.close()
        await listen_task

    def wall_at(audio_s: float) -> float:
        return t0 + audio_s / speed

    utterances = []
    for arrived, final in listener.finals:
        uid = str(final.get("utterance_id"))
        first = listener.first_partial.get(uid, arrived)
        start_s, end_s = float(final.get("start_s") or 0.0), float(final.get("end_s") or 0.0)
        utterances.append(UtteranceTiming(
            uid, str(final.get("track")), start_s, end_s, str(final.get("text", "")),
            listener.partials.get(uid, 0), round(arrived - wall_at(end_s), 4),
            round(min(first, arrived) - wall_at(start_s), 4),
        ))
    return ReplayReport(
        call_id=call_id, protocol=protocol, speed=speed, audio_s=round(audio.duration_s, 3),
        wall_s=round(clock() - started, 3), sent_messages=sent, utterances=utterances,
        suggestions=listener.suggestions, events=dict(sorted(listener.counts.items())),
        summary=listener.summary, complete=listener.summary is not None,
    )


def replay_file(path: str | Path, server: str, *, agent_channel: Literal["left", "right"] = "left",
                **kwargs: Any) -> ReplayReport:
    """:func:`replay` for a recording on disk (blocking; runs its own event loop)."""
    return asyncio.run(replay(load_call_audio(path, agent_channel=agent_channel), server, **kwargs))


def latency_table(reports: Sequence[ReplayReport]) -> dict[str, Any]:
    """Pooled latency figures over several replays (the benchmark's summary)."""
    finals = [u.final_latency_s for r in reports for u in r.utterances]
    firsts = [u.first_partial_latency_s for r in reports for u in r.utterances
              if u.first_partial_latency_s is not None]
    return {"utterances": len(finals), "final_p50_s": _quantile(finals, 0.5),
            "final_p95_s": _quantile(finals, 0.95), "first_partial_p50_s": _quantile(firsts, 0.5),
            "first_partial_p95_s": _quantile(firsts, 0.95),
            "final_mean_s": statistics.fmean(finals) if finals else None}
