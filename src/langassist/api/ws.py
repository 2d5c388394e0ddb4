"""The WebSocket loops: native PCM stream, Twilio Media Streams, event fan-out.

Each loop decodes wire messages into events and hands them to :mod:`langassist.api.session`,
whose pool jobs publish what comes back. Client faults never raise out of a loop: they are
counted (``langassist_ingress_dropped_total``) or close the socket. On ``stop``, idle
timeout or disconnect the stream is flushed so open utterances still produce finals, and
the call's pool slot is freed.

Close codes: 1000 normal (after ``stop``), 1003 unsupported, 1007 invalid frame, 1008
policy (bad ``start``), 1009 too big, 1011 internal error (the stream's pipeline
failed), **1013 try again later** (every ``live.max_calls`` slot is taken; the reason
says so), 4401 no/bad token, 4403 foreign Host/Origin, **4408 idle** (nothing received
for ``live.idle_timeout_s``), **4429 too slow** (an events socket fell
``live.events_queue`` messages behind or one send took ``live.events_send_timeout_s``;
reconnect to get the call so far replayed).
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
import anyio.abc
import numpy as np
from pydantic import ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from langassist.api.pool import PoolFull
from langassist.api.reorder import ChunkReorder, ReorderCounts
from langassist.api.schemas import WIRE_SCHEMA, StreamStart
from langassist.api.security import (
    CLOSE_FORBIDDEN,
    CLOSE_UNAUTHORIZED,
    token_matches,
    twilio_signature_valid,
    twilio_stream_url,
)
from langassist.api.session import AudioIngest, CallSession, ConsumerTooSlow

log = logging.getLogger(__name__)

__all__ = ["events_loop", "native_stream_loop", "twilio_loop"]

CLOSE_NORMAL = 1000
CLOSE_UNSUPPORTED = 1003
CLOSE_INVALID = 1007
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011
CLOSE_BUSY = 1013
CLOSE_IDLE = 4408
CLOSE_TOO_SLOW = 4429
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


async def _close(ws: WebSocket, code: int, reason: str | None = None) -> None:
    if ws.application_state == WebSocketState.CONNECTED and ws.client_state == WebSocketState.CONNECTED:
        try:
            with anyio.move_on_after(2.0):  # a peer that reads nothing cannot hold the close
                await ws.close(code, reason)
        except (RuntimeError, OSError, WebSocketDisconnect):  # already closing, or a dead peer
            pass


def _state(ws: WebSocket) -> Any:
    return ws.app.state.langassist


def _open_ingest(state: Any, call_id: str, sample_rate_hz: int, tracks: list[str], route: str) -> AudioIngest:
    """Admit the call to the pool (raises :class:`PoolFull`) and open its stream."""
    try:
        lane = state.pool.admit(call_id)
    except PoolFull:
        state.metrics.refused.labels(route).inc()
        raise
    call: CallSession = state.registry.get(call_id)
    try:
        ingest = AudioIngest(call, state.stage_factory(), sample_rate_hz, tracks, scheduler=state.pool,
                             lane=lane, max_pending_s=state.limits.max_pending_audio_s)
    except BaseException:
        state.pool.release(lane)
        raise
    call.ingests.add(ingest)
    state.metrics.active_streams.inc()
    return ingest


async def _close_ingest(state: Any, ingest: AudioIngest, aborted: bool) -> None:
    """Flush the stream (its finals still come) and free its slot, exactly once."""
    with anyio.CancelScope(shield=True):
        try:
            await ingest.finish(aborted=aborted)
        finally:
            state.pool.release(ingest.lane)
            ingest.call.ingests.discard(ingest)
            state.metrics.active_streams.dec()


def _busy_reason(error: PoolFull) -> str:
    return f"server busy: {error.max_calls} calls in progress, retry later"


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
    try:
        ingest = _open_ingest(state, start.call_id, start.sample_rate_hz, list(start.tracks), "stream")
    except PoolFull as error:
        await _close(ws, CLOSE_BUSY, _busy_reason(error))
        return
    max_frame = 1 + 2 * int(start.sample_rate_hz * limits.max_audio_frame_s)
    stopped = False
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
                ingest.enqueue(start.tracks[frame[0]], pcm, None, len(frame) - 1)
                await ingest.wait_for_room()
                if ingest.failed is not None:
                    await _close(ws, CLOSE_INTERNAL, "stream processing failed")
                    break
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
        await _close_ingest(state, ingest, aborted=not stopped)
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
        """Open the ingest; returns ``unauthorized`` or the busy reason when refused."""
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
        try:
            self.ingest = _open_ingest(self.state, call_id, 8000, tracks or ["customer"], "twilio")
        except PoolFull as error:
            return _busy_reason(error)
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
    auth_token = getattr(state, "twilio_auth_token", None)
    if auth_token:
        url = twilio_stream_url(ws.scope, limits.twilio_stream_url)
        if not twilio_signature_valid(auth_token, url, ws.headers.get("x-twilio-signature")):
            log.warning("twilio stream refused: missing or wrong X-Twilio-Signature")
            await ws.close(code=CLOSE_FORBIDDEN)  # before accept: HTTP 403 on the wire
            return
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
                refusal = session.start(data)
                if refusal == "unauthorized":
                    await _close(ws, CLOSE_UNAUTHORIZED)
                    break
                if refusal is not None:
                    await _close(ws, CLOSE_BUSY, refusal)
                    break
            elif event == "media":
                for decoded in session.media(data):
                    assert session.ingest is not None
                    session.ingest.enqueue(*decoded)
                    await session.ingest.wait_for_room()
                if session.ingest is not None and session.ingest.failed is not None:
                    await _close(ws, CLOSE_INTERNAL, "stream processing failed")
                    break
            elif event == "stop":
                stopped = True
                break
            else:
                session.drop("unknown_event")
    finally:
        if session.ingest is not None:
            for decoded in session.drain():  # media still held for reordering
                session.ingest.enqueue(*decoded)
            await _close_ingest(state, session.ingest, aborted=not stopped)
            state.twilio_sessions.append(session)
            del state.twilio_sessions[:-50]
    if stopped:
        await _close(ws, CLOSE_NORMAL)


async def events_loop(ws: WebSocket, call_id: str) -> None:
    """``/v1/calls/{call_id}/events``: the call so far (no partials), then every event live.

    A consumer whose queue overflows with events that are never dropped, or whose one
    send takes longer than ``live.events_send_timeout_s``, is closed with 4429.
    """
    state = _state(ws)
    limits = state.limits
    await ws.accept()
    call = state.registry.get(call_id)
    queue = call.subscribe()
    state.metrics.event_sockets.inc()

    reason = "gone"

    async def pump(group: anyio.abc.TaskGroup) -> None:
        nonlocal reason
        try:
            while True:
                try:
                    message = await queue.get()
                except ConsumerTooSlow:
                    reason = "queue"
                    return
                with anyio.move_on_after(limits.events_send_timeout_s) as scope:
                    await ws.send_json(message)
                if scope.cancelled_caught:
                    reason = "send_timeout"
                    return
        except (OSError, RuntimeError, WebSocketDisconnect):  # the peer went away mid-send
            return
        finally:
            group.cancel_scope.cancel()

    async def watch(group: anyio.abc.TaskGroup) -> None:
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
        except (OSError, RuntimeError, WebSocketDisconnect):
            return
        finally:
            group.cancel_scope.cancel()

    async def alarm(group: anyio.abc.TaskGroup) -> None:
        nonlocal reason
        await queue.overflow.wait()  # also while a send is stuck
        reason = "queue"
        group.cancel_scope.cancel()

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(pump, group)
            group.start_soon(watch, group)
            group.start_soon(alarm, group)
    finally:
        call.unsubscribe(queue)
        state.metrics.event_sockets.dec()
    if reason != "gone":
        state.metrics.slow_consumers.labels(reason).inc()
        log.info("events socket of call %s too slow (%s): disconnected", call_id, reason)
        await _close(ws, CLOSE_TOO_SLOW, "consumer too slow; reconnect to get the call so far")
