"""T8 (memory part): a 1-hour 8 kHz file decodes within a bounded peak RSS.

faster-whisper's ``decode_audio`` peaks at about 620 MB on this file (research/reliability.md
section 2). ``decode`` preallocates its 16 kHz output (230 MB) and resamples in half-second
blocks; ``iter_windows`` holds one window. Each runs in a fresh interpreter so its peak
RSS is its own. Marked slow: it writes a 58 MB file and decodes an hour of audio twice.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import audio_factory as af

REPO_ROOT = Path(__file__).resolve().parents[2]

_MEASURE = """
import json, sys
from langassist import audio
mode, path = sys.argv[1], sys.argv[2]
if mode == "decode":
    samples = len(audio.decode(path).tracks["mixed"])
else:
    samples = sum(len(w.tracks["mixed"]) for w in audio.iter_windows(path, 30.0))
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent (pytest).
with open("/proc/self/status") as status:
    peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
peak_mb = peak_kb / 1024
print(json.dumps({"samples": samples, "peak_mb": peak_mb}))
"""


@pytest.fixture(scope="module")
def hour_8k_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    minute = af.white_noise(60.0, -25.0, 8000, seed=7)
    path = tmp_path_factory.mktemp("long") / "hour-8k.wav"
    af.write_wav(path, np.tile(minute, 60), 8000)
    return path


def _measure(mode: str, path: Path) -> dict[str, float]:
    environment = {"PYTHONPATH": str(REPO_ROOT / "src")}
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, mode, str(path)],
        check=True, capture_output=True, text=True, timeout=300, env=environment,
    )
    measured: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return measured


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux /proc")
@pytest.mark.parametrize(("mode", "limit_mb"), [("decode", 400.0), ("windows", 150.0)])
def test_hour_long_file_decodes_in_bounded_memory(
    hour_8k_wav: Path, mode: str, limit_mb: float
) -> None:
    measured = _measure(mode, hour_8k_wav)
    assert measured["samples"] == 3600 * 16000
    assert measured["peak_mb"] <= limit_mb, measured
