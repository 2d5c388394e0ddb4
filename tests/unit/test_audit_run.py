"""The audit runner with fake resources: T17 poison isolation, T18 idempotent reruns,
T24 canary leak check, stereo recordings, per-call manifest columns."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

import audio_factory as af
from audit_helpers import (
    CANARY_CARD,
    CANARY_DIGITS,
    FAKE,
    scan_for,
    write_chat,
    write_chats,
    write_stereo_bursts,
)
from langassist import service
from langassist.audit import AuditOptions, dry_run, run_audit


def options(**values: object) -> AuditOptions:
    return AuditOptions(resources=FAKE, **values)  # type: ignore[arg-type]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_t18_rerun_does_no_work_and_config_change_redoes_all(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    write_chats(inputs, 4)
    out = tmp_path / "out"
    settings = service.load_settings()
    first = run_audit([inputs], out, settings, options(engine="inline"))
    assert (first.done, first.quarantined, first.processed, first.exit_code) == (4, 0, 4, 0)
    published = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and "sqlite" not in p.name}
    second = run_audit([inputs], out, settings, options(engine="inline"))
    assert (second.processed, second.skipped, second.done) == (0, 4, 4)
    for path, data in published.items():
        assert path.read_bytes() == data, f"{path} changed on a rerun that did no work"
    threads = service.load_settings(overrides={"asr.cpu_threads": 1})  # speed, not output
    assert run_audit([inputs], out, threads, options(engine="inline")).processed == 0
    changed = service.load_settings(overrides={"assessment.barrier_threshold": 0.9})
    third = run_audit([inputs], out, changed, options(engine="inline"))
    assert third.processed == 4
    rows = read_jsonl(out / "calls.jsonl")
    assert len(rows) == 4 and len({row["key"] for row in rows}) == 4


def test_t17_poison_inputs_fail_alone(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    write_chats(inputs, 3)
    write_chat(inputs / "hang.jsonl", 9, extra="__HANG__")
    write_chat(inputs / "crash.jsonl", 8, extra="__CRASH__")
    af.random_bytes_file(inputs / "corrupt.wav", 4000, seed=3)
    (inputs / "empty.wav").write_bytes(b"")
    out = tmp_path / "out"
    report = run_audit([inputs], out, service.load_settings(),
                       options(workers=2, timeout_s=5.0, max_attempts=1))
    assert report.exit_code == 2
    assert report.done == 3
    reasons = {item["call_id"]: item["reason"] for item in report.quarantine}
    assert reasons["hang"] == "timeout"
    assert reasons["crash"] == "worker_crashed"
    assert reasons["corrupt"] in ("corrupt", "unsupported")
    assert reasons["empty"] == "empty"
    assert set(reasons) == {"hang", "crash", "corrupt", "empty"}
    quarantine = read_jsonl(out / "quarantine.jsonl")
    assert {row["call_id"] for row in quarantine} == set(reasons)
    assert all(row["message"] for row in quarantine)


def test_t24_canary_card_never_reaches_an_output(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    inputs = tmp_path / "in"
    write_chats(inputs, 2)
    write_chat(inputs / "canary.jsonl", 7, extra=f"my card is {CANARY_CARD}")
    out = tmp_path / "out"
    caplog.set_level(logging.DEBUG, logger="langassist")
    report = run_audit([inputs], out, service.load_settings(), options(engine="inline"))
    assert report.done == 3
    assert scan_for(out, CANARY_DIGITS) == []
    assert not any(needle in caplog.text for needle in CANARY_DIGITS)
    rows = {row["call_id"]: row for row in read_jsonl(out / "calls.jsonl")}
    assert rows["canary"]["redactions"] == 1 and rows["canary"]["redactions_by_kind"] == {"card": 1}
    assert rows["chat-000"]["redactions"] == 0
    # With redaction off the number is kept (the flag works, and the scan would catch it).
    raw = tmp_path / "raw"
    run_audit([inputs], raw, service.load_settings(overrides={"privacy.redact": False}),
              options(engine="inline"))
    assert scan_for(raw, CANARY_DIGITS)


def test_stereo_recordings_and_manifest_columns(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()
    write_stereo_bursts(calls / "left agent.wav", seed=1)
    write_stereo_bursts(calls / "right agent.wav", seed=2)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        "path,call_id,agent_channel,agent_languages,queue,agent_id,region\n"
        "calls/left agent.wav,c-left,left,en,billing,a1,emea\n"
        "calls/right agent.wav,c-right,1,en;es,tech,a2,apac\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    report = run_audit([manifest], out, service.load_settings(), options(workers=1))
    assert report.exit_code == 0 and report.done == 2 and report.audio_s == pytest.approx(12.0, abs=0.1)
    rows = {row["call_id"]: row for row in read_jsonl(out / "calls.jsonl")}
    assert rows["c-left"]["queue"] == "billing" and rows["c-left"]["region"] == "emea"
    assert rows["c-right"]["agent_languages"] == ["en", "es"] and rows["c-right"]["agent_channel"] == 1
    left = json.loads((out / rows["c-left"]["document"]).read_text(encoding="utf-8"))
    right = json.loads((out / rows["c-right"]["document"]).read_text(encoding="utf-8"))
    first_left = min(left["utterances"], key=lambda u: u["start_s"])
    first_right = min(right["utterances"], key=lambda u: u["start_s"])
    assert first_left["track"] == "agent" and first_right["track"] == "customer"
    utterances = read_jsonl(out / "utterances.jsonl")
    assert {u["call_id"] for u in utterances} == {"c-left", "c-right"}
    pq = pytest.importorskip("pyarrow.parquet")
    assert pq.read_table(out / "calls.parquet").num_rows == 2
    assert pq.read_table(out / "utterances.parquet").num_rows == len(utterances)
    html = (out / rows["c-left"]["report"]).read_text(encoding="utf-8")
    assert '<svg class="plot"' in html and "<script" not in html
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert summary.count('<svg class="plot"') == 8 and "barrier rate by queue" in summary
    assert "<script" not in summary and "data:image" not in summary


def test_dry_run_reports_what_would_fail_and_writes_nothing(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    write_chats(inputs, 2)
    (inputs / "bad.jsonl").write_text("not json\n", encoding="utf-8")
    af.random_bytes_file(inputs / "noise.wav", 2000, seed=1)
    items = dry_run([inputs], service.load_settings(), tmp_path / "out", FAKE)
    status = {item.call_id: item.status for item in items}
    assert status["chat-000"] == "ok" and status["bad"] == "transcript_format"
    assert status["noise"] in ("corrupt", "unsupported")
    assert not (tmp_path / "out").exists()
