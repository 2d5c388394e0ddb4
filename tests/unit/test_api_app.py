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
    assert client.get("/sidebar").status_code == 200  # static page: it asks for the token
    for path in ("/metrics", "/openapi.json", "/v1/calls"):
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
            if (method, url) in {("get", "/health"), ("get", "/sidebar"), ("post", "/v1/session")}:
                assert status in (200, 422), (method, url, status)  # the login checks its body
            else:
                assert status == 401, (method, url, status)
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


def test_sidebar_login_sets_an_httponly_cookie_and_no_url_carries_the_token(client: TestClient) -> None:
    page = client.get("/sidebar?call=c9")
    assert page.status_code == 200 and "langassist" in page.text and TOKEN not in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert client.get("/sidebar", params={"t": TOKEN}).status_code == 200  # ?t is not a login
    assert "set-cookie" not in client.get("/sidebar", params={"t": TOKEN}).headers
    assert client.post("/v1/session", json={"token": "wrong-token-0000000000"}).status_code == 401
    login = client.post("/v1/session", json={"token": TOKEN})
    assert login.status_code == 204
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert client.get("/v1/calls").status_code == 200  # the cookie jar now holds the token
    # the cookie authenticates the events socket from the sidebar's own origin
    with client.websocket_connect(WS + "/v1/calls/c9/events", headers={"origin": "http://127.0.0.1:8765"}) as ws:
        client.post("/v1/calls/c9/messages", json={"speaker": "agent", "text": "hi", "time": 0.5})
        assert ws.receive_json()["type"] == "TranscriptFinal"
    assert "c9" in client.get("/v1/calls").json()["calls"]
    # a cookie-carrying write from another page (CSRF) is refused
    forged = client.post("/v1/calls/c9/messages", headers={"origin": "http://127.0.0.1:9999"},
                         json={"speaker": "agent", "text": "hi", "time": 0.5})
    assert forged.status_code == 403
    cross = client.post("/v1/calls/c9/messages", headers={"sec-fetch-site": "cross-site"},
                        json={"speaker": "agent", "text": "hi", "time": 0.5})
    assert cross.status_code == 403
    assert client.delete("/v1/session").status_code == 204
    client.cookies.clear()
    assert client.get("/v1/calls").status_code == 401


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
