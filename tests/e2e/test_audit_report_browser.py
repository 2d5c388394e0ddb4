"""summary.html in headless Chromium: it renders offline and its plots are visible.

Needs the ``playwright`` package and a system Chromium (``/usr/bin/chromium``; no
``playwright install``); skipped when either is missing. The screenshot goes to a
``test-artifacts`` folder under the test's temporary folder.
"""

from __future__ import annotations

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
    artifacts = tmp_path / "test-artifacts"
    artifacts.mkdir()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto((out / "summary.html").as_uri())
        images = page.locator("img.plot")
        assert images.count() == 3
        for index in range(images.count()):
            image = images.nth(index)
            assert image.is_visible()
            assert image.evaluate("img => img.complete && img.naturalWidth > 100")
        page.screenshot(path=str(artifacts / "summary.png"), full_page=True)
        browser.close()
    assert (artifacts / "summary.png").stat().st_size > 10_000
    assert all(url.startswith(("file:", "data:")) for url in requests)
