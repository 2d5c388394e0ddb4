"""T16: kill -9 an audit subprocess at random points, rerun, and nothing is lost or doubled."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from audit_helpers import FAKE, write_chats

SCRIPT = """
import sys
from langassist import service
from langassist.audit import AuditOptions, run_audit
if __name__ == "__main__":
    report = run_audit([sys.argv[1]], sys.argv[2], service.load_settings(),
                       AuditOptions(workers=2, resources=sys.argv[3], timeout_s=60))
    sys.exit(report.exit_code)
"""


def _start(script: Path, inputs: Path, out: Path, *, capture: bool = False) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LANGASSIST_FAKE_AUDIT_DELAY_S": "0.4"}
    return subprocess.Popen([sys.executable, str(script), str(inputs), str(out), FAKE], env=env,
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE if capture else subprocess.DEVNULL)


def test_t16_kill_and_resume(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    write_chats(inputs, 10)
    (inputs / "poison.jsonl").write_text("{broken\n", encoding="utf-8")
    out = tmp_path / "out"
    script = tmp_path / "run_audit.py"
    script.write_text(SCRIPT, encoding="utf-8")
    rng = random.Random(16)
    for target in sorted(rng.sample(range(1, 9), 3)):
        process = _start(script, inputs, out)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if len(list((out / "calls").glob("*.json"))) >= target:
                break
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    process = _start(script, inputs, out, capture=True)
    _, err = process.communicate(timeout=90)
    assert process.returncode == 2, err.decode()
    rows = [json.loads(line) for line in (out / "calls.jsonl").read_text().splitlines()]
    assert len(rows) == 11 and len({row["key"] for row in rows}) == 11
    assert sum(row["status"] == "done" for row in rows) == 10
    assert [row["call_id"] for row in rows if row["status"] != "done"] == ["poison"]
    for path in (out / "calls").glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))  # no partial file
    assert len(list((out / "calls").glob("*.json"))) == 10
    assert not list(out.rglob(".audit-tmp-*"))
    utterances = (out / "utterances.jsonl").read_text().splitlines()
    assert len(utterances) == 30 and len(set(utterances)) == 30
    assert (out / "run.json").is_file()
