"""T4: generated sessions over both audio ingress sockets (native PCM and Twilio).

Each example is one session: a random mix of valid and broken messages (garbage JSON,
wrong types, missing fields, base64 garbage, media before start, double start, messages
after stop, oversize and deeply nested text, binary on the Twilio socket, odd PCM frame
lengths, bad track indexes), then ``stop``. The server must never raise (the test
client re-raises server exceptions), must close only with a documented client-fault or
normal code (never 1011), and must end with no open stream. One app serves all
sessions. ``LANGASSIST_FUZZ_SESSIONS`` sets the number (default 200, about 13 s;
1,000 took 64 s on 2 busy cores). It found a RecursionError on deeply nested native control messages.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_api_fakes import AUTH, TOKEN, make_app

WS = "ws://127.0.0.1:8765"
SESSIONS = int(os.environ.get("LANGASSIST_FUZZ_SESSIONS", "200"))
CLOSE_CODES = {1000, 1003, 1007, 1008, 1009, 4401, 4408}

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=10,
)
_payload = st.one_of(st.binary(max_size=400).map(lambda b: base64.b64encode(b).decode()), st.text(max_size=20), _json)
_twilio_start = st.fixed_dictionaries(
    {"event": st.just("start")},
    optional={"start": st.one_of(_json, st.fixed_dictionaries(
        {"customParameters": st.sampled_from([{"token": TOKEN}, {"token": "nope"}, {}, None]),
         "tracks": st.one_of(_json, st.lists(st.sampled_from(["inbound", "outbound", "both", 1]), max_size=3)),
         "callSid": st.one_of(st.text(max_size=40), _json)})),
        "sequenceNumber": _json},
)
_twilio_media = st.fixed_dictionaries(
    {"event": st.just("media")},
    optional={"media": st.one_of(_json, st.fixed_dictionaries(
        {"payload": _payload, "track": st.sampled_from(["inbound", "outbound", "x", 3, None]),
         "chunk": st.one_of(st.integers(-3, 50).map(str), _json), "timestamp": st.one_of(st.integers(-5, 10**7).map(str), _json)})),
        "sequenceNumber": _json},
)
_deep = st.integers(10, 3000).map(lambda n: "[" * n + "]" * n)
_twilio_op = st.one_of(
    _twilio_start.map(json.dumps), _twilio_media.map(json.dumps),
    st.sampled_from(["connected", "mark", "dtmf", "stop", "clear", "??"]).map(lambda e: json.dumps({"event": e})),
    _json.map(json.dumps), st.text(max_size=40), _deep, st.binary(max_size=64),
    st.just("x" * (64 * 1024 + 1)),
)
_native_start = st.fixed_dictionaries(
    {"type": st.sampled_from(["start", "begin"]), "call_id": st.one_of(st.text(max_size=20), st.just("n1"), _json),
     "sample_rate_hz": st.sampled_from([8000, 16000, 44100, "16000", None]),
     "tracks": st.one_of(st.just(["agent"]), st.just(["agent", "customer"]), st.just(["agent", "agent"]), _json)},
)
_native_op = st.one_of(
    _native_start.map(json.dumps),
    st.binary(max_size=700), st.binary(min_size=16001, max_size=16003),
    st.tuples(st.integers(0, 3), st.binary(max_size=641)).map(lambda t: bytes([t[0]]) + t[1]),
    _json.map(json.dumps), st.text(max_size=40), _deep, st.just(json.dumps({"type": "stop"})),
)
_valid_native_start = json.dumps({"type": "start", "call_id": "n1", "sample_rate_hz": 16000, "tracks": ["agent"]})


@pytest.fixture(scope="module")
def client() -> Any:
    with TestClient(make_app(), base_url="http://127.0.0.1:8765", raise_server_exceptions=True) as c:
        yield c


def _play(ws: Any, ops: list[str | bytes], stop: str) -> int:
    for op in ops:
        if isinstance(op, bytes):
            ws.send_bytes(op)
        else:
            ws.send_text(op)
    ws.send_text(stop)
    while True:
        message = ws.receive()
        if message["type"] == "websocket.close":
            return int(message["code"])


@settings(max_examples=SESSIONS, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(protocol=st.sampled_from(["native", "twilio"]), lead=st.booleans(),
       ops=st.data())
def test_generated_ingress_sessions_never_break_the_server(client: TestClient, protocol: str, lead: bool,
                                                           ops: st.DataObject) -> None:
    if protocol == "twilio":
        messages: list[str | bytes] = ops.draw(st.lists(_twilio_op, max_size=12))
        if lead:  # a valid start first, so media reaches the stream stage
            messages.insert(0, json.dumps({"event": "start", "start": {"customParameters": {"token": TOKEN},
                                                                       "tracks": ["inbound", "outbound"]}}))
        with client.websocket_connect(f"{WS}/v1/twilio") as ws:
            code = _play(ws, messages, json.dumps({"event": "stop"}))
    else:
        messages = ops.draw(st.lists(_native_op, max_size=12))
        if lead:
            messages.insert(0, _valid_native_start)
        with client.websocket_connect(f"{WS}/v1/stream", headers=AUTH) as ws:
            code = _play(ws, messages, json.dumps({"type": "stop"}))
    assert code in CLOSE_CODES
    assert client.get("/health").json()["active_streams"] == 0
