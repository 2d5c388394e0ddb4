"""summary.html and a call report in headless Chromium: they render offline and their
plots are visible.

Needs the ``playwright`` package and a system Chromium (``/usr/bin/chromium``; no
``playwright install``); skipped when either is missing. The screenshots go to a
``test-artifacts`` folder under the test's temporary folder (or to
``$LANGASSIST_TEST_ARTIFACTS`` when set, e.g. for CI to upload).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from audit_helpers import FAKE, write_chats
from langassist import service
from langassist.audit import AuditOptions, run_audit

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def test_summary_plots_are_visible(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).is_file():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    write_chats(tmp_path / "in", 3)
    out = tmp_path / "out"
    run_audit([tmp_path / "in"], out, service.load_settings(), AuditOptions(engine="inline", resources=FAKE))
    artifacts = Path(os.environ.get("LANGASSIST_TEST_ARTIFACTS") or tmp_path / "test-artifacts")
    artifacts.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto((out / "summary.html").as_uri())
        charts = page.locator("svg.plot")
        assert charts.count() == 8  # three rows of bar charts
        for index in range(charts.count()):
            chart = charts.nth(index)
            assert chart.is_visible()
            box = chart.bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 100
        # the barrier-rate charts have a bar per queue or agent (three chat calls)
        assert page.locator(".charts").first.locator("rect").count() >= 3
        page.screenshot(path=str(artifacts / "summary.png"), full_page=True)
        page.locator("table a").first.click()
        page.wait_for_load_state()
        assert page.url.endswith(".html") and "/calls/" in page.url
        timeline = page.locator("svg.plot")
        assert timeline.count() == 1 and timeline.is_visible()
        box = timeline.bounding_box()
        assert box is not None and box["width"] > 500 and box["height"] > 150
        assert page.locator("svg.plot rect[fill^='#']").count() >= 3  # lanes and speaker turns
        page.screenshot(path=str(artifacts / "call.png"), full_page=True)
        browser.close()
    assert (artifacts / "summary.png").stat().st_size > 10_000
    assert (artifacts / "call.png").stat().st_size > 10_000
    assert all(url.startswith(("file:", "data:")) for url in requests)
