import json
from pathlib import Path

import pytest

from langassist.errors import TranscriptFormatError
from langassist.events import LanguageDistribution, TranscriptFinal, Word
from langassist.formats import FORMATS, render
from langassist.transcript import CallTranscript, TrackTranscript, load_transcript


def make_transcript() -> CallTranscript:
    en = LanguageDistribution.from_mapping({"en": 0.9, "de": 0.05})
    agent = TrackTranscript("agent", (
        TranscriptFinal("c", "agent", "agent-0001", 0.0, 2.5, "Hello, how can I help?",
                        (Word(0.0, 0.4, "Hello,", 0.9),), -0.2, 0.01, 1.2, en),
    ), language=en, duration_s=10)
    customer = TrackTranscript("customer", (
        TranscriptFinal("c", "customer", "customer-0001", 3.0, 4.0, "Sorry, can you repeat?"),
    ), duration_s=10)
    return CallTranscript("c", (agent, customer), source="c.wav", duration_s=10)


def test_json_round_trip(tmp_path: Path) -> None:
    transcript = make_transcript()
    path = tmp_path / "c.json"
    path.write_text(render(transcript, "json"))
    loaded = load_transcript(path)
    assert loaded.to_dict() == transcript.to_dict()
    assert [u.text for u in loaded.utterances()] == ["Hello, how can I help?", "Sorry, can you repeat?"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders(fmt: str) -> None:
    text = render(make_transcript(), fmt)
    assert "Sorry, can you repeat?" in text


def test_srt_and_vtt_timestamps() -> None:
    assert "00:00:03,000 --> 00:00:04,000" in render(make_transcript(), "srt")
    assert "00:00:00.000 --> 00:00:02.500" in render(make_transcript(), "vtt")


def test_chat_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "chat.jsonl"
    lines = [{"speaker": "agent", "text": "Hi!", "time": 0},
             {"speaker": "user", "text": "No entiendo"},
             {"speaker": "customer", "text": "¿Habla español?", "time": 30}]
    path.write_text("\n".join(json.dumps(line) for line in lines))
    transcript = load_transcript(path)
    customer = transcript.track("customer")
    assert customer is not None and [u.start_s for u in customer.utterances] == [5.0, 30.0]
    assert all(u.source == "chat" for u in transcript.utterances())


@pytest.mark.parametrize(
    ("content", "fragment"),
    [("", "empty"), ("{not json", "line 1 is not JSON"), ('{"speaker": "robot", "text": "x"}', "robot"),
     ('{"schema": "other/9", "call_id": "x"}', "unsupported transcript schema")],
)
def test_bad_transcripts(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(TranscriptFormatError, match=fragment):
        load_transcript(path)
