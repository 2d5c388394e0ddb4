"""The WebSocket loops: native PCM stream, Twilio Media Streams, event fan-out.

Each loop decodes wire messages into events, hands them to :mod:`langassist.api.session`
and publishes what comes back. Client faults never raise out of a loop: they are
counted (``langassist_ingress_dropped_total``) or close the socket with 1003/1007/1008/1009.
On ``stop``, idle timeout or disconnect the stream is flushed so open utterances still
produce finals.
"""

from __future__ import annotations

import asyncio
import binascii
import dataclasses
import json
import logging
import re
import secrets
from typing import Any

import anyio
import numpy as np
from pydantic import ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from langassist.api.reorder import ChunkReorder, ReorderCounts
from langassist.api.schemas import WIRE_SCHEMA, StreamStart
from langassist.api.security import CLOSE_UNAUTHORIZED, token_matches
from langassist.api.session import AudioIngest

log = logging.getLogger(__name__)

__all__ = ["events_loop", "native_stream_loop", "twilio_loop"]

CLOSE_NORMAL = 1000
CLOSE_UNSUPPORTED = 1003
CLOSE_INVALID = 1007
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_IDLE = 4408
TWILIO_TRACKS = {"inbound": "customer", "outbound": "agent", "inbound_track": "customer", "outbound_track": "agent"}
_SAFE_ID = re.compile(r"[^A-Za-z0-9._:-]")
Media = tuple[str, np.ndarray, "float | None", int]
"""A decoded Twilio media message: track, float32 samples at 8 kHz, timestamp (s), bytes."""


class _Closed(Exception):
    """The peer is gone or the socket was closed by a limit."""


async def _receive(ws: WebSocket, limits: Any) -> dict[str, Any] | None:
    """The next data message within limits, or ``None`` on disconnect/idle (socket closed)."""
    try:
        message = await asyncio.wait_for(ws.receive(), timeout=limits.idle_timeout_s)
    except asyncio.TimeoutError:
        await _close(ws, CLOSE_IDLE)
        return None
    if message["type"] == "websocket.disconnect":
        return None
    text, data = message.get("text"), message.get("bytes")
    if text is not None and len(text.encode("utf-8", "surrogatepass")) > limits.max_text_bytes:
        await _close(ws, CLOSE_TOO_BIG)
        return None
    return {"text": text, "bytes": data}


async def _close(ws: WebSocket, code: int) -> None:
    if ws.application_state == WebSocketState.CONNECTED and ws.client_state == WebSocketState.CONNECTED:
        try:
            await ws.close(code)
        except (RuntimeError, WebSocketDisconnect):  # already closing, or the peer is gone
            pass


def _state(ws: WebSocket) -> Any:
    return ws.app.state.langassist


async def _run(ingest_call: Any, *args: Any, **kwargs: Any) -> list[Any]:
    return await asyncio.to_thread(ingest_call, *args, **kwargs)


async def native_stream_loop(ws: WebSocket) -> None:
    """``/v1/stream``: JSON ``start``, binary frames (track index byte + PCM16 LE), ``stop``."""
    state = _state(ws)
    limits = state.limits
    await ws.accept()
    first = await _receive(ws, limits)
    if first is None:
        return
    try:
        start = StreamStart.model_validate_json(first["text"] or "")
    except ValidationError:
        await _close(ws, CLOSE_POLICY)
        return
    if len(set(start.tracks)) != len(start.tracks):
        await _close(ws, CLOSE_POLICY)
        return
    call = state.registry.get(start.call_id)
    ingest = AudioIngest(call, state.stage_factory(), start.sample_rate_hz, list(start.tracks))
    max_frame = 1 + 2 * int(start.sample_rate_hz * limits.max_audio_frame_s)
    stopped = False
    state.metrics.active_streams.inc()
    try:
        while True:
            message = await _receive(ws, limits)
            if message is None:
                break
            if message["bytes"] is not None:
                frame: bytes = message["bytes"]
                if len(frame) > max_frame:
                    await _close(ws, CLOSE_TOO_BIG)
                    break
                if len(frame) < 1 or frame[0] >= len(start.tracks) or (len(frame) - 1) % 2:
                    await _close(ws, CLOSE_INVALID)
                    break
                pcm = np.frombuffer(frame[1:], dtype="<i2").astype(np.float32) / 32768.0
                with state.metrics.ingest_latency.time():
                    events = await _run(ingest.feed, start.tracks[frame[0]], pcm, None, len(frame) - 1)
                call.publish(events)
                continue
            try:
                control = json.loads(message["text"] or "")
            except (ValueError, RecursionError):  # deep nesting is a client fault too
                await _close(ws, CLOSE_INVALID)
                break
            if isinstance(control, dict) and control.get("type") == "stop":
                stopped = True
                break
            await _close(ws, CLOSE_POLICY)
            break
    finally:
        with anyio.CancelScope(shield=True):  # a dropped socket still gets its finals
            events = await _run(ingest.finish, aborted=not stopped)
            call.publish(events)
            state.metrics.active_streams.dec()
    if stopped:
        try:
            await ws.send_json({"schema": WIRE_SCHEMA, "type": "StreamStopped", "call_id": start.call_id,
                                "received_bytes": dict(ingest.received_bytes)})
        except (RuntimeError, WebSocketDisconnect):
            return  # the client left right after its stop: nothing to acknowledge
        await _close(ws, CLOSE_NORMAL)


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 16:
        return int(value)
    return None


