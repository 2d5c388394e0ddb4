"""T22: schemathesis against the live API's OpenAPI document, over a real socket.

Every HTTP operation, 100 generated examples each in positive and negative mode (wrong
types, missing and extra fields, bad path ids), all built-in checks (no server error,
status codes, content types, response schemas), plus: no response body carries a stack
trace or an exception class name (ASVS 16.5.1). The server is uvicorn on 127.0.0.1 in
a thread with the fake engines and a fake translator. About 30 s.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from live_server import AUTH, fake_app, serve_in_thread

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import GenerationMode  # noqa: E402

LEAKS = re.compile(r"Traceback|File \"/|\b[A-Z][A-Za-z]+(Error|Exception)\b|site-packages")


class FakeTranslator:
    """A fake translator (for tests)."""

    name = "fake"

    def supports(self, source: str, target: str) -> bool:
        return True

    def translate(self, texts: Sequence[str], *, source: str, target: str) -> list[str]:
        return [text.upper() for text in texts]


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    from langassist.config import TranslationSettings
    from langassist.translate.router import TranslationRouter

    def translator() -> TranslationRouter:
        return TranslationRouter(TranslationSettings(routes=("en-es=apertium",)),
                                 translators={"apertium": FakeTranslator()})

    with serve_in_thread(fake_app(translator_factory=translator)) as server:
        yield server.url


def test_every_operation_keeps_its_contract(live_url: str) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable

    schema = schemathesis.openapi.from_url(live_url + "/openapi.json", headers=AUTH)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {f"{op.method.upper()} {op.path}" for op in operations} >= {
        "GET /health", "GET /metrics", "POST /v1/calls/{call_id}/messages", "POST /v1/session",
        "GET /v1/calls", "POST /v1/translate", "GET /sidebar"}
    failures: list[str] = []
    calls = 0
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=100, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case: Any) -> None:
                nonlocal calls
                calls += 1
                response = case.call_and_validate(headers=AUTH)
                assert not LEAKS.search(response.text), response.text[:300]

            try:
                check()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # no parameters or body to get wrong
            except Exception as error:  # noqa: BLE001 - collect every operation's failure
                failures.append(f"{operation.method.upper()} {operation.path} [{mode.value}]: {error}")
    assert not failures, "\n\n".join(failures)
    assert calls >= 300
