"""The evaluation harness: metrics and intervals on fixed inputs, reproducibility,
manifests, grids, result files. Pure (keyword and words-per-sentence systems; no models)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from langassist.config import load_settings
from langassist.errors import ConfigError
from langassist.eval.datasets import fingerprint_files, load_manifest
from langassist.eval.harness import (
    Metric,
    apply_overrides,
    bootstrap_metric,
    bootstrap_statistic,
    expand_grid,
    parse_grid,
    run_task,
)
from langassist.eval.report import markdown_table, write_results
from langassist.eval.tasks import (
    _average_precision,
    binary_counts,
    length_bucket,
    pr_curve,
    spearman,
)

# -- metrics and intervals ----------------------------------------------------------------------


def test_bootstrap_metric_mean_and_interval_are_fixed_for_a_seed() -> None:
    values = [0.1 * i for i in range(21)]
    first = bootstrap_metric(values, seed=3)
    assert first.value == pytest.approx(1.0)
    assert first.n == 21
    assert first.low is not None and first.high is not None
    assert first.low < 1.0 < first.high
    assert bootstrap_metric(values, seed=3) == first
    assert bootstrap_metric(values, seed=4) != first


def test_bootstrap_metric_constant_values_have_a_degenerate_interval() -> None:
    metric = bootstrap_metric([1.0, 1.0, 1.0])
    assert (metric.value, metric.low, metric.high) == (1.0, 1.0, 1.0)
    assert bootstrap_metric([]) == Metric(None)


def test_bootstrap_metric_ratio_of_sums() -> None:
    metric = bootstrap_metric([1.0, 3.0], denominators=[4.0, 4.0])
    assert metric.value == pytest.approx(0.5)


def test_bootstrap_statistic_point_is_the_full_sample_statistic() -> None:
    data = np.asarray([3.0, 1.0, 4.0, 1.0, 5.0, 9.0])
    metric = bootstrap_statistic(len(data), lambda idx: float(np.median(data[idx])), seed=1)
    assert metric.value == pytest.approx(3.5)
    assert metric.low is not None and metric.high is not None
    assert metric.low <= metric.value <= metric.high
    assert bootstrap_statistic(len(data), lambda idx: float(np.median(data[idx])), seed=1) == metric


def test_bootstrap_statistic_undefined_point_has_no_interval() -> None:
    metric = bootstrap_statistic(4, lambda idx: None)
    assert metric.value is None and metric.low is None


def test_metric_format() -> None:
    assert Metric(0.5, 0.25, 0.75, 4).format(2) == "0.50 [0.25, 0.75]"
    assert Metric(None).format() == "n/a"
    assert Metric(0.5).format(1) == "0.5"


def test_binary_counts_and_pr_curve() -> None:
    y = np.asarray([1, 1, 0, 0, 1])
    scores = np.asarray([0.9, 0.6, 0.7, 0.1, 0.2])
    assert binary_counts(y, scores >= 0.5) == (2, 1, 1, 1)
    curve = pr_curve(y, scores)
    assert curve[0] == {"threshold": 0.9, "precision": 1.0, "recall": pytest.approx(1 / 3)}
    assert curve[-1]["recall"] == 1.0 and curve[-1]["precision"] == pytest.approx(0.6)


def test_average_precision_matches_a_hand_computation() -> None:
    # ranking: 1 (hit), 0, 1 (hit): AP = (1/1 + 2/3) / 2
    y = np.asarray([1, 0, 1])
    assert _average_precision(y, np.asarray([0.9, 0.8, 0.7])) == pytest.approx((1 + 2 / 3) / 2)
    # all tied: one threshold, precision 2/3 at recall 1
    assert _average_precision(y, np.asarray([0.5, 0.5, 0.5])) == pytest.approx(2 / 3)
    assert _average_precision(np.asarray([0, 0]), np.asarray([0.1, 0.2])) is None


def test_spearman() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 1, 1], [1, 2, 3]) is None
    assert spearman([1], [1]) is None


def test_length_bucket() -> None:
    assert length_bucket("hola") == "<=10 chars"
    assert length_bucket("x" * 30) == "11-30 chars"
    assert length_bucket("x" * 31) == "31-100 chars"
    assert length_bucket("x" * 101) == ">100 chars"


# -- grids and settings -------------------------------------------------------------------------


def test_parse_and_expand_grid() -> None:
    grid = parse_grid(["asr.model=whisper-tiny.en,whisper-base", "backend=py3langid", "backend=lingua"])
    assert grid == {"asr.model": ["whisper-tiny.en", "whisper-base"], "backend": ["py3langid", "lingua"]}
    points = expand_grid(grid)
    assert len(points) == 4
    assert points[0] == {"asr.model": "whisper-tiny.en", "backend": "py3langid"}
    assert expand_grid({}) == [{}]
    assert parse_grid(["translation.routes=en-es=apertium"]) == {"translation.routes": ["en-es=apertium"]}
    with pytest.raises(ConfigError):
        parse_grid(["no-equals-sign"])


def test_apply_overrides_types_values_like_the_field() -> None:
    settings = load_settings(environ={})
    changed = apply_overrides(settings, {
        "language_id.backends": "py3langid+lingua",
        "asr.beam_size": "3",
        "asr.vad_filter": "false",
        "language_id.confidence_floor": "0.25",
        "asr.language": "none",
        "backend": "ignored-task-parameter",
    })
    assert changed.language_id.backends == ("py3langid", "lingua")
    assert changed.asr.beam_size == 3
    assert changed.asr.vad_filter is False
    assert changed.language_id.confidence_floor == 0.25
    assert changed.asr.language is None
    assert settings.asr.beam_size != 3 or settings is not changed
    with pytest.raises(ConfigError):
        apply_overrides(settings, {"asr.no_such_key": "1"})
    with pytest.raises(ConfigError):
        apply_overrides(settings, {"nosection.key": "1"})
    with pytest.raises(ConfigError):
        apply_overrides(settings, {"asr.beam_size": "many"})


# -- manifests ----------------------------------------------------------------------------------


def test_load_manifest_tsv_csv_jsonl(tmp_path: Path) -> None:
    (tmp_path / "a.tsv").write_text("id\ttext\tlanguage\tlabel\tcategory\nx\thola\tes\tes\tword\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("text,language,label\nhello there,en,en\n", encoding="utf-8")
    (tmp_path / "c.jsonl").write_text(json.dumps({"id": "j", "text": "bonjour", "language": "fr"}) + "\n\n",
                                      encoding="utf-8")
    tsv = load_manifest(tmp_path / "a.tsv")
    assert (tsv[0].id, tsv[0].text, tsv[0].language, tsv[0].label) == ("x", "hola", "es", "es")
    assert tsv[0].extra == {"category": "word"}
    csv_items = load_manifest(tmp_path / "b.csv")
    assert csv_items[0].id == "row-1" and csv_items[0].language == "en"
    assert load_manifest(tmp_path / "c.jsonl")[0].text == "bonjour"


def test_load_manifest_resolves_audio_and_rejects_bad_rows(tmp_path: Path) -> None:
    (tmp_path / "clip.wav").write_bytes(b"RIFF")
    (tmp_path / "ok.tsv").write_text("audio\treference\nclip.wav\thi\n", encoding="utf-8")
    assert load_manifest(tmp_path / "ok.tsv")[0].audio_path == (tmp_path / "clip.wav").resolve()
    (tmp_path / "missing.tsv").write_text("audio\treference\nnope.wav\thi\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="does not exist"):
        load_manifest(tmp_path / "missing.tsv")
    (tmp_path / "dup.tsv").write_text("id\ttext\na\tx\na\ty\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="twice"):
        load_manifest(tmp_path / "dup.tsv")
    (tmp_path / "empty.tsv").write_text("id\ttext\na\t\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no 'text'"):
        load_manifest(tmp_path / "empty.tsv", require=("text",))
    (tmp_path / "lang.tsv").write_text("text\tlanguage\nx\tklingon-ish\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="language"):
        load_manifest(tmp_path / "lang.tsv")
    with pytest.raises(ConfigError):
        load_manifest(tmp_path / "absent.tsv")


def test_fingerprint_changes_with_content(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("one", encoding="utf-8")
    first = fingerprint_files([path])
    assert first == fingerprint_files([path, path])
    path.write_text("two", encoding="utf-8")
    assert fingerprint_files([path])["sha256"] != first["sha256"]


# -- whole runs on small manifests (pure systems) -----------------------------------------------


@pytest.fixture
def clarification_manifest(tmp_path: Path) -> Path:
    rows = [
        ("sorry, what did you say?", 1), ("could you repeat that", 1), ("pardon?", 1),
        ("say that again please", 1), ("what", 1), ("my card was charged twice", 0),
        ("I'm sorry for the delay", 0), ("thanks, that works", 0), ("the order number is 42", 0),
        ("can I change my address", 0),
    ]
    path = tmp_path / "clar.jsonl"
    path.write_text("".join(json.dumps({"id": f"c{i}", "text": t, "label": y}) + "\n"
                            for i, (t, y) in enumerate(rows)), encoding="utf-8")
    return path


def test_confusion_keyword_run_metrics(clarification_manifest: Path) -> None:
    settings = load_settings(environ={})
    result = run_task("confusion", clarification_manifest, settings, grid={"system": ["keyword"]})
    (run,) = result.runs
    # keyword flags items 0, 1, 2, 3 and the false alarm "I'm sorry for the delay"
    assert run.details["counts"] == {"tp": 4, "fp": 1, "fn": 1, "tn": 4}
    assert run.metrics["precision"].value == pytest.approx(0.8)
    assert run.metrics["recall"].value == pytest.approx(0.8)
    assert run.metrics["f1"].value == pytest.approx(0.8)
    assert len(run.items) == 10 and {"id", "score", "predicted", "correct"} <= set(run.items[0])
    assert result.dataset["files"] == 1 and len(result.dataset["sha256"]) == 64


def test_runs_are_reproducible_and_written(clarification_manifest: Path, tmp_path: Path) -> None:
    settings = load_settings(environ={})
    first = run_task("confusion", clarification_manifest, settings, grid={"system": ["keyword"]}, seed=7)
    second = run_task("confusion", clarification_manifest, settings, grid={"system": ["keyword"]}, seed=7)
    assert first.metrics_table() == second.metrics_table()
    assert first.run_id == second.run_id
    paths = write_results(first, tmp_path / "out")
    document = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert document["task"] == "confusion" and document["seed"] == 7
    assert document["runs"][0]["metrics"]["f1"]["value"] == pytest.approx(0.8)
    assert {"machine", "packages"} <= set(document["environment"])
    assert document["runs"][0]["settings"]["language_id"]["backends"]
    lines = paths["items"].read_text(encoding="utf-8").splitlines()
    assert len(lines) == 10 and json.loads(lines[0])["run"] == "system=keyword"
    assert "| system=keyword |" in paths["markdown"].read_text(encoding="utf-8")
    assert paths["png"].read_bytes()[:4] == b"\x89PNG"


def test_difficulty_grid_on_a_level_manifest(tmp_path: Path) -> None:
    path = tmp_path / "levels.tsv"
    path.write_text(
        "id\ttext\tlabel\tgroup\n"
        "a0\tShort one. Easy.\t0\ta\n"
        "a1\tThis sentence is a little bit longer than before.\t1\ta\n"
        "a2\tThis sentence is considerably longer than both of the previous ones, by far.\t2\ta\n"
        "b0\tHi there.\t0\tb\n"
        "b2\tA much longer sentence with many more words in it than the other.\t2\tb\n",
        encoding="utf-8",
    )
    settings = load_settings(environ={})
    result = run_task("difficulty", path, settings, grid={"system": ["words-per-sentence"]})
    (run,) = result.runs
    assert run.metrics["pair_accuracy"].value == pytest.approx(1.0)  # 3 pairs in a, 1 in b
    assert run.metrics["pair_accuracy"].n == 4
    scores = [item["score"] for item in run.items if item["kind"] == "text"]
    assert run.metrics["spearman"].value == pytest.approx(spearman(scores, [0, 1, 2, 0, 2]))
    assert run.metrics["spearman"].value > 0.9
    assert "words-per-sentence" in markdown_table(result)


def test_unknown_task_and_parameter_are_config_errors(clarification_manifest: Path) -> None:
    settings = load_settings(environ={})
    with pytest.raises(ConfigError, match="unknown evaluation task"):
        run_task("nope", clarification_manifest, settings)
    with pytest.raises(ConfigError, match="unknown parameter"):
        run_task("confusion", clarification_manifest, settings, grid={"colour": ["red"]})


def test_eval_command_prints_the_table_and_writes_files(clarification_manifest: Path, tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from langassist.cli.eval import eval_command

    app = typer.Typer()
    app.command("eval")(eval_command)
    app.command("other")(lambda: None)  # keep "eval" a subcommand
    out = tmp_path / "results"
    result = CliRunner().invoke(app, ["eval", "confusion", "--data", str(clarification_manifest),
                                      "--grid", "system=keyword", "--out", str(out), "--no-plot"])
    assert result.exit_code == 0, result.output
    assert "| system=keyword |" in result.output
    assert "0.800 [" in result.output
    assert sorted(p.suffix for p in out.iterdir()) == [".json", ".jsonl", ".md"]
    bad = CliRunner().invoke(app, ["eval", "nope", "--data", str(clarification_manifest), "--out", str(out)])
    assert bad.exit_code == 1


def test_auc_counts_ties_as_half_and_needs_both_classes() -> None:
    from langassist.eval.tasks import auc

    assert auc([1, 1, 0, 0], [0.9, 0.8, 0.2, 0.1]) == 1.0
    assert auc([1, 0], [0.5, 0.5]) == 0.5
    assert auc([1, 1, 0], [0.1, 0.9, 0.5]) == 0.5
    assert auc([1, 1], [0.1, 0.2]) is None


def test_accent_speakers_follow_the_split_rule() -> None:
    from langassist.eval.datasets import accent_speaker

    assert accent_speaker("speechocean762-0001", "Mandarin, spk0024, age 9", True) == ("so762-spk0024", "so762-child")
    assert accent_speaker("librispeech-test-clean-1089-134686-0000", "", False) == ("librispeech-1089", "librispeech")
    with pytest.raises(ConfigError):
        accent_speaker("mystery-clip", "", True)


def test_audio_folder_with_sidecars(tmp_path: Path) -> None:
    from langassist.eval.datasets import is_audio_folder, load_audio_folder

    (tmp_path / "b.wav").write_bytes(b"RIFF")
    (tmp_path / "b.txt").write_text("hello there\n")
    (tmp_path / "b.lang").write_text("en")
    (tmp_path / "a.flac").write_bytes(b"fLaC")
    (tmp_path / "a.txt").write_text("hola")
    (tmp_path / "c.wav").write_bytes(b"RIFF")  # no sidecar: skipped
    assert is_audio_folder(tmp_path)
    items = load_audio_folder(tmp_path)
    assert [(i.id, i.reference, i.language) for i in items] == [("a", "hola", None), ("b", "hello there", "en")]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert not is_audio_folder(empty)
