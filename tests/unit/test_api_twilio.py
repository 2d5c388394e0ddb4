"""Twilio Media Streams and the native PCM stream, with the burst fake transcriber."""

from __future__ import annotations

import base64
import json

import numpy as np
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_api_fakes import AUTH, TOKEN, make_app

from audio_factory import tone_bursts as bursts
from langassist.g711 import mulaw_encode

WS = "ws://127.0.0.1:8765"


def twilio_session(call_sid: str, *, stop: bool = True, sequence_as_int: bool = False) -> list[str]:
    audio = bursts([0.5, 1.2], 3.0, 8000)
    codes = mulaw_encode(np.round(audio * 32767).astype(np.int16)).tobytes()
    seq = (lambda n: n) if sequence_as_int else str
    messages = [{"event": "connected", "protocol": "Call", "version": "1.0.0"},
                {"event": "start", "sequenceNumber": seq(1), "streamSid": "MZ1",
                 "start": {"streamSid": "MZ1", "accountSid": "AC1", "callSid": call_sid, "tracks": ["inbound"],
                           "customParameters": {"token": TOKEN},
                           "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}}]
    for index in range(0, len(codes), 160):
        chunk = index // 160 + 1
        messages.append({"event": "media", "sequenceNumber": seq(chunk + 1), "streamSid": "MZ1",
                         "media": {"track": "inbound", "chunk": str(chunk), "timestamp": str(chunk * 20 - 20),
                                   "payload": base64.b64encode(codes[index:index + 160]).decode()}})
    messages.insert(5, {"event": "mark", "streamSid": "MZ1", "mark": {"name": "m"}})
    messages.insert(6, {"event": "whatever-new", "streamSid": "MZ1"})
    messages.insert(7, dict(messages[8]))  # a duplicate chunk
    if stop:
        messages.append({"event": "stop", "sequenceNumber": "999", "streamSid": "MZ1",
                         "stop": {"accountSid": "AC1", "callSid": call_sid}})
    return [json.dumps(m) for m in messages]


def run_twilio(client: TestClient, call_sid: str, **kwargs: object) -> list[dict]:
    with client.websocket_connect(f"{WS}/v1/calls/{call_sid}/events", headers=AUTH) as events:
        with client.websocket_connect(f"{WS}/v1/twilio") as ws:  # Twilio: no headers, token in <Parameter>
            for text in twilio_session(call_sid, **kwargs):
                ws.send_text(text)
            if kwargs.get("stop", True):
                assert ws.receive()["code"] == 1000  # nothing was sent back before the close
        received = []
        while not received or received[-1]["type"] != "CallSummary":
            received.append(events.receive_json())
    return received


def test_twilio_golden_session_produces_a_final_and_cleans_up() -> None:
    with TestClient(make_app(), base_url="http://127.0.0.1:8765") as client:
        received = run_twilio(client, "CA1")
        finals = [e for e in received if e["type"] == "TranscriptFinal"]
        assert finals and all(e["track"] == "customer" and e["call_id"] == "CA1" for e in finals)
        assert {"w5", "w12"} <= set(" ".join(e["text"] for e in finals).split())
        assert any(e["type"] == "LanguageDetected" for e in received)
        state = client.app.state.langassist
        session = state.twilio_sessions[-1]
        assert session.dropped == {"duplicate": 1, "unknown_event": 1}
        assert session.ingest.received_bytes["customer"] == 3 * 8000
        assert client.get("/health").json()["active_streams"] == 0
        metrics = client.get("/metrics", headers=AUTH).text
        assert "langassist_active_streams 0.0" in metrics
        assert 'reason="duplicate"' in metrics


def test_twilio_drop_without_stop_still_finalizes() -> None:
    with TestClient(make_app(), base_url="http://127.0.0.1:8765") as client:
        received = run_twilio(client, "CA2", stop=False, sequence_as_int=True)
        assert any(e["type"] == "TranscriptFinal" for e in received)


def test_twilio_wrong_parameter_token_is_refused() -> None:
    with TestClient(make_app(), base_url="http://127.0.0.1:8765") as client:
        with client.websocket_connect(f"{WS}/v1/twilio") as ws:
            start = json.loads(twilio_session("CA3")[1])
            start["start"]["customParameters"]["token"] = "nope"
            ws.send_text(json.dumps(start))
            assert ws.receive()["code"] == 4401


def test_native_stream_start_frames_stop() -> None:
    audio = bursts([0.4], 2.0, 16000)
    pcm = np.round(audio * 32767).astype("<i2").tobytes()
    with TestClient(make_app(), base_url="http://127.0.0.1:8765") as client:
        with client.websocket_connect(f"{WS}/v1/calls/s1/events", headers=AUTH) as events:
            with client.websocket_connect(f"{WS}/v1/stream", headers=AUTH) as ws:
                ws.send_text(json.dumps({"type": "start", "call_id": "s1", "sample_rate_hz": 16000,
                                         "tracks": ["agent", "customer"]}))
                for index in range(0, len(pcm), 640):
                    ws.send_bytes(b"\x00" + pcm[index:index + 640])
                ws.send_text(json.dumps({"type": "stop"}))
                ack = ws.receive_json()
                assert ack["type"] == "StreamStopped" and ack["received_bytes"]["agent"] == len(pcm)
            types = []
            while not types or types[-1] != "CallSummary":
                types.append(events.receive_json()["type"])
        assert "TranscriptFinal" in types and "DifficultyScored" in types
        with client.websocket_connect(f"{WS}/v1/stream", headers=AUTH) as ws:  # > 1 s frame
            ws.send_text(json.dumps({"type": "start", "call_id": "s2", "sample_rate_hz": 8000, "tracks": ["agent"]}))
            ws.send_bytes(b"\x00" + b"\x00\x00" * 8001)
            assert ws.receive()["code"] == 1009
        with client.websocket_connect(f"{WS}/v1/stream", headers=AUTH) as ws:
            ws.send_text(json.dumps({"type": "start", "call_id": "s3", "sample_rate_hz": 44100, "tracks": ["agent"]}))
            assert ws.receive()["code"] == 1008


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                     max_leaves=12)
_message = st.one_of(
    st.fixed_dictionaries({"event": st.sampled_from(["connected", "start", "media", "mark", "stop", "dtmf", "x"])},
                          optional={"start": _json | st.fixed_dictionaries({"customParameters": st.just({"token": TOKEN}),
                                                                            "tracks": _json}),
                                    "media": _json | st.fixed_dictionaries(
                                        {"payload": st.text(max_size=12) | st.binary(max_size=40).map(
                                            lambda b: base64.b64encode(b).decode()),
                                         "track": st.sampled_from(["inbound", "outbound", "bogus", 3]),
                                         "chunk": _json, "timestamp": _json}),
                                    "sequenceNumber": _json}).map(json.dumps),
    _json.map(json.dumps),
    st.text(max_size=30),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_message, max_size=8))
def test_twilio_fuzz_never_crashes(messages: list[str]) -> None:
    with TestClient(make_app(), base_url="http://127.0.0.1:8765", raise_server_exceptions=True) as client:
        with client.websocket_connect(f"{WS}/v1/twilio", headers=AUTH) as ws:
            for text in messages:
                ws.send_text(text)
            ws.send_text(json.dumps({"event": "stop"}))
            message = ws.receive()
        assert message["type"] == "websocket.close" and message["code"] in {1000, 4401}
        assert client.get("/health").json()["active_streams"] == 0
