"""The whole assessment from audio: generated stereo call through Whisper base and every
assessment stage (T9 for the real engine: language state per speaker)."""

from __future__ import annotations

from pathlib import Path

import pytest

from langassist import service

pytestmark = pytest.mark.model


def test_stereo_call_from_audio_to_verdict(stereo_call_wav: Path) -> None:
    settings = service.load_settings(overrides={"asr.model": "whisper-base"})
    assessment = service.assess_file(stereo_call_wav, settings)
    document = service.redacted_document(assessment, settings)
    tracks = {u["track"] for u in document["utterances"]}
    assert tracks == {"agent", "customer"}
    agent_rows = [u for u in document["utterances"] if u["track"] == "agent"]
    assert all(u["text_language"]["language"] == "en" for u in agent_rows)
    assert all(u["difficulty"]["value"] is not None for u in agent_rows)
    customer_rows = [u for u in document["utterances"] if u["track"] == "customer"]
    spanish = [u for u in customer_rows if "entiendo" in u["text"].lower()]
    assert spanish and spanish[0]["text_language"]["language"] == "es"
    assert any(c["kind"] == "clarification_request" for c in spanish[0].get("confusion", []))
    assert "accent" in document["speakers"]["customer"]
    assert document["verdict"]["barrier"] is True
    assert document["cost_ms"]["utterances"] == len(document["utterances"])
