"""Real-model tier of the sidebar: ``langassist serve`` with whisper-tiny.en (the
``english-fast`` pipeline: real streaming ASR, real assessor and suggestions) in a
subprocess, the sidebar in headless Chromium, and a short espeak-ng stereo call
replayed in real time through ``langassist.client``. Asserts what the agent would see:
the spoken words as finals on each side, the language badge, the customer's request to
repeat as an alert, and a suggestion card. The screenshot goes to
``$LANGASSIST_TEST_ARTIFACTS`` (default ``build/test-artifacts/``). About 30 s on 2 cores.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from langassist.client import replay
from live_server import REPO_ROOT, TOKEN, english_call_or_skip, serve_subprocess

pytestmark = pytest.mark.model

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def test_sidebar_shows_a_real_call_transcribed_by_tiny_en(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).is_file():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    audio = english_call_or_skip("Sorry, can you repeat that please?", tail_s=1.5)
    artifacts = Path(os.environ.get("LANGASSIST_TEST_ARTIFACTS") or REPO_ROOT / "build" / "test-artifacts")
    artifacts.mkdir(parents=True, exist_ok=True)

    with serve_subprocess(["--pipeline", "english-fast"], token=TOKEN, log_dir=tmp_path) as server, \
            sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 360, "height": 780})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(server.url + "/sidebar?call=real-1")
            page.fill("#token", TOKEN)
            page.click("#login button[type=submit]")
            sync_api.expect(page.locator("#status")).to_contain_text("real-1", timeout=10_000)

            result: dict[str, Any] = {}
            thread = threading.Thread(target=lambda: result.setdefault("report", asyncio.run(
                replay(audio, server.url, token=TOKEN, speed=1.0, call_id="real-1", drain_timeout_s=30.0))),
                daemon=True)
            thread.start()
            page.locator(".utt.agent[data-testid=final]").first.wait_for(timeout=30_000)
            page.locator(".utt.customer[data-testid=final]").first.wait_for(timeout=30_000)
            page.get_by_test_id("suggestion").first.wait_for(timeout=20_000)
            thread.join(timeout=60)
            assert not thread.is_alive() and result["report"].complete

            agent = _words(" ".join(page.locator(".utt.agent[data-testid=final] .said").all_inner_texts()))
            customer = _words(" ".join(page.locator(".utt.customer[data-testid=final] .said").all_inner_texts()))
            assert {"restart", "router", "minutes"} <= agent, agent
            assert {"repeat"} <= customer, customer
            assert page.get_by_test_id("lang-agent").inner_text() == "agent: en"
            assert page.get_by_test_id("suggestion").first.is_visible()
            assert "clarification" in " ".join(page.get_by_test_id("alert").all_inner_texts())
            page.screenshot(path=str(artifacts / "sidebar-real-360.png"), full_page=True)
            assert not errors, errors
        finally:
            browser.close()
    log = (tmp_path / "serve.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, log[-2000:]
