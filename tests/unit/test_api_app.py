"""Live API: auth, Host/Origin checks, limits, chat -> events socket, metrics, OpenAPI."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from test_api_fakes import AUTH, TOKEN, make_app

WS = "ws://127.0.0.1:8765"


@pytest.fixture()
def client() -> TestClient:
    with TestClient(make_app(), base_url="http://127.0.0.1:8765") as c:
        yield c


def test_health_is_open_everything_else_needs_the_token(client: TestClient) -> None:
    assert client.get("/health").status_code == 200
    for path in ("/metrics", "/openapi.json", "/sidebar"):
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers={"Authorization": "Bearer wrong-token-xxxxxxxx"}).status_code == 401
        assert client.get(path, params={"token": TOKEN}).status_code == 401  # no query tokens
        assert client.get(path, headers=AUTH).status_code == 200, path
    body = {"speaker": "agent", "text": "hello", "time": 1.0}
    assert client.post("/v1/calls/c1/messages", json=body).status_code == 401
    assert client.post("/v1/calls/c1/messages", json=body, headers=AUTH).status_code == 200


def test_every_openapi_operation_refuses_without_token(client: TestClient) -> None:
    document = client.get("/openapi.json", headers=AUTH).json()
    for path, operations in document["paths"].items():
        url = path.replace("{call_id}", "c1")
        for method in operations:
            status = client.request(method, url).status_code
            assert (status == 200) == (url == "/health"), (method, url, status)
    schemas = document["components"]["schemas"]
    for name in ("WireEvent", "StreamStart", "TwilioMessage", "ChatMessage", "ChatResponse"):
        assert name in schemas
    assert client.get("/docs", headers=AUTH).status_code == 404  # docs only with dev=True


def test_foreign_host_is_refused(client: TestClient) -> None:
    assert client.get("/health", headers={"host": "attacker.example"}).status_code == 403
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect(WS + "/v1/calls/c1/events", headers={**AUTH, "host": "attacker.example"}):
            pass
    assert info.value.code == 4403


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://localhost:9999", "file://"])
def test_foreign_origin_is_refused_even_with_a_token(client: TestClient, origin: str) -> None:
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect(WS + "/v1/calls/c1/events", headers={**AUTH, "origin": origin}):
            pass
    assert info.value.code == 4403


def test_websocket_without_token_is_refused_at_handshake(client: TestClient) -> None:
    for path in ("/v1/calls/c1/events", "/v1/stream"):
        with pytest.raises(WebSocketDisconnect) as info:
            with client.websocket_connect(WS + path, headers={"origin": "http://127.0.0.1:8765"}):
                pass
        assert info.value.code == 4401


def test_sidebar_token_link_sets_cookie_and_drops_token_from_url(client: TestClient) -> None:
    response = client.get("/sidebar", params={"t": TOKEN, "call": "c9"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sidebar?call=c9"
    assert "httponly" in response.headers["set-cookie"].lower()
    page = client.get("/sidebar?call=c9")  # the cookie jar now holds the token
    assert page.status_code == 200 and "langassist" in page.text
    assert client.get("/sidebar", params={"t": "bad"}, follow_redirects=False).status_code == 401
    # the cookie authenticates the events socket from the sidebar's own origin
    with client.websocket_connect(WS + "/v1/calls/c9/events", headers={"origin": "http://127.0.0.1:8765"}) as ws:
        client.post("/v1/calls/c9/messages", json={"speaker": "agent", "text": "hi", "time": 0.5})
        assert ws.receive_json()["type"] == "TranscriptFinal"


def test_chat_message_events_reach_the_events_socket(client: TestClient) -> None:
    with client.websocket_connect(WS + "/v1/calls/c1/events", headers={**AUTH, "origin": "http://127.0.0.1:8765"}) as ws:
        response = client.post("/v1/calls/c1/messages", headers=AUTH,
                               json={"speaker": "customer", "text": "sorry can you repeat", "time": 3.5})
        assert response.status_code == 200
        body = response.json()
        assert body["schema"] == "langassist.wire/1"
        types = [e["type"] for e in body["events"]]
        assert types[0] == "TranscriptFinal"
        assert {"LanguageDetected", "ConfusionDetected", "SuggestionProposed", "BarrierUpdated"} <= set(types)
        received = [ws.receive_json() for _ in types]
    assert [e["type"] for e in received] == types
    assert all(e["schema"] == "langassist.wire/1" and e["call_id"] == "c1" for e in received)
    metrics = client.get("/metrics", headers=AUTH).text
    assert 'langassist_events_sent_total{type="ConfusionDetected"} 1.0' in metrics


def test_chat_validation_is_a_422_not_a_500(client: TestClient) -> None:
    for body in ({"speaker": "boss", "text": "x", "time": 0}, {"speaker": "agent", "text": "", "time": 0},
                 {"speaker": "agent", "text": "x" * 5000, "time": 0}, {"speaker": "agent", "text": "x", "time": -1}):
        assert client.post("/v1/calls/c1/messages", json=body, headers=AUTH).status_code == 422
    assert client.post("/v1/calls/bad%20id/messages", headers=AUTH,
                       json={"speaker": "agent", "text": "x", "time": 0}).status_code == 422


def test_oversize_text_frame_closes_1009(client: TestClient) -> None:
    with client.websocket_connect(WS + "/v1/twilio", headers=AUTH) as ws:
        ws.send_text("x" * (64 * 1024 + 1))
        message = ws.receive()
    assert message["type"] == "websocket.close" and message["code"] == 1009


def test_token_must_be_long() -> None:
    from langassist.api.app import create_app
    from langassist.config import load_settings

    with pytest.raises(ValueError):
        create_app(load_settings(), token="short", assessor_factory=lambda: None, stage_factory=lambda: None)
