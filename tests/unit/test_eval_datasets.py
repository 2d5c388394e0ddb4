"""The speech-manifest loader, on small manifests written to tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from langassist.errors import ConfigError
from langassist.eval import load_speech_set

HEADER = ("id\taudio\tlanguage\tspeaker_l1\tduration_s\treference\treference_style\t"
          "source_repo\tsource_commit\tsource_path\tlicense\n")


def _write_set(root: Path, rows: list[str], name: str = "speech-test") -> Path:
    folder = root / name
    (folder / "audio").mkdir(parents=True)
    for row in rows:
        audio = row.split("\t")[1]
        (folder / audio).write_bytes(b"fLaC")
    (folder / "manifest.tsv").write_text(HEADER + "".join(r + "\n" for r in rows), "utf-8")
    return folder


def test_loads_typed_items_with_labels_and_subsets(tmp_path: Path) -> None:
    rows = [
        "jfk\taudio/jfk.flac\ten\ten (US, native)\t11.00\tAnd so, my fellow Americans.\tcased"
        "\topenai/whisper\tc0d2\ttests/jfk.flac\tpublic domain",
        "speechocean762-1\taudio/a.flac\ten\tzh (Mandarin L1); speaker spk0024; age 25; gender f"
        "\t2.2\tIT WAS GOOD\tupper\tr\tc\tp\tCC BY 4.0",
        "speechocean762-2\taudio/b.flac\ten\tzh (Mandarin L1); speaker spk0003; age 9; gender m"
        "\t2.0\tTWO SIX\tupper\tr\tc\tp\tCC BY 4.0",
        "earnings22_1_x\taudio/e.flac\ten\tlikely non-native; company country=France\t59.6"
        "\tWe are gathered.\tcased\tr\tc\tp\tCC BY-SA 4.0",
        "fleurs-de-000\taudio/d.flac\tde\tde (native; FLEURS config de_de)\t17.9\tfür die\tlower"
        "\tr\tc\tp\tCC BY 4.0",
    ]
    folder = _write_set(tmp_path, rows)
    items = load_speech_set("speech-test", tmp_path)
    assert [item.id for item in items] == ["jfk", "speechocean762-1", "speechocean762-2",
                                           "earnings22_1_x", "fleurs-de-000"]
    jfk, adult, child, earnings, german = items
    assert jfk.audio_path == (folder / "audio" / "jfk.flac").resolve()
    assert jfk.reference == "And so, my fellow Americans."
    assert jfk.language == "en" and jfk.duration_s == pytest.approx(11.0)
    assert jfk.set_name == "speech-test" and jfk.subset == "jfk"
    assert jfk.labels["license"] == "public domain" and jfk.labels["l1"] == "en"
    assert adult.subset == "speechocean762-adult"
    assert (adult.labels["l1"], adult.labels["age"], adult.labels["gender"]) == ("zh", "25", "f")
    assert child.subset == "speechocean762-child"
    assert earnings.subset == "earnings22" and "l1" not in earnings.labels
    assert german.language == "de" and german.subset == "fleurs"


def test_missing_set_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="LANGASSIST_DATA_DIR"):
        load_speech_set("speech-en-native", tmp_path)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("x\taudio/x.flac\tklingon\t\t1.0\tref\t\t\t\t\t", "unknown language"),
        ("x\taudio/x.flac\ten\t\tlong\tref\t\t\t\t\t", "duration_s"),
        ("x\taudio/x.flac\ten", "wrong number of fields"),
    ],
)
def test_malformed_rows_raise_config_error(tmp_path: Path, row: str, message: str) -> None:
    _write_set(tmp_path, [row])
    with pytest.raises(ConfigError, match=message):
        load_speech_set("speech-test", tmp_path)


def test_missing_audio_and_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    folder = _write_set(tmp_path, ["x\taudio/x.flac\ten\t\t1.0\tref\t\t\t\t\t"])
    (folder / "audio" / "x.flac").unlink()
    with pytest.raises(ConfigError, match="does not exist"):
        load_speech_set("speech-test", tmp_path)
    other = tmp_path / "second"
    _write_set(other, ["x\taudio/x.flac\ten\t\t1.0\tref\t\t\t\t\t"] * 2)
    with pytest.raises(ConfigError, match="appears twice"):
        load_speech_set("speech-test", other)
