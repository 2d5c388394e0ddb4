"""Small slices of the evaluation harness on ../shared/data, against recorded floors.

Floors are the figures measured when the harness was written (2026-12-01; same limits,
seed 0) minus a margin, so a regression fails while bootstrap noise does not:

=============================  ========  =====
metric                         measured  floor
=============================  ========  =====
text-lid py3langid accuracy    0.909     0.85
text-lid py3langid sentences   1.000     0.95
difficulty pair_accuracy       0.800     0.72
difficulty spearman            0.626     0.50
difficulty topics_ordered      1.000     0.90
confusion classifier F1        0.889     0.80
confusion classifier precision 0.987     0.90
confusion average precision    0.944     0.88
=============================  ========  =====
"""

from __future__ import annotations

from pathlib import Path

import pytest

from langassist.config import load_settings
from langassist.eval.harness import run_task
from langassist.eval.report import write_results

pytestmark = pytest.mark.data


def _require(folder: Path) -> Path:
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    return folder


def test_text_lid_slice(shared_data_dir: Path, tmp_path: Path) -> None:
    data = _require(shared_data_dir / "langid-lingua")
    result = run_task("text-lid", data, load_settings(environ={}), grid={"backend": ["py3langid"]}, limit=110)
    (run,) = result.runs
    assert len(run.items) == 330
    assert run.metrics["accuracy"].value >= 0.85
    assert run.metrics["accuracy[sentences]"].value >= 0.95
    low, high = run.metrics["accuracy"].low, run.metrics["accuracy"].high
    assert low is not None and high is not None and low <= run.metrics["accuracy"].value <= high
    matrix = run.details["confusion_matrix"]
    assert sum(sum(row.values()) for row in matrix.values()) == 330
    paths = write_results(result, tmp_path)
    assert paths["png"].stat().st_size > 0


def test_difficulty_slice(shared_data_dir: Path) -> None:
    data = _require(shared_data_dir / "readability-onestopenglish")
    result = run_task("difficulty", data, load_settings(environ={}), limit=150)
    metrics = result.runs[0].metrics
    assert metrics["pair_accuracy"].n == 150
    assert metrics["pair_accuracy"].value >= 0.72
    assert metrics["spearman"].value >= 0.50
    assert metrics["topics_ordered"].value >= 0.90


def test_confusion_slice_is_reproducible(shared_data_dir: Path) -> None:
    data = _require(shared_data_dir / "clarification-requests")
    settings = load_settings(environ={})
    first = run_task("confusion", data, settings, limit=300)
    second = run_task("confusion", data, settings, limit=300)
    assert first.metrics_table() == second.metrics_table()
    assert first.dataset["sha256"] == second.dataset["sha256"]
    metrics = first.runs[0].metrics
    assert metrics["f1"].value >= 0.80
    assert metrics["precision"].value >= 0.90
    assert metrics["average_precision"].value >= 0.88
    assert first.runs[0].details["pr_curve"]


def test_recomputed_splits_match_the_committed_benchmark_splits(shared_data_dir: Path) -> None:
    import json

    from langassist.eval.datasets import load_clarification, load_onestop

    splits = Path(__file__).resolve().parents[2] / "benchmarks" / "splits"
    onestop = _require(shared_data_dir / "readability-onestopenglish")
    texts, _, _ = load_onestop(onestop, "test")
    committed = json.loads((splits / "onestopenglish-split.json").read_text(encoding="utf-8"))
    assert sorted({t.topic for t in texts}) == committed["test"]
    clarification = _require(shared_data_dir / "clarification-requests")
    items, _ = load_clarification(clarification, "test", "clinc")
    split = json.loads((splits / "clarification-split.json").read_text(encoding="utf-8"))
    assert [item.id for item in items] == [f"clinc:{i}" for i in split["clinc150_repeat_vs_other.jsonl"]["test"]]


@pytest.mark.model
def test_spoken_lid_slice(shared_data_dir: Path) -> None:
    settings = load_settings(overrides={"asr.model": "whisper-base"})
    result = run_task("spoken-lid", shared_data_dir / "speech-multilingual", settings, limit=6, seed=0)
    (run,) = result.runs
    assert run.metrics["accuracy"].value is not None and run.metrics["accuracy"].value >= 0.95


@pytest.mark.model
def test_asr_on_a_folder_of_recordings_with_sidecars(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import audio_factory as af

    text = "Please restart the router and wait two minutes."
    af.write_wav(tmp_path / "call-1.wav", af.speech(text, "en-us", 16000), 16000)
    (tmp_path / "call-1.txt").write_text(text)
    settings = load_settings(overrides={"asr.model": "whisper-tiny.en"})
    (run,) = run_task("asr", tmp_path, settings, seed=0).runs
    assert run.metrics["wer"].value is not None and run.metrics["wer"].value <= 0.2