class TwilioSession:
    """Decodes one Twilio Media Streams socket; counts what it drops, never raises."""

    def __init__(self, state: Any, authenticated: bool) -> None:
        self.state = state
        self.authenticated = authenticated
        self.ingest: AudioIngest | None = None
        self.order: dict[str, ChunkReorder[Media]] = {}
        self.dropped: dict[str, int] = {}

    def drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1
        self.state.metrics.dropped.labels("twilio", reason).inc()

    def start(self, data: dict[str, Any]) -> str | None:
        """Open the ingest; returns an error reason when the stream must be refused."""
        if self.ingest is not None:
            self.drop("double_start")
            return None
        start = data.get("start")
        if not isinstance(start, dict):
            self.drop("bad_start")
            return None
        params = start.get("customParameters")
        params = params if isinstance(params, dict) else {}
        if not self.authenticated:
            given = params.get("token")
            if not token_matches(self.state.token, given if isinstance(given, str) else None):
                return "unauthorized"
        raw_id = start.get("callSid") or start.get("streamSid") or data.get("streamSid")
        call_id = _SAFE_ID.sub("", raw_id)[:128] if isinstance(raw_id, str) else ""
        call_id = call_id or f"twilio-{secrets.token_hex(4)}"
        tracks_in = start.get("tracks")
        tracks: list[str] = []
        for name in tracks_in if isinstance(tracks_in, list) else ["inbound"]:
            mapped = TWILIO_TRACKS.get(name) if isinstance(name, str) else None
            if mapped and mapped not in tracks:
                tracks.append(mapped)
        call = self.state.registry.get(call_id)
        self.ingest = AudioIngest(call, self.state.stage_factory(), 8000, tracks or ["customer"])
        self.state.metrics.active_streams.inc()
        return None

    def media(self, data: dict[str, Any]) -> list[Media]:
        """Decode one ``media`` message; returns the media now due on its track, in
        ``chunk`` order (duplicates, late and lost chunks counted; see ``reorder``)."""
        if self.ingest is None:
            self.drop("media_before_start")
            return []
        media = data.get("media")
        if not isinstance(media, dict) or not isinstance(media.get("payload"), str):
            self.drop("bad_media")
            return []
        track = TWILIO_TRACKS.get(media.get("track", "inbound")) if isinstance(media.get("track", "inbound"), str) else None
        if track is None:
            self.drop("bad_track")
            return []
        from langassist.g711 import mulaw_from_base64

        try:
            samples = mulaw_from_base64(media["payload"])
        except (ValueError, binascii.Error):
            self.drop("bad_payload")
            return []
        if samples.size > 8000 * self.state.limits.max_audio_frame_s:
            self.drop("oversize_media")
            return []
        timestamp = _as_int(media.get("timestamp"))
        item: Media = (track, samples, (timestamp / 1000.0 if timestamp is not None else None), int(samples.size))
        chunk = _as_int(media.get("chunk"))
        if chunk is None:
            return [item]
        order = self.order.setdefault(track, ChunkReorder())
        before = dataclasses.replace(order.counts)
        due = order.push(chunk, item)
        self._count(before, order.counts)
        return due

    def drain(self) -> list[Media]:
        """Media still held for reordering (end of stream), track by track."""
        out: list[Media] = []
        for order in self.order.values():
            before = dataclasses.replace(order.counts)
            out.extend(order.drain())
            self._count(before, order.counts)
        return out

    def _count(self, before: ReorderCounts, after: ReorderCounts) -> None:
        for reason in ("duplicate", "late", "gap"):
            for _ in range(getattr(after, reason) - getattr(before, reason)):
                self.drop(reason)


async def twilio_loop(ws: WebSocket) -> None:
    """``/v1/twilio``: Twilio Media Streams (a passive ``<Start><Stream>`` fork: never sends)."""
    state = _state(ws)
    limits = state.limits
    await ws.accept()
    session = TwilioSession(state, bool(ws.scope.get("state", {}).get("authenticated")))
    stopped = False
    try:
        while True:
            message = await _receive(ws, limits)
            if message is None:
                break
            if message["text"] is None:
                session.drop("binary")
                continue
            try:
                data = json.loads(message["text"])
            except (ValueError, RecursionError):
                session.drop("invalid_json")
                continue
            if not isinstance(data, dict) or not isinstance(data.get("event"), str):
                session.drop("not_a_message")
                continue
            event = data["event"]
            if event == "connected" or event in ("mark", "dtmf"):
                continue
            if event == "start":
                if session.start(data) == "unauthorized":
                    await _close(ws, CLOSE_UNAUTHORIZED)
                    break
            elif event == "media":
                for decoded in session.media(data):
                    assert session.ingest is not None
                    with state.metrics.ingest_latency.time():
                        events = await _run(session.ingest.feed, *decoded)
                    session.ingest.call.publish(events)
            elif event == "stop":
                stopped = True
                break
            else:
                session.drop("unknown_event")
    finally:
        if session.ingest is not None:
            with anyio.CancelScope(shield=True):  # a dropped socket still gets its finals
                for decoded in session.drain():
                    session.ingest.call.publish(await _run(session.ingest.feed, *decoded))
                events = await _run(session.ingest.finish, aborted=not stopped)
                session.ingest.call.publish(events)
                state.metrics.active_streams.dec()
                state.twilio_sessions.append(session)
                del state.twilio_sessions[:-50]
    if stopped:
        await _close(ws, CLOSE_NORMAL)


async def events_loop(ws: WebSocket, call_id: str) -> None:
    """``/v1/calls/{call_id}/events``: every wire event of the call, in order."""
    state = _state(ws)
    await ws.accept()
    call = state.registry.get(call_id)
    queue = call.subscribe()
    state.metrics.event_sockets.inc()

    async def pump() -> None:
        while True:
            await ws.send_json(await queue.get())

    async def watch() -> None:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(pump)
            await watch()
            group.cancel_scope.cancel()
    finally:
        call.unsubscribe(queue)
        state.metrics.event_sockets.dec()
