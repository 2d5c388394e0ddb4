"""The live API over real sockets: uvicorn on 127.0.0.1 (a free port, in a thread), the
``langassist.client`` replay client and raw ``websockets`` clients, fake engines.

Covers reliability.md T1 (Twilio golden sessions), T2 (duplicates, gaps, reordering),
T15 (disconnect and idle cleanup) and T19-T21 (auth, Origin/Host, limits) on the wire.
About 15 s in all.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from audio_factory import tone_bursts as bursts
from langassist.api.app import ApiLimits
from langassist.client import CallAudio, TwilioMessages, replay
from langassist.events import AudioChunk
from live_server import AUTH, TOKEN, burst_stage, fake_app, serve_in_thread

websockets = pytest.importorskip("websockets")
from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidStatus  # noqa: E402

STEREO = CallAudio({"agent": bursts([0.5, 1.6], 3.0), "customer": bursts([2.3], 3.0)})


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with serve_in_thread(fake_app()) as running:
        yield running


def state(server: Any) -> Any:
    return server.app.state.langassist


async def collect(url: str, until: str = "CallSummary", timeout_s: float = 10.0) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    async with connect(url, additional_headers=AUTH) as ws:
        async def run() -> None:
            async for raw in ws:
                received.append(json.loads(raw))
                if received[-1]["type"] == until:
                    return
        await asyncio.wait_for(run(), timeout_s)
    return received


# --------------------------------------------------------------------------- replay client


@pytest.mark.parametrize("protocol", ["native", "twilio"])
def test_replay_client_streams_both_tracks_and_times_the_finals(server: Any, protocol: str) -> None:
    seen: list[str] = []
    report = asyncio.run(replay(STEREO, server.url, token=TOKEN, protocol=protocol, speed=8.0,  # type: ignore[arg-type]
                                on_event=lambda m: seen.append(m["type"])))
    assert report.complete and seen[-1] == "CallSummary"
    by_track = {track: [u.text for u in report.utterances if u.track == track] for track in ("agent", "customer")}
    assert by_track == {"agent": ["w5", "w16"], "customer": ["w23"]}
    for u in report.utterances:
        assert 0.0 <= u.final_latency_s < 2.0, u
        assert u.first_partial_latency_s is not None and -0.05 <= u.first_partial_latency_s < 2.0, u
    # 3 s of two tracks in 20 ms messages, plus start and stop (Twilio: connected too)
    assert report.sent_messages == 2 * 150 + (3 if protocol == "twilio" else 2)
    assert 3.0 / 8.0 <= report.wall_s < 5.0
    stats = report.latency_stats()
    assert stats["final_p50_s"] is not None and stats["final_p95_s"] >= stats["final_p50_s"]
    body = report.to_dict()
    assert body["latency"] == stats and len(body["utterances"]) == 3


def test_replay_with_a_wrong_token_is_refused(server: Any) -> None:
    from langassist.client import ReplayError

    with pytest.raises(ReplayError, match="401|403"):
        asyncio.run(replay(STEREO, server.url, token="wrong-token-000000000000", speed=50.0))


def test_replay_cli_prints_finals_and_writes_json(server: Any, tmp_path: Any) -> None:
    from typer.testing import CliRunner

    import audio_factory as af
    from langassist.cli.main import app

    wav = af.write_wav(tmp_path / "call.wav", np.stack([STEREO.tracks["agent"], STEREO.tracks["customer"]]), 16000)
    out = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["replay", str(wav), "--server", server.url, "--token", TOKEN,
                                      "--speed", "10", "--protocol", "twilio", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "agent: w5" in result.output and "customer: w23" in result.output
    assert "latency (wall s): final p50" in result.output
    report = json.loads(out.read_text())
    assert report["protocol"] == "twilio" and len(report["utterances"]) == 3
    assert report["latency"]["final_p50_s"] is not None
    swapped = CliRunner().invoke(app, ["replay", str(wav), "--server", server.url, "--token", TOKEN,
                                       "--speed", "10", "--agent-channel", "right", "--quiet"])
    assert swapped.exit_code == 0, swapped.output
    assert "customer-0002" in swapped.output  # the two left-channel bursts now belong to the customer


# --------------------------------------------------------------------------- T1 Twilio golden sessions


def golden_session(call_sid: str, *, tracks: tuple[str, ...], stop: bool, numeric: bool,
                   extras: bool, frame_bytes: int = 160) -> tuple[list[str], dict[str, int]]:
    """A Twilio session as the docs describe it (optionally with integer sequence numbers,
    dtmf/mark/unknown events and a frame size other than 160); returns the texts and the
    payload bytes sent per track."""
    from langassist.g711 import mulaw_encode

    twilio = TwilioMessages(call_sid, list(tracks), {"token": TOKEN})
    sources = {"inbound": bursts([0.4, 1.4], 2.4, 8000), "outbound": bursts([0.9], 2.4, 8000)}
    codes = {t: mulaw_encode(np.round(sources[t] * 32767).astype(np.int16)).tobytes() for t in tracks}
    messages: list[dict[str, Any]] = [twilio.connected(), twilio.start()]
    sent = dict.fromkeys(tracks, 0)
    for start in range(0, len(codes[tracks[0]]), frame_bytes):
        for track in tracks:
            piece = codes[track][start:start + frame_bytes]
            messages.append(twilio.media(track, piece, start // 8))
            sent[track] += len(piece)
        if extras and start == 10 * frame_bytes:
            messages.append(twilio.mark("m1"))
            messages.append({"event": "dtmf", "streamSid": twilio.stream_sid, "sequenceNumber": "x",
                             "dtmf": {"track": "inbound_track", "digit": "5"}})
            messages.append({"event": "future-event", "streamSid": twilio.stream_sid})
    if stop:
        messages.append(twilio.stop())
    if numeric:
        for message in messages:
            if "sequenceNumber" in message and str(message["sequenceNumber"]).isdigit():
                message["sequenceNumber"] = int(message["sequenceNumber"])
    return [json.dumps(m) for m in messages], {("customer" if t == "inbound" else "agent"): n for t, n in sent.items()}


SESSIONS = {
    "inbound-only": {"tracks": ("inbound",), "stop": True, "numeric": False, "extras": False},
    "both-tracks": {"tracks": ("inbound", "outbound"), "stop": True, "numeric": False, "extras": False},
    "with-dtmf-mark-unknown": {"tracks": ("inbound", "outbound"), "stop": True, "numeric": False, "extras": True},
    "dropped-without-stop": {"tracks": ("inbound", "outbound"), "stop": False, "numeric": False, "extras": False},
    "numeric-sequence": {"tracks": ("inbound",), "stop": True, "numeric": True, "extras": False},
    "odd-frame-size": {"tracks": ("inbound", "outbound"), "stop": True, "numeric": False, "extras": False,
                       "frame_bytes": 333},
}


@pytest.mark.parametrize("name", list(SESSIONS))
def test_twilio_golden_sessions(server: Any, name: str) -> None:
    call_sid = "CA" + name.replace("-", "")
    texts, sent_bytes = golden_session(call_sid, **SESSIONS[name])  # type: ignore[arg-type]

    async def run() -> tuple[list[dict[str, Any]], list[Any], float]:
        events = asyncio.create_task(collect(server.ws(f"/v1/calls/{call_sid}/events")))
        await asyncio.sleep(0.2)
        back: list[Any] = []
        async with connect(server.ws("/v1/twilio")) as ws:  # no headers, like Twilio
            for text in texts:
                await ws.send(text)
            if SESSIONS[name]["stop"]:
                try:
                    back.append(await asyncio.wait_for(ws.recv(), 5))
                except ConnectionClosed as closed:
                    assert closed.rcvd is not None and closed.rcvd.code == 1000
            else:
                ws.transport.abort()  # socket dropped: no stop, no close frame
        ended = time.perf_counter()
        received = await events
        return received, back, time.perf_counter() - ended

    received, back, after_end_s = asyncio.run(run())
    assert back == []  # a <Start> fork: nothing is ever sent back
    assert after_end_s < 2.0  # the call's results are complete within 2 s of stop/close
    assert [e["type"] for e in received].count("CallSummary") == 1
    tracks = set(sent_bytes)
    ended = [e for e in received if e["type"] == "StreamEnded"]
    assert {e["track"] for e in ended} == tracks and len(ended) == len(tracks)
    assert all(e["aborted"] is (not SESSIONS[name]["stop"]) for e in ended)
    finals = [e for e in received if e["type"] == "TranscriptFinal"]
    assert {"w4", "w14"} <= {e["text"] for e in finals if e["track"] == "customer"}
    session = next(s for s in state(server).twilio_sessions if s.ingest.call.call_id == call_sid)
    assert session.ingest.received_bytes == sent_bytes  # 0 unaccounted bytes
    expected_drops = {"unknown_event": 1} if SESSIONS[name]["extras"] else {}
    assert session.dropped == expected_drops


# --------------------------------------------------------------------------- T2 order, duplicates, gaps


class RecordingStage:
    """Wraps a stage and records the audio chunks it is fed (track, start_s, samples)."""

    def __init__(self, inner: Any, log: list[tuple[str, float, int]]) -> None:
        self.inner, self.log = inner, log
        self.name, self.accepts = "recording", inner.accepts

    def feed(self, event: Any) -> list[Any]:
        if isinstance(event, AudioChunk):
            self.log.append((event.track, event.start_s, int(event.samples.size)))
        return list(self.inner.feed(event))

    def flush(self) -> list[Any]:
        return list(self.inner.flush())

    def reset(self) -> None:
        self.inner.reset()


def test_twilio_duplicates_gaps_and_reordering_are_handled_exactly() -> None:
    rng = random.Random(7)
    log: list[tuple[str, float, int]] = []
    app = fake_app(stage_factory=lambda: RecordingStage(burst_stage(), log))
    texts, _ = golden_session("CAorder", tracks=("inbound", "outbound"), stop=True, numeric=False, extras=False)
    head, media, tail = texts[:2], texts[2:-1], texts[-1:]
    media = media * 1  # 2 tracks x 120 chunks = 240 media messages
    drop_at = set(rng.sample(range(10, len(media) - 10), 3))
    kept = [m for i, m in enumerate(media) if i not in drop_at]
    dup_at = rng.sample(range(len(kept)), 3)
    for index in sorted(dup_at, reverse=True):
        kept.insert(index + 1, kept[index])
    # local reordering: 6 chunks of one track each move up to 3 positions later on that track
    reordered = list(kept)
    moved = 0
    for start in rng.sample(range(20, len(reordered) - 20, 12), 6):
        message = reordered.pop(start)
        reordered.insert(start + 2 * rng.randint(1, 3), message)  # 2 tracks interleave: 1-3 own-track slots
        moved += 1
    dropped_chunks = {(json.loads(media[i])["media"]["track"], int(json.loads(media[i])["media"]["chunk"]))
                      for i in drop_at}

    with serve_in_thread(app) as server:
        async def run() -> None:
            async with connect(server.ws("/v1/twilio")) as ws:
                for text in head + reordered + tail:
                    await ws.send(text)
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), 5)

        asyncio.run(run())
        session = state(server).twilio_sessions[-1]
    assert session.dropped == {"duplicate": 3, "gap": 3}
    # every chunk that arrived reached the stage once, in order, at its timestamp (the server
    # may merge consecutive chunks into one block); the lost chunks' times stay uncovered
    spans: dict[str, list[tuple[float, float]]] = {}
    for track, start_s, size in log:
        spans.setdefault(track, []).append((start_s, start_s + size / 16000))
    for track, twilio_track in (("customer", "inbound"), ("agent", "outbound")):
        chunks = [json.loads(m)["media"] for m in media if json.loads(m)["media"]["track"] == twilio_track]
        kept_times = [int(c["timestamp"]) / 1000 for c in chunks if (twilio_track, int(c["chunk"])) not in dropped_chunks]
        lost_times = [int(c["timestamp"]) / 1000 for c in chunks if (twilio_track, int(c["chunk"])) in dropped_chunks]
        got = spans[track]
        assert all(a[1] <= b[0] + 0.005 for a, b in zip(got, got[1:], strict=False)), got  # in order, no overlap
        assert sum(e - s for s, e in got) == pytest.approx(0.020 * len(kept_times), abs=0.010)
        for t in kept_times:  # the middle of each kept chunk is inside a block, within 20 ms
            assert any(s - 0.020 <= t + 0.010 <= e + 0.020 for s, e in got), (track, t)
        for t in lost_times:  # a lost chunk's middle is in no block: the stage fills it with silence
            assert not any(s + 0.005 < t + 0.010 < e - 0.005 for s, e in got), (track, t)


# --------------------------------------------------------------------------- T15 disconnect and idle


def test_abrupt_disconnects_are_finalized_and_cleaned_up() -> None:
    app = fake_app(limits=ApiLimits(idle_timeout_s=1.5, max_calls=64))
    pcm = (np.round(bursts([0.2], 1.0) * 32767).astype("<i2")).tobytes()

    async def session(server: Any, call_id: str, abrupt: bool) -> list[dict[str, Any]]:
        events = asyncio.create_task(collect(server.ws(f"/v1/calls/{call_id}/events")))
        await asyncio.sleep(0.05)
        async with connect(server.ws("/v1/stream"), additional_headers=AUTH) as ws:
            await ws.send(json.dumps({"type": "start", "call_id": call_id, "sample_rate_hz": 16000,
                                      "tracks": ["agent"]}))
            for index in range(0, len(pcm) - 640 * 10, 640):  # mid-media for the abrupt ones
                await ws.send(b"\x00" + pcm[index:index + 640])
            if abrupt:
                ws.transport.abort()
            else:
                await ws.send(json.dumps({"type": "stop"}))
                assert json.loads(await ws.recv())["type"] == "StreamStopped"
        return await events

    with serve_in_thread(app) as server:
        async def many(prefix: str) -> list[list[dict[str, Any]]]:
            return await asyncio.gather(*(session(server, f"{prefix}{i}", i % 2 == 0) for i in range(20)))

        asyncio.run(many("warmup"))  # the worker-thread pool grows to its size here
        baseline = threading.active_count()
        results = asyncio.run(many("c"))
        for index, received in enumerate(results):
            ended = [e for e in received if e["type"] == "StreamEnded"]
            assert len(ended) == 1 and ended[0]["aborted"] is (index % 2 == 0)
            assert any(e["type"] == "TranscriptFinal" and e["text"] == "w2" for e in received), index
        metrics = state(server).metrics
        deadline = time.monotonic() + 5.0  # T15: back to baseline within 5 s
        while time.monotonic() < deadline and (metrics.active_streams._value.get() or metrics.event_sockets._value.get()
                                               or threading.active_count() > baseline + 2):
            time.sleep(0.05)
        assert metrics.active_streams._value.get() == 0
        assert metrics.event_sockets._value.get() == 0
        assert threading.active_count() <= baseline + 2

        async def idle() -> tuple[int | None, list[dict[str, Any]], bool]:
            events = asyncio.create_task(collect(server.ws("/v1/calls/idle/events")))
            await asyncio.sleep(0.05)
            async with connect(server.ws("/v1/stream"), additional_headers=AUTH) as quiet, \
                    connect(server.ws("/v1/stream"), additional_headers=AUTH) as talking:
                for ws, call in ((quiet, "idle"), (talking, "silence")):
                    await ws.send(json.dumps({"type": "start", "call_id": call, "sample_rate_hz": 8000,
                                              "tracks": ["agent"]}))
                await quiet.send(b"\x00" + pcm[:640])
                code = None
                for _ in range(25):  # 2.5 s of silence frames on the other stream, > the idle limit
                    await talking.send(b"\x00" + bytes(320))
                    await asyncio.sleep(0.1)
                    if code is None and quiet.close_code is not None:
                        code = quiet.close_code
                still_open = talking.close_code is None
            return code, await events, still_open

        code, received, still_open = asyncio.run(idle())
        assert code == 4408 and still_open
        assert [e["type"] for e in received if e["type"] == "StreamEnded"] == ["StreamEnded"]


# --------------------------------------------------------------------------- T19-T21 on the wire


OPEN = {("get", "/health"): 200, ("get", "/sidebar"): 200, ("post", "/v1/session"): 422}
"""The allowlist: health, the static sidebar page, and the login (which checks its body)."""


def test_http_auth_matrix_over_a_real_socket(server: Any) -> None:
    import httpx

    with httpx.Client(base_url=server.url) as http:
        document = http.get("/openapi.json", headers=AUTH).json()
        assert http.get("/health").status_code == 200
        for path, operations in document["paths"].items():
            url = path.replace("{call_id}", "c1")
            for method in operations:
                for headers, params in (({}, {}), ({"Authorization": "Bearer wrong-token-0000000000"}, {}),
                                        ({}, {"token": TOKEN, "t": TOKEN, "access_token": TOKEN})):
                    status = http.request(method, url, headers=headers, params=params).status_code
                    if (method, url) in OPEN:
                        assert status == OPEN[method, url], (method, url, status)
                    else:
                        assert status == 401, (method, url, status, headers)
        login = http.post("/v1/session", json={"token": "wrong-token-0000000000"})
        assert login.status_code == 401 and "set-cookie" not in login.headers
        assert http.get("/docs", headers=AUTH).status_code == 404


ORIGINS = {"allowed": "PORT_ORIGIN", "other-site": "http://evil.example", "null": "null", "absent": None}
HOSTS = ("127.0.0.1:PORT", "localhost:PORT", "attacker.example")


@pytest.mark.parametrize("origin_kind", list(ORIGINS))
@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("with_token", [True, False])
def test_websocket_origin_host_token_table(server: Any, origin_kind: str, host: str, with_token: bool) -> None:
    host = host.replace("PORT", str(server.port))
    origin = ORIGINS[origin_kind]
    if origin == "PORT_ORIGIN":
        origin = f"http://{host}"
    headers = AUTH if with_token else {}
    accepted = (host != "attacker.example" and origin_kind in ("allowed", "absent") and with_token)

    async def attempt() -> bool:
        try:  # the URL names the Host header; the TCP connection goes to 127.0.0.1 anyway
            async with connect(f"ws://{host}/v1/calls/c1/events", host="127.0.0.1", port=server.port,
                               additional_headers=headers, origin=origin, open_timeout=5):  # type: ignore[arg-type]
                return True
        except InvalidStatus as refused:  # refused at the handshake, never accepted-then-closed
            assert refused.response.status_code == 403
            return False

    assert asyncio.run(attempt()) is accepted


def test_frame_limits_close_1009(server: Any) -> None:
    async def run() -> tuple[int | None, int | None]:
        async with connect(server.ws("/v1/twilio"), additional_headers=AUTH, max_size=None) as ws:
            await ws.send("x" * (64 * 1024 + 1))
            with pytest.raises(ConnectionClosed):
                await ws.recv()
            text_code = ws.close_code
        async with connect(server.ws("/v1/stream"), additional_headers=AUTH) as ws:
            await ws.send(json.dumps({"type": "start", "call_id": "big", "sample_rate_hz": 8000, "tracks": ["agent"]}))
            await ws.send(b"\x00" + b"\x00\x00" * 8001)
            with pytest.raises(ConnectionClosed):
                await ws.recv()
            binary_code = ws.close_code
        return text_code, binary_code

    assert asyncio.run(run()) == (1009, 1009)


def test_twilio_signature_is_checked_when_an_auth_token_is_set() -> None:
    """With ``twilio_auth_token`` set, ``/v1/twilio`` needs Twilio's X-Twilio-Signature for
    the stream URL (wss:// + Host + path + query), checked before accept (HTTP 403)."""
    from langassist.api.security import twilio_signature

    auth_token = "twilio-auth-token-for-tests"
    with serve_in_thread(fake_app(twilio_auth_token=auth_token)) as server:
        host = f"127.0.0.1:{server.port}"

        async def attempt(signature: str | None, query: str = "") -> bool:
            headers = dict(AUTH) | ({"X-Twilio-Signature": signature} if signature is not None else {})
            try:
                async with connect(server.ws("/v1/twilio") + query, additional_headers=headers,
                                   open_timeout=5) as ws:
                    await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
                    return True
            except InvalidStatus as refused:
                assert refused.response.status_code == 403
                return False

        good = twilio_signature(auth_token, f"wss://{host}/v1/twilio")
        assert asyncio.run(attempt(good)) is True
        assert asyncio.run(attempt(None)) is False
        assert asyncio.run(attempt(twilio_signature("another-token", f"wss://{host}/v1/twilio"))) is False
        # the query string is part of what Twilio signs
        assert asyncio.run(attempt(good, "?agent=7")) is False
        assert asyncio.run(attempt(twilio_signature(auth_token, f"wss://{host}/v1/twilio?agent=7"), "?agent=7"))
    with serve_in_thread(fake_app()) as server:  # no auth token: no signature needed
        async def plain() -> bool:
            async with connect(server.ws("/v1/twilio"), additional_headers=AUTH, open_timeout=5):
                return True
        assert asyncio.run(plain())


def test_twilio_stream_url_prefers_the_configured_public_url() -> None:
    from langassist.api.security import twilio_stream_url

    scope = {"headers": [(b"host", b"127.0.0.1:8765")], "path": "/v1/twilio", "query_string": b"a=1"}
    assert twilio_stream_url(scope) == "wss://127.0.0.1:8765/v1/twilio?a=1"
    assert twilio_stream_url(scope, "wss://assist.example.com/media") == "wss://assist.example.com/media?a=1"
    assert twilio_stream_url({**scope, "query_string": b""}, "wss://x.example/m?k=v") == "wss://x.example/m?k=v"
