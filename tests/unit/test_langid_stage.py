"""The language ID stage with a fake identifier and scripted finals."""

from __future__ import annotations

from langassist.config import LanguageIdSettings
from langassist.events import LanguageDetected, LanguageDistribution, TranscriptFinal
from langassist.stages.langid import LanguageStage
from langassist.testing import run_stage


class KeywordIdentifier:
    name = "keyword"

    def identify(self, text: str) -> LanguageDistribution:
        if "hola" in text.lower():
            return LanguageDistribution.from_mapping({"es": 0.95, "en": 0.05})
        if "hello" in text.lower():
            return LanguageDistribution.from_mapping({"en": 0.95, "es": 0.05})
        if text.strip():
            return LanguageDistribution.from_mapping({"en": 0.4, "es": 0.35, "de": 0.25})
        return LanguageDistribution()


def _final(number: int, text: str, seconds: float = 3.0, source: str = "asr",
           track: str = "customer") -> TranscriptFinal:
    return TranscriptFinal("call", track, f"u{number}", number * 10.0, number * 10.0 + seconds,
                           text, source=source)  # type: ignore[arg-type]


def test_stage_emits_language_and_speaker_language() -> None:
    stage = LanguageStage(LanguageIdSettings(), KeywordIdentifier())
    events = [_final(0, "hello there"), _final(1, "hola amigo"), _final(2, "hmm"),
              _final(3, "hola que tal"), _final(4, "hola otra vez")]
    out = run_stage(stage, events)
    assert all(isinstance(e, LanguageDetected) for e in out)
    assert [e.language for e in out] == ["en", "es", None, "es", "es"]
    # "hmm" (p 0.4) is ignored, so u1 and u3 form the run that switches.
    assert [e.speaker_language for e in out] == ["en", "en", "en", "es", "es"]
    assert out[0].time_s == events[0].end_s and out[0].utterance_id == "u0"


def test_short_speech_and_chat_and_tracks() -> None:
    stage = LanguageStage(LanguageIdSettings(), KeywordIdentifier())
    out = run_stage(stage, [
        _final(0, "hello", seconds=1.0),
        _final(1, "hola " * 10, source="chat", track="agent"),
        _final(2, ""),
    ])
    assert out[0].speaker_language is None and out[0].language == "en"
    assert out[1].speaker_language == "es" and out[1].track == "agent"
    assert out[2].language is None and not out[2].distribution


def test_spoken_distribution_used_without_text_evidence() -> None:
    stage = LanguageStage(LanguageIdSettings(), KeywordIdentifier())
    spoken = LanguageDistribution.from_mapping({"de": 0.9})
    event = TranscriptFinal("call", "customer", "u0", 0.0, 4.0, "", language=spoken)
    (detected,) = run_stage(stage, [event])
    assert detected.language == "de"


def test_reset_forgets_speakers() -> None:
    stage = LanguageStage(LanguageIdSettings(), KeywordIdentifier())
    run_stage(stage, [_final(0, "hello there")])
    stage.reset()
    (detected,) = run_stage(stage, [_final(1, "hola amigo", seconds=1.0)])
    assert detected.speaker_language is None


def test_speech_heard_unclearly_does_not_settle_alone() -> None:
    # "hola amigo" reads es 0.95, but Whisper heard es with 0.4: one utterance does not
    # settle the customer; a second consistent one does. Heard clearly, one does.
    unclear = LanguageDistribution.from_mapping({"es": 0.4, "ja": 0.35, "la": 0.25})
    clear = LanguageDistribution.from_mapping({"es": 0.9, "la": 0.1})

    def heard(number: int, spoken: LanguageDistribution) -> TranscriptFinal:
        return TranscriptFinal("call", "customer", f"u{number}", number * 10.0, number * 10.0 + 3.5,
                               "hola amigo", language=spoken)

    out = run_stage(LanguageStage(LanguageIdSettings(), KeywordIdentifier()),
                    [heard(0, unclear), heard(1, unclear)])
    assert [e.speaker_language for e in out] == [None, "es"]
    assert out[0].language == "es"  # the utterance's own label is the text's
    (first,) = run_stage(LanguageStage(LanguageIdSettings(), KeywordIdentifier()), [heard(0, clear)])
    assert first.speaker_language == "es"
    (old,) = run_stage(LanguageStage(LanguageIdSettings(first_settle_needs_spoken=False), KeywordIdentifier()),
                       [heard(0, unclear)])
    assert old.speaker_language == "es"
