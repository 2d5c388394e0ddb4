"""Agent/customer language mismatch: fixed inputs, expected scores and orderings."""

from __future__ import annotations

import pytest

from langassist.accent.mismatch import (
    DIFFERENT_LANGUAGE_WEIGHT,
    UNSERVED_LANGUAGE_WEIGHT,
    MismatchMonitor,
    SideState,
    assess_mismatch,
    score_mismatch,
)
from langassist.events import (
    AGENT,
    CUSTOMER,
    MIXED,
    AccentScored,
    LanguageDetected,
    LanguageDistribution,
    MismatchDetected,
    Score,
    TranscriptFinal,
)


def _dist(**probabilities: float) -> LanguageDistribution:
    return LanguageDistribution.from_mapping(probabilities)


def test_unserved_customer_language_is_a_strong_mismatch() -> None:
    score = score_mismatch(SideState("en"), SideState("es"), ["en"])
    assert score.value == pytest.approx(UNSERVED_LANGUAGE_WEIGHT)
    assert score.reasons[0].feature == "unserved_language"
    assert "es" in score.reasons[0].detail and "does not serve" in score.reasons[0].detail


def test_served_but_different_language_is_a_mismatch_the_agent_can_fix() -> None:
    score = score_mismatch(SideState("en"), SideState("es"), ["en", "es"])
    assert score.value == pytest.approx(DIFFERENT_LANGUAGE_WEIGHT)
    assert score.reasons[0].feature == "different_language"
    assert "could switch" in score.reasons[0].detail


def test_shared_language_without_accents_scores_zero_and_says_why() -> None:
    score = score_mismatch(SideState("en"), SideState("en"), ["en"])
    assert score.value == 0.0
    assert [r.feature for r in score.reasons] == ["shared_language"]


def test_ordering_unserved_over_different_over_accent_gap_over_shared() -> None:
    languages = ["en", "es"]
    unserved = score_mismatch(SideState("en"), SideState("de"), languages).value
    different = score_mismatch(SideState("en"), SideState("es"), languages).value
    gap = score_mismatch(SideState("en", accent=0.1), SideState("en", accent=0.9), languages).value
    shared = score_mismatch(SideState("en", accent=0.1), SideState("en", accent=0.2), languages).value
    assert unserved is not None and different is not None and gap is not None and shared is not None
    assert unserved > different > gap > shared >= 0.0


def test_accent_gap_is_symmetric_and_grows_with_the_gap() -> None:
    small = score_mismatch(SideState("en", accent=0.2), SideState("en", accent=0.4), ["en"]).value
    large = score_mismatch(SideState("en", accent=0.2), SideState("en", accent=0.9), ["en"]).value
    flipped = score_mismatch(SideState("en", accent=0.9), SideState("en", accent=0.2), ["en"]).value
    assert small is not None and large is not None
    assert large > small
    assert flipped == pytest.approx(large)


def test_accent_gap_reason_names_the_first_language() -> None:
    score = score_mismatch(
        SideState("en", accent=0.1), SideState("en", accent=0.9, first_language="zh"), ["en"]
    )
    gap = next(r for r in score.reasons if r.feature == "accent_gap")
    assert "customer more accented" in gap.detail and "zh" in gap.detail


def test_unknown_customer_language_is_unknown() -> None:
    score = score_mismatch(SideState("en"), SideState(None), ["en"])
    assert score.value is None and not score.known
    assert assess_mismatch("en", None, ["en"]) is None


def test_uncertain_settled_language_lowers_the_score() -> None:
    sure = score_mismatch(SideState("en"), SideState("es", _dist(es=0.95, pt=0.05)), ["en"]).value
    unsure = score_mismatch(SideState("en"), SideState("es", _dist(es=0.4, pt=0.35, it=0.25)), ["en"]).value
    assert sure is not None and unsure is not None
    assert sure > unsure >= 0.5 * UNSERVED_LANGUAGE_WEIGHT


def test_language_codes_are_normalized() -> None:
    score = score_mismatch(SideState("EN-us"), SideState("spa"), ["en-GB"])
    assert score.value == pytest.approx(UNSERVED_LANGUAGE_WEIGHT)


def test_causes_combine_as_noisy_or_and_stay_below_one() -> None:
    # Different served language, plus no accent term (languages differ): one cause only.
    score = score_mismatch(SideState("en", accent=0.0), SideState("es", accent=1.0), ["en", "es"])
    assert score.value == pytest.approx(DIFFERENT_LANGUAGE_WEIGHT)
    # Unknown customer language but a known accent gap: accent term only.
    gap_only = score_mismatch(SideState(None, accent=0.0), SideState(None, accent=1.0), ["en"])
    assert gap_only.value == pytest.approx(0.6)
    assert all(0.0 <= (s.value or 0.0) <= 1.0 for s in (score, gap_only))


def test_assess_mismatch_builds_the_event() -> None:
    event = assess_mismatch("en", "es", ["en"], call_id="c1", time_s=12.5)
    assert isinstance(event, MismatchDetected)
    assert (event.call_id, event.track, event.time_s) == ("c1", CUSTOMER, 12.5)
    assert (event.agent_language, event.customer_language) == ("en", "es")
    assert event.score.value == pytest.approx(UNSERVED_LANGUAGE_WEIGHT)
    assert assess_mismatch("en", "en", ["en"], min_score=0.5) is None
    shared = assess_mismatch("en", "en", ["en"])
    assert shared is not None and shared.score.value == 0.0


