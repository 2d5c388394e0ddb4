"""Confusion and difficulty stages: per-call state, timestamps and the four signals."""

from __future__ import annotations

import pytest

from langassist.backends.fake import FakeEmbedder
from langassist.config import AssessmentSettings, Settings
from langassist.events import (
    AGENT,
    CUSTOMER,
    AccentScored,
    ConfusionDetected,
    DifficultyScored,
    LanguageDetected,
    LanguageDistribution,
    Score,
    TranscriptFinal,
)
from langassist.stages.confusion import ConfusionStage, create_confusion_stage
from langassist.stages.difficulty import DifficultyStage, create_difficulty_stage
from langassist.testing import run_pipeline, run_stage

_counter = iter(range(10**6))


def final(track: str, start_s: float, end_s: float, text: str, call_id: str = "c1") -> TranscriptFinal:
    return TranscriptFinal(call_id, track, f"{track}-{next(_counter)}", start_s, end_s, text)


def language(
    track: str, time_s: float, code: str, settled: str | None, p: float = 0.95, call_id: str = "c1"
) -> LanguageDetected:
    return LanguageDetected(
        call_id, track, time_s, f"u{time_s}", code, LanguageDistribution.from_mapping({code: p}),
        speaker_language=settled,
    )


@pytest.fixture(scope="module")
def stage() -> ConfusionStage:
    return create_confusion_stage(Settings(), embedder=FakeEmbedder())


def kinds(events: list[object]) -> list[str]:
    return [event.kind for event in events if isinstance(event, ConfusionDetected)]


def run(stage: ConfusionStage, events: list[object]) -> list[ConfusionDetected]:
    stage.reset()
    return [event for event in run_stage(stage, events) if isinstance(event, ConfusionDetected)]


def test_clarification_request_is_timestamped(stage: ConfusionStage) -> None:
    out = run(stage, [
        final(AGENT, 0.0, 4.0, "Please power cycle the ONT and check the PPPoE credentials."),
        final(CUSTOMER, 4.5, 5.5, "Sorry, can you repeat?"),
    ])
    assert kinds(out) == ["clarification_request"]
    assert out[0].time_s == 5.5 and out[0].track == CUSTOMER
    assert out[0].utterance_id is not None and out[0].utterance_id.startswith("customer-")
    assert out[0].score.value is not None and out[0].score.value > 0.5


def test_agent_clarification_is_not_customer_confusion(stage: ConfusionStage) -> None:
    assert run(stage, [final(AGENT, 0.0, 1.0, "Sorry, can you repeat?")]) == []


def test_paraphrased_repeated_question(stage: ConfusionStage) -> None:
    out = run(stage, [
        final(CUSTOMER, 0.0, 2.0, "How can I change the PIN of my card?"),
        final(AGENT, 2.5, 8.0, "You can do that in the app under security settings."),
        final(CUSTOMER, 9.0, 11.0, "How can I change the PIN on my card?"),
    ])
    assert kinds(out) == ["repeated_question"]
    assert out[0].time_s == 11.0
    assert "at 2.0 s" in out[0].score.reasons[0].detail


def test_looser_paraphrase_with_a_lower_threshold() -> None:
    stage = create_confusion_stage(AssessmentSettings(repeat_similarity=0.5), embedder=FakeEmbedder())
    out = run(stage, [
        final(CUSTOMER, 0.0, 2.0, "When will the technician come to my house?"),
        final(AGENT, 2.5, 6.0, "The appointment is booked."),
        final(CUSTOMER, 7.0, 9.0, "So when is the technician coming to my house?"),
    ])
    assert kinds(out) == ["repeated_question"]


def test_no_repeat_without_agent_between_or_for_new_questions(stage: ConfusionStage) -> None:
    same_turn = run(stage, [
        final(CUSTOMER, 0.0, 2.0, "How can I change the PIN of my card?"),
        final(CUSTOMER, 2.2, 4.0, "How can I change the PIN on my card?"),
    ])
    assert kinds(same_turn) == []
    different = run(stage, [
        final(CUSTOMER, 0.0, 2.0, "How can I change the PIN of my card?"),
        final(AGENT, 2.5, 6.0, "In the app."),
        final(CUSTOMER, 7.0, 9.0, "Do you deliver parcels on Sundays?"),
    ])
    assert kinds(different) == []


def test_long_silence_after_long_agent_turn(stage: ConfusionStage) -> None:
    out = run(stage, [
        final(AGENT, 0.0, 6.0, "Your plan includes unlimited calls and texts."),
        final(AGENT, 6.3, 12.0, "The data allowance resets on the first of each month."),
        final(CUSTOMER, 20.0, 21.0, "Okay."),
    ])
    assert kinds(out) == ["long_silence"]
    assert out[0].time_s == 20.0
    assert out[0].score.value == pytest.approx(0.5 + 0.5 * (8.0 - 6.0) / 6.0, abs=1e-3)
    assert out[0].utterance_id is not None and out[0].utterance_id.startswith("agent-")


def test_no_long_silence_after_short_turn_or_quick_reply(stage: ConfusionStage) -> None:
    short_turn = run(stage, [
        final(AGENT, 0.0, 3.0, "Anything else?"),
        final(CUSTOMER, 12.0, 13.0, "No."),
    ])
    quick_reply = run(stage, [
        final(AGENT, 0.0, 12.0, "Your plan includes unlimited calls, texts and twenty gigabytes."),
        final(CUSTOMER, 13.0, 14.0, "Great."),
    ])
    after_customer = run(stage, [
        final(AGENT, 0.0, 12.0, "Your plan includes unlimited calls, texts and twenty gigabytes."),
        final(CUSTOMER, 12.5, 13.0, "Great."),
        final(AGENT, 30.0, 31.0, "Hello?"),
    ])
    assert kinds(short_turn) == kinds(quick_reply) == kinds(after_customer) == []


