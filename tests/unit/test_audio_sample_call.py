"""The bundled sample call matches its script, and the script can rebuild it."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import audio_factory as af
from langassist import audio

REPO_ROOT = Path(__file__).resolve().parents[2]


def _script(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    return data


def test_sample_call_is_small_stereo_and_the_right_length(sample_call_flac: Path) -> None:
    assert sample_call_flac.stat().st_size < 1_500_000
    result = audio.check(sample_call_flac)
    assert result.channels == 2 and result.sample_rate_hz == 16000 and result.codec == "flac"
    assert 25.0 <= (result.decoded_duration_s or 0) <= 40.0


def test_sample_call_turns_match_the_audio(sample_call_flac: Path) -> None:
    script = _script(sample_call_flac)
    decoded = audio.decode(sample_call_flac)
    assert decoded.track_names == ("agent", "customer")
    assert decoded.duration_s == pytest.approx(script["duration_s"], abs=1e-3)
    turns = script["turns"]
    assert [t["speaker"] for t in turns][:4] == ["agent", "customer", "agent", "customer"]
    assert [t["language"] for t in turns if t["speaker"] == "customer"] == ["en", "es"]
    assert {t["voice"] for t in turns if t["speaker"] == "customer"} == {"es"}
    previous_end = 0.0
    for turn in turns:
        assert turn["start_s"] >= previous_end + 0.5  # no overlap, a real pause
        previous_end = turn["end_s"]
        span = slice(round(turn["start_s"] * 16000), round(turn["end_s"] * 16000))
        other = "customer" if turn["speaker"] == "agent" else "agent"
        assert af.rms_dbfs(decoded.tracks[turn["speaker"]][span]) > -35
        assert np.max(np.abs(decoded.tracks[other][span])) == 0.0
    # Outside every turn (times are rounded to 1 ms), both channels are silent.
    speech = np.zeros(len(decoded.tracks["agent"]), dtype=bool)
    for turn in turns:
        first = round((turn["start_s"] - 0.001) * 16000)
        speech[first : round((turn["end_s"] + 0.001) * 16000)] = True
    for track in decoded.tracks.values():
        assert np.max(np.abs(track[~speech])) == 0.0


def test_script_rebuilds_the_same_call(sample_call_flac: Path, tmp_path: Path) -> None:
    bundled = _script(sample_call_flac)
    version = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True)
    if version.stdout.strip().splitlines()[0].strip() != bundled["espeak_ng"]:
        pytest.skip("a different espeak-ng version synthesizes different audio")
    spec = importlib.util.spec_from_file_location(
        "make_sample_call", REPO_ROOT / "scripts" / "make_sample_call.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rebuilt = module.build(tmp_path / "sample-call.flac")
    assert rebuilt["turns"] == bundled["turns"]
    fresh = audio.decode(tmp_path / "sample-call.flac")
    original = audio.decode(sample_call_flac)
    for name in original.tracks:
        assert np.array_equal(fresh.tracks[name], original.tracks[name])