def test_assess_mismatch_is_deterministic() -> None:
    args = ("en", "fr", ["en", "de"])
    assert assess_mismatch(*args, customer_distribution=_dist(fr=0.7, en=0.3)) == assess_mismatch(
        *args, customer_distribution=_dist(fr=0.7, en=0.3)
    )


def _detected(track: str, language: str | None, time_s: float, **dist: float) -> LanguageDetected:
    return LanguageDetected(
        call_id="c", track=track, time_s=time_s, utterance_id=f"{track}-{time_s}",
        language=language, distribution=_dist(**dist), speaker_language=language,
    )


def test_monitor_emits_on_change_only() -> None:
    monitor = MismatchMonitor(["en"])
    assert monitor.feed(_detected(AGENT, "en", 1.0, en=0.99)) == []  # customer unknown
    first = monitor.feed(_detected(CUSTOMER, "en", 2.0, en=0.98))
    assert len(first) == 1 and first[0].score.value == 0.0
    assert monitor.feed(_detected(CUSTOMER, "en", 3.0, en=0.97)) == []  # nothing changed
    switched = monitor.feed(_detected(CUSTOMER, "es", 4.0, es=0.99))
    assert len(switched) == 1
    assert switched[0].customer_language == "es"
    assert switched[0].score.value is not None and switched[0].score.value > 0.5
    assert monitor.feed(_detected(MIXED, "de", 5.0, de=0.9)) == []


def test_monitor_uses_accent_scores_and_skips_unknown_ones() -> None:
    monitor = MismatchMonitor(["en"])
    monitor.feed(_detected(AGENT, "en", 1.0, en=0.99))
    monitor.feed(_detected(CUSTOMER, "en", 2.0, en=0.9))
    unknown = AccentScored("c", CUSTOMER, 3.0, "en", Score(None))
    assert monitor.feed(unknown) == []
    monitor.feed(AccentScored("c", AGENT, 3.5, "en", Score(0.1, confidence=0.8)))
    out = monitor.feed(AccentScored("c", CUSTOMER, 4.0, "en", Score(0.9, confidence=0.7), "zh"))
    assert len(out) == 1
    assert out[0].score.value is not None and out[0].score.value >= 0.4
    assert any(r.feature == "accent_gap" for r in out[0].score.reasons)
    monitor.reset()
    assert monitor.feed(_detected(AGENT, "en", 1.0, en=0.99)) == []


def _spoken(track: str, start: float, duration: float, **dist: float) -> TranscriptFinal:
    return TranscriptFinal(
        call_id="c", track=track, utterance_id=f"{track}-{start:g}", start_s=start,
        end_s=start + duration, text="words", language=_dist(**dist),
    )


def test_monitor_falls_back_on_the_spoken_distribution_until_language_id_speaks() -> None:
    monitor = MismatchMonitor(["en"], min_speech_s=2.0)
    assert monitor.feed(_spoken(AGENT, 0.0, 3.0, en=0.99)) == []  # customer still unknown
    assert monitor.feed(_spoken(CUSTOMER, 3.0, 1.0, es=0.95, pt=0.05)) == []  # 1 s < 2 s
    out = monitor.feed(_spoken(CUSTOMER, 4.0, 2.0, es=0.9, pt=0.1))
    assert len(out) == 1 and out[0].customer_language == "es" and out[0].agent_language == "en"
    assert out[0].time_s == 6.0 and out[0].score.reasons[0].feature == "unserved_language"
    # The language-ID stage takes over the customer side; later spoken finals are ignored.
    taken = monitor.feed(_detected(CUSTOMER, "en", 7.0, en=0.97))
    assert len(taken) == 1 and taken[0].customer_language == "en" and taken[0].score.value == 0.0
    assert monitor.feed(_spoken(CUSTOMER, 8.0, 5.0, es=0.99)) == []


def test_spoken_fallback_stays_unknown_when_whisper_is_unsure() -> None:
    # Accented English: Whisper spreads its mass; no language settles, nothing is claimed.
    monitor = MismatchMonitor(["en"])
    monitor.feed(_spoken(AGENT, 0.0, 3.0, en=0.99))
    assert monitor.feed(_spoken(CUSTOMER, 3.0, 6.0, zh=0.55, en=0.45)) == []
    chat = TranscriptFinal("c", CUSTOMER, "t", 9.0, 12.0, "hola", language=_dist(es=1.0), source="chat")
    assert monitor.feed(chat) == []


def test_stage_factories_read_settings() -> None:
    from langassist.accent import AccentModel, AccentScorer
    from langassist.config import load_settings
    from langassist.core.stage import Stage
    from langassist.stages.accent import create_accent_stage, create_mismatch_stage
    from langassist.testing import run_stage

    settings = load_settings(
        overrides={"assessment.agent_languages": "en,es", "language_id.min_speech_s": 3.0}, environ={}
    )
    mismatch = create_mismatch_stage(settings)
    assert isinstance(mismatch, Stage) and mismatch.agent_languages == ("en", "es")
    out = run_stage(mismatch, [_detected(AGENT, "en", 1.0, en=0.99), _detected(CUSTOMER, "es", 2.0, es=0.99)])
    assert [e.score.reasons[0].feature for e in out] == ["different_language"]
    model = AccentModel(("avg_logprob",), (-0.5,), (0.2,), (-1.0,), 0.0)
    scorer = create_accent_stage(settings, model=model)
    assert isinstance(scorer, AccentScorer) and isinstance(scorer, Stage)
    assert scorer.options.min_speech_s == 3.0 and scorer.model is model
