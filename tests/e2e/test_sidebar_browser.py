"""The agent sidebar in headless Chromium while the bundled sample call is replayed.

A real uvicorn server (a thread, free port) serves the sidebar; the test signs in as a
person would (pastes the token), then ``langassist.client.replay`` streams
``samples/sample-call.flac`` at 4x over the native socket. The engine is scripted, not
a model: the streaming ASR stage runs over ``ScriptTranscriber`` (it "hears" the
sample's script, ``samples/sample-call.json``) and the assessor is the package's fake
(keyword language ID, a clarification suggestion when the customer asks to repeat); the
real default pipeline takes over a minute for this call on 2 cores. Translation is a
fake translator behind the real router and route.

Asserts what a person sees: final text per speaker, the customer's language badge, a
suggestion card whose Copy button copies its text, a confusion alert, the barrier gauge,
a translation, and no horizontal scroll at 360 px. Screenshots go to
``$LANGASSIST_TEST_ARTIFACTS`` (default ``build/test-artifacts/``). About 20 s.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from live_server import REPO_ROOT, TOKEN, fake_app, serve_in_thread

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SAMPLE = REPO_ROOT / "samples" / "sample-call.flac"


class FakeTranslator:
    """A fake translator (for tests): tags the text with the pair."""

    name = "fake"

    def supports(self, source: str, target: str) -> bool:
        return True

    def translate(self, texts: Sequence[str], *, source: str, target: str) -> list[str]:
        return [f"[{source}->{target}] {text}" for text in texts]


def script_stage() -> Any:
    from langassist.backends.energy_vad import EnergyVad
    from langassist.backends.fake import ScriptTranscriber
    from langassist.config import StreamingSettings
    from langassist.stages.streaming_asr import StreamingAsrStage

    script = json.loads(SAMPLE.with_suffix(".json").read_text(encoding="utf-8"))
    turns = [(t["start_s"], t["end_s"], t["text"]) for t in script["turns"]]
    return StreamingAsrStage(ScriptTranscriber(turns), vad=EnergyVad, settings=StreamingSettings(vad="energy"))


def artifacts_dir() -> Path:
    folder = Path(os.environ.get("LANGASSIST_TEST_ARTIFACTS") or REPO_ROOT / "build" / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_sidebar_shows_the_replayed_call_at_360px() -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    if not Path(CHROMIUM).is_file():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    if not SAMPLE.is_file():
        pytest.skip(f"{SAMPLE} is missing")
    from langassist.client import load_call_audio, replay
    from langassist.config import TranslationSettings
    from langassist.translate.router import TranslationRouter

    def translator() -> TranslationRouter:
        return TranslationRouter(TranslationSettings(routes=("*-*=apertium",)), translators={"apertium": FakeTranslator()})

    app = fake_app(stage_factory=script_stage, translator_factory=translator)
    audio = load_call_audio(SAMPLE)
    out = artifacts_dir()
    with serve_in_thread(app) as server, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 360, "height": 780})
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
            page = context.new_page()
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(server.url + "/sidebar")
            page.get_by_test_id("login").wait_for(state="visible")
            page.fill("#token", TOKEN)
            page.click("#login button[type=submit]")
            page.wait_for_selector("#main:not([hidden])")
            assert page.locator("#status").inner_text() == "waiting for a call"

            result: dict[str, Any] = {}
            thread = threading.Thread(target=lambda: result.setdefault("report", asyncio.run(
                replay(audio, server.url, token=TOKEN, speed=4.0, call_id="sample-demo"))), daemon=True)
            thread.start()
            # the sidebar follows the new call by itself and shows it live
            expect(page.locator("#status")).to_contain_text("sample-demo", timeout=10_000)
            customer = page.locator(".utt.customer[data-testid=final]")
            customer.filter(has_text="repeat that please").first.wait_for(timeout=30_000)
            page.get_by_test_id("suggestion").first.wait_for(timeout=10_000)
            thread.join(timeout=40)
            assert not thread.is_alive() and result["report"].complete
            page.locator(".utt.customer[data-testid=final]").filter(has_text="entiendo").first.wait_for(timeout=10_000)

            agent_text = " ".join(page.locator(".utt.agent[data-testid=final] .said").all_inner_texts())
            assert "FiberNet support" in agent_text and "Spanish speaking colleague" in agent_text
            assert page.locator(".utt[data-testid=partial]").count() == 0  # every partial became a final
            assert page.get_by_test_id("lang-customer").inner_text() == "customer: es"
            assert page.get_by_test_id("lang-agent").inner_text() == "agent: en"
            card = page.get_by_test_id("suggestion").first
            assert card.is_visible() and "plainer words" in card.inner_text()
            assert page.get_by_test_id("alert").first.is_visible()
            assert "clarification request" in page.get_by_test_id("alert").first.inner_text()
            assert page.locator("#gauge-line").get_attribute("points")
            assert page.get_by_test_id("gauge-value").inner_text().endswith(("%", "barrier")) or \
                "%" in page.get_by_test_id("gauge-value").inner_text()

            card.get_by_test_id("copy").click()
            expect(card.get_by_test_id("copy")).to_have_text("Copied")
            assert page.evaluate("navigator.clipboard.readText()") == "Say it again in shorter, plainer words."

            page.locator(".utt.customer .tools button").last.click()
            expect(page.get_by_test_id("translation")).to_contain_text("[es->en]")
            assert page.get_by_test_id("translation").inner_text() == "[es->en] ¿Habla español?"

            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            page.screenshot(path=str(out / "sidebar-360.png"), full_page=True)
            page.set_viewport_size({"width": 480, "height": 900})
            page.screenshot(path=str(out / "sidebar-480.png"), full_page=False)
            assert not errors, errors
            assert all(url.startswith(server.url) for url in requests), requests
        finally:
            browser.close()
    assert (out / "sidebar-360.png").stat().st_size > 10_000


def test_sidebar_reconnects_by_itself_after_the_server_restarts() -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    if not Path(CHROMIUM).is_file():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    import socket

    import httpx
    import uvicorn

    app = fake_app()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()

    def start() -> tuple[uvicorn.Server, threading.Thread]:
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            assert thread.is_alive()
            threading.Event().wait(0.02)
        return server, thread

    def stop(server: uvicorn.Server, thread: threading.Thread) -> None:
        server.should_exit = True
        thread.join(timeout=10)
        assert not thread.is_alive()

    url = f"http://127.0.0.1:{port}"
    running = start()
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                page = browser.new_page(viewport={"width": 360, "height": 700})
                page.goto(url + "/sidebar?call=r1")
                page.fill("#token", TOKEN)
                page.click("#login button[type=submit]")
                expect(page.locator("#status")).to_have_text("live · r1")
                stop(*running)
                expect(page.locator("#status")).to_have_text("reconnecting…")
                running = start()
                expect(page.locator("#status")).to_have_text("live · r1", timeout=20_000)
                httpx.post(url + "/v1/calls/r1/messages", headers={"Authorization": f"Bearer {TOKEN}"},
                           json={"speaker": "customer", "text": "sorry can you repeat", "time": 1.0})
                page.get_by_test_id("suggestion").first.wait_for(timeout=5_000)
                assert page.locator(".utt.customer .said").inner_text() == "sorry can you repeat"
            finally:
                browser.close()
    finally:
        stop(*running)
