"""``langassist audit`` through Typer's CliRunner, with fake resources."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from audit_helpers import CANARY_CARD, CANARY_DIGITS, FAKE, scan_for, write_chat, write_chats
from langassist.cli.audit import audit_command


def make_app() -> typer.Typer:
    app = typer.Typer()
    app.command("audit")(audit_command)

    @app.callback()
    def root() -> None:
        """The test's root."""

    return app


def test_audit_cli_exit_codes_outputs_and_rerun(tmp_path: Path) -> None:
    inputs = tmp_path / "my calls"
    write_chats(inputs, 3)
    write_chat(inputs / "canary é.jsonl", 5, extra=f"card {CANARY_CARD}")
    (inputs / "broken.jsonl").write_text("nope\n", encoding="utf-8")
    out = tmp_path / "out dir"
    runner = CliRunner()
    base = ["audit", str(inputs), "--out", str(out), "--pipeline", "english-fast", "--resources", FAKE]
    dry = runner.invoke(make_app(), [*base, "--dry-run"])
    assert dry.exit_code == 2, dry.output
    assert "broken" in dry.output and not out.joinpath("calls.jsonl").exists()
    result = runner.invoke(make_app(), [*base, "--workers", "2", "--timeout-s", "30"])
    assert result.exit_code == 2, result.output
    assert "quarantined" in result.output
    rows = [json.loads(line) for line in (out / "calls.jsonl").read_text().splitlines()]
    assert sum(row["status"] == "done" for row in rows) == 4
    assert scan_for(out, CANARY_DIGITS) == [] and not any(d in result.output for d in CANARY_DIGITS)
    again = runner.invoke(make_app(), base)
    assert again.exit_code == 2 and "0 processed now, 5 already done" in again.output


def test_audit_cli_bad_option_exits_1(tmp_path: Path) -> None:
    write_chats(tmp_path / "in", 1)
    result = CliRunner().invoke(make_app(), ["audit", str(tmp_path / "in"), "--out", str(tmp_path / "o"),
                                             "--engine", "spark", "--resources", FAKE])
    assert result.exit_code == 1 and "engine" in result.output


def test_workers_share_the_cores() -> None:
    from langassist import service
    from langassist.cli.audit import share_cores

    settings = service.load_settings(overrides={"asr.cpu_threads": 2})
    assert share_cores(settings, 1, cores=2).asr.cpu_threads == 2
    assert share_cores(settings, 2, cores=2).asr.cpu_threads == 1
    assert share_cores(settings, 4, cores=2).asr.cpu_threads == 1
    assert share_cores(settings, 2, cores=16).asr.cpu_threads == 2  # never raised
