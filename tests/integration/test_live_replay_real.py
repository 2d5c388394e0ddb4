"""Real-model tier of the live path: ``langassist serve`` with whisper-tiny.en (the
``english-fast`` pipeline and the real assessor) in a subprocess, and a short espeak-ng
stereo call replayed through ``langassist.client`` over both protocols. The finals must
carry the spoken words. About 40 s on 2 cores (model load included).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import numpy as np
import pytest

from langassist.client import replay
from live_server import TOKEN, english_call_or_skip, serve_subprocess

pytestmark = pytest.mark.model


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def test_serve_transcribes_a_replayed_call_with_tiny_en(tmp_path: Path) -> None:
    audio = english_call_or_skip("My internet is not working today.")
    assert audio.duration_s < 10

    with serve_subprocess(["--pipeline", "english-fast"], token=TOKEN, log_dir=tmp_path) as server:
        reports = [asyncio.run(replay(audio, server.url, token=TOKEN, protocol=protocol, speed=1.0,  # type: ignore[arg-type]
                                      drain_timeout_s=30.0))
                   for protocol in ("native", "twilio")]
    log = (tmp_path / "serve.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, log[-2000:]
    assert TOKEN not in log.replace(f"token: {TOKEN}", "")  # printed once for the user, never logged
    texts = {r.protocol: [(u.track, u.text) for u in r.utterances] for r in reports}
    for report in reports:
        assert report.complete, report.events
        agent = _words(" ".join(u.text for u in report.utterances if u.track == "agent"))
        customer = _words(" ".join(u.text for u in report.utterances if u.track == "customer"))
        if report.protocol == "native":  # 16 kHz PCM: the words as spoken
            assert {"restart", "router", "minutes"} <= agent, texts
            assert {"internet", "working"} <= customer, texts
        else:  # 8 kHz mu-law costs tiny.en some words (offline too: "Clean risk target in the router...")
            assert len(agent & {"please", "restart", "router", "wait", "two", "minutes"}) >= 3, texts
            assert len(customer & {"my", "internet", "is", "not", "working", "today"}) >= 3, texts
        for u in report.utterances:
            assert np.isfinite(u.final_latency_s) and u.final_latency_s > -0.1
        assert report.summary is not None and "score" in report.summary
