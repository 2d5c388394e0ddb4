"""The transcribe command end to end through Typer's CliRunner, with a scripted fake engine."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from langassist import service
from langassist.backends.base import Segment
from langassist.backends.fake import ScriptedTranscriber
from langassist.cli.main import app
from langassist.events import LanguageDistribution, Word

runner = CliRunner()


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> ScriptedTranscriber:
    segment = Segment(0.2, 1.4, "Hello there.", (Word(0.2, 0.6, "Hello", 0.9), Word(0.7, 1.4, "there.", 0.8)),
                      -0.2, 0.01, 1.1)
    fake = ScriptedTranscriber([[segment]] * 20, language=LanguageDistribution.from_mapping({"en": 0.9}))
    monkeypatch.setattr(service, "create_transcriber", lambda settings, **_: fake)
    return fake


def test_stereo_call_gives_two_tracks(fake_engine: ScriptedTranscriber, stereo_call_wav: Path) -> None:
    result = runner.invoke(app, ["transcribe", str(stereo_call_wav), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["schema"] == "langassist.transcript/1"
    assert [t["track"] for t in document["tracks"]] == ["agent", "customer"]
    utterance = document["tracks"][0]["utterances"][0]
    assert utterance["words"][0][:3] == [0.2, 0.6, "Hello"]
    assert utterance["language"] == {"en": 0.9}
    assert document["metadata"]["settings"]["asr"]["model"] == "whisper-base"


def test_channels_option_swaps_tracks(fake_engine: ScriptedTranscriber, stereo_call_wav: Path) -> None:
    result = runner.invoke(app, ["transcribe", str(stereo_call_wav), "-f", "json", "--channels", "customer,agent"])
    assert result.exit_code == 0, result.output
    assert [t["track"] for t in json.loads(result.stdout)["tracks"]] == ["customer", "agent"]


def test_batch_continues_past_bad_files(fake_engine: ScriptedTranscriber, tmp_path: Path,
                                        speech_en_wav: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.mp3"
    garbage.write_bytes(bytes(range(256)) * 10)
    out = tmp_path / "out"
    result = runner.invoke(app, ["transcribe", str(empty), str(garbage), str(speech_en_wav),
                                 "-f", "srt", "-o", str(out)])
    assert result.exit_code == 1
    assert "empty.wav" in result.stderr and "garbage.mp3" in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2
    assert all(line.count(name) == 1 for line, name in zip(errors, ("empty.wav", "garbage.mp3"), strict=True))
    assert (out / f"{speech_en_wav.stem}.srt").read_text().startswith("1\n")


def test_bad_format_and_missing_file(fake_engine: ScriptedTranscriber, tmp_path: Path) -> None:
    result = runner.invoke(app, ["transcribe", str(tmp_path / "nope.wav"), "-f", "doc"])
    assert result.exit_code == 1 and "--format" in result.stderr
    result = runner.invoke(app, ["transcribe", str(tmp_path / "nope.wav")])
    assert result.exit_code == 1 and "nope.wav" in result.stderr


def test_missing_model_is_one_clear_line(tmp_path: Path, speech_en_wav: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGASSIST_CACHE_DIR", str(tmp_path / "cache"))
    result = runner.invoke(app, ["transcribe", str(speech_en_wav), str(speech_en_wav), "--model", "whisper-huge-v9"])
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "whisper-huge-v9" in lines[0]


def test_help_is_friendly() -> None:
    result = runner.invoke(app, ["transcribe", "--help"])
    assert result.exit_code == 0
    assert "agent,customer" in result.stdout
