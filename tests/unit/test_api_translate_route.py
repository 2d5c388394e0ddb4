"""POST /v1/translate (the sidebar's translation panel) and GET /v1/calls."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi.testclient import TestClient
from test_api_fakes import AUTH, make_app

from langassist.config import TranslationSettings
from langassist.translate.router import TranslationRouter


class FakeTranslator:
    """A fake translator (for tests): reverses the words."""

    name = "fake"

    def supports(self, source: str, target: str) -> bool:
        return (source, target) == ("es", "en")

    def translate(self, texts: Sequence[str], *, source: str, target: str) -> list[str]:
        return [" ".join(reversed(text.split())) for text in texts]


def router() -> TranslationRouter:
    return TranslationRouter(TranslationSettings(routes=("es-en=apertium",)), translators={"apertium": FakeTranslator()})


def test_translate_route_uses_the_router_and_says_when_it_cannot() -> None:
    with TestClient(make_app(translator_factory=router), base_url="http://127.0.0.1:8765") as client:
        body = {"text": "no entiendo nada", "source": "es", "target": "en"}
        assert client.post("/v1/translate", json=body).status_code == 401
        ok = client.post("/v1/translate", json=body, headers=AUTH).json()
        assert ok == {"status": "ok", "source": "es", "target": "en", "text": "nada entiendo no",
                      "backend": "apertium", "message": ""}
        none = client.post("/v1/translate", json={**body, "source": "de"}, headers=AUTH).json()
        assert none["status"] == "no_backend" and none["text"] is None and "de->en" in none["message"]
        for bad in ({**body, "text": ""}, {**body, "source": "e"}, {**body, "extra": 1}, {**body, "text": "x" * 2001}):
            assert client.post("/v1/translate", json=bad, headers=AUTH).status_code == 422
    with TestClient(make_app(), base_url="http://127.0.0.1:8765") as client:
        off = client.post("/v1/translate", json={"text": "hola", "source": "es", "target": "en"}, headers=AUTH).json()
        assert off["status"] == "no_backend" and "No translator" in off["message"]


def test_calls_are_listed_most_recent_first() -> None:
    with TestClient(make_app(), base_url="http://127.0.0.1:8765") as client:
        for call in ("a1", "b2", "c3"):
            client.post(f"/v1/calls/{call}/messages", json={"speaker": "agent", "text": "hi", "time": 0}, headers=AUTH)
        assert client.get("/v1/calls", headers=AUTH).json() == {"calls": ["c3", "b2", "a1"]}
