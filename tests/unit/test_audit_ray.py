"""``--engine ray`` gives the same results as the local engine (a local Ray instance).

In the default run: the engine starts a local Ray instance for the audit (one CPU, no
dashboard, a 256 MB object store) and shuts it down; about 20-35 s on 2 busy cores,
nearly all of it Ray's start-up. Skipped when Ray Data is not installed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit_helpers import FAKE, write_chat, write_chats
from langassist import service
from langassist.audit import AuditOptions, run_audit


def documents(out: Path) -> dict[str, dict]:
    docs = {}
    for path in sorted((out / "calls").glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        document.pop("cost_ms")
        docs[path.name] = document
    return docs


def test_ray_engine_matches_local(tmp_path: Path) -> None:
    pytest.importorskip("ray.data")
    write_chats(tmp_path / "in", 3)
    write_chat(tmp_path / "in" / "pii.jsonl", 4, extra="mail me at jane.doe@example.com")
    (tmp_path / "in" / "bad.jsonl").write_text("x\n", encoding="utf-8")
    settings = service.load_settings()
    local = run_audit([tmp_path / "in"], tmp_path / "local", settings, AuditOptions(engine="inline", resources=FAKE))
    ray = run_audit([tmp_path / "in"], tmp_path / "ray", settings,
                    AuditOptions(engine="ray", workers=1, resources=FAKE))
    assert (ray.done, ray.quarantined, ray.exit_code) == (local.done, local.quarantined, 2)
    assert documents(tmp_path / "ray") == documents(tmp_path / "local")
    assert (tmp_path / "ray" / "utterances.jsonl").read_text() == (tmp_path / "local" / "utterances.jsonl").read_text()