def test_agent_resuming_after_silence_also_counts(stage: ConfusionStage) -> None:
    out = run(stage, [
        final(AGENT, 0.0, 11.0, "I have reset the line, so the light should now turn green."),
        final(AGENT, 19.0, 20.0, "Are you still there?"),
    ])
    assert kinds(out) == ["long_silence"]


def test_language_switch(stage: ConfusionStage) -> None:
    out = run(stage, [
        language(CUSTOMER, 1.0, "en", "en"),
        language(CUSTOMER, 5.0, "es", "en", p=0.97),
        language(CUSTOMER, 8.0, "es", "en", p=0.97),
        language(CUSTOMER, 10.0, "es", "es", p=0.9),
        language(AGENT, 11.0, "es", "es"),
    ])
    assert kinds(out) == ["language_switch", "language_switch"]
    assert [event.time_s for event in out] == [5.0, 10.0]
    assert out[1].score.value == pytest.approx(0.5 + 0.4 * 0.9)
    assert "from en to es" in out[1].score.reasons[0].detail


def test_uncertain_or_first_language_is_no_switch(stage: ConfusionStage) -> None:
    out = run(stage, [
        language(CUSTOMER, 1.0, "de", None, p=0.5),
        language(CUSTOMER, 2.0, "en", "en"),
        language(CUSTOMER, 3.0, "fr", "en", p=0.6),
        language(CUSTOMER, 4.0, "en", None),
    ])
    assert kinds(out) == []


@pytest.mark.parametrize(
    "text", ["", "   ", "😀😀🎉", "ok", "Привет, как дела? hello 世界?", "why? " * 4000, "\x00"]
)
def test_edge_inputs_never_raise(stage: ConfusionStage, text: str) -> None:
    events = [final(AGENT, 0.0, 11.0, text), final(CUSTOMER, 11.5, 12.0, text),
              final(AGENT, 12.5, 13.0, text), final(CUSTOMER, 13.5, 14.0, text)]
    out = run(stage, events)
    for event in out:
        assert event.score.value is None or 0.0 <= event.score.value <= 1.0


def test_calls_are_kept_apart_and_reset_forgets(stage: ConfusionStage) -> None:
    stage.reset()
    stage.feed(final(CUSTOMER, 0.0, 2.0, "How can I change the PIN of my card?", call_id="a"))
    stage.feed(final(AGENT, 2.5, 8.0, "In the app.", call_id="a"))
    other = stage.feed(final(CUSTOMER, 9.0, 11.0, "How can I change the PIN on my card?", call_id="b"))
    assert kinds(other) == []
    again = stage.feed(final(CUSTOMER, 9.0, 11.0, "How can I change the PIN on my card?", call_id="a"))
    assert kinds(again) == ["repeated_question"]
    stage.reset()
    assert kinds(stage.feed(final(CUSTOMER, 9.0, 11.0, "How can I change the PIN on my card?",
                                  call_id="a"))) == []


# -- difficulty stage --------------------------------------------------------------------

JARGON = "Please power cycle the ONT, then re-enter the PPPoE credentials on the DHCP page."


@pytest.fixture(scope="module")
def difficulty() -> DifficultyStage:
    return create_difficulty_stage(Settings())


def scored(stage: DifficultyStage, events: list[object]) -> list[DifficultyScored]:
    stage.reset()
    return [event for event in run_stage(stage, events) if isinstance(event, DifficultyScored)]


def test_difficulty_stage_scores_agent_finals_only(difficulty: DifficultyStage) -> None:
    out = scored(difficulty, [
        final(AGENT, 0.0, 4.0, JARGON),
        final(CUSTOMER, 4.5, 5.0, "What?"),
        final(AGENT, 5.5, 6.0, ""),
    ])
    assert [event.time_s for event in out] == [4.0, 6.0]
    assert out[0].score.value is not None and 0.0 < out[0].score.value <= 1.0
    assert out[1].score.value is None


def test_customer_language_and_accent_raise_difficulty(difficulty: DifficultyStage) -> None:
    base = scored(difficulty, [final(AGENT, 0.0, 4.0, JARGON)])[0].score.value
    accent = AccentScored("c1", CUSTOMER, 1.0, "en", Score(0.8, (), 0.7), likely_first_language="pl")
    accented = scored(difficulty, [accent, final(AGENT, 0.0, 4.0, JARGON)])[0].score.value
    other = scored(difficulty, [language(CUSTOMER, 1.0, "es", "es"), final(AGENT, 0.0, 4.0, JARGON)])
    assert base is not None and accented is not None and other[0].score.value is not None
    assert base < accented
    assert base < other[0].score.value
    assert any(r.feature == "listener_language" for r in other[0].score.reasons)


def test_agent_language_from_language_events(difficulty: DifficultyStage) -> None:
    text = "Le enviaremos un router nuevo la semana que viene."
    events = [language(AGENT, 0.5, "es", "es"), final(AGENT, 0.0, 3.0, text)]
    out = scored(difficulty, events)
    assert out[0].score.confidence < 1.0  # scored as Spanish, not as English


def test_both_stages_in_one_pipeline() -> None:
    stages = [create_difficulty_stage(Settings()),
              create_confusion_stage(Settings(), embedder=FakeEmbedder())]
    out = run_pipeline(stages, [
        final(AGENT, 0.0, 12.0, JARGON),
        final(CUSTOMER, 12.5, 13.0, "Sorry, what?"),
    ])
    assert sum(isinstance(e, DifficultyScored) for e in out) == 1
    assert kinds(out) == ["clarification_request"]
