"""Accent evidence, model and per-speaker scorer on fixed, hand-built utterances."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import langassist.accent as accent
from langassist.accent import (
    AccentModel,
    AccentOptions,
    AccentScorer,
    accumulate_evidence,
    extract_evidence,
    guess_first_language,
    load_accent_model,
    speaker_features,
)
from langassist.core.stage import Stage
from langassist.errors import ConfigError
from langassist.events import (
    AccentScored,
    LanguageDetected,
    LanguageDistribution,
    TranscriptFinal,
    Word,
)

FAKE_MODEL = AccentModel(
    features=("spoken_language_logit", "mean_word_probability", "avg_logprob"),
    mean=(1.0, 0.8, -0.5),
    scale=(2.0, 0.1, 0.2),
    coefficients=(-1.5, -0.8, -0.6),
    intercept=0.0,
    native_reference={"spoken_language_logit": 4.0, "mean_word_probability": 0.92, "avg_logprob": -0.3},
)
"""A fixed test model (not the shipped one): more mass off the spoken language, lower
word probability and lower log-probability all raise the score."""


def _utterance(
    start: float,
    duration: float,
    *,
    p_en: float | None,
    word_p: float = 0.9,
    logprob: float = -0.3,
    words: int = 6,
    other: str = "zh",
    track: str = "customer",
    source: str = "asr",
) -> TranscriptFinal:
    step = duration / max(1, words)
    word_items = tuple(
        Word(start + i * step, start + i * step + step * 0.8, f"w{i}", word_p) for i in range(words)
    )
    language = (
        None if p_en is None
        else LanguageDistribution.from_mapping({"en": p_en, other: (1 - p_en) * 0.8, "de": (1 - p_en) * 0.2})
    )
    return TranscriptFinal(
        call_id="call", track=track, utterance_id=f"{track}-{start:g}", start_s=start,
        end_s=start + duration, text=" ".join(w.text for w in word_items), words=word_items,
        avg_logprob=logprob, language=language, source=source,  # type: ignore[arg-type]
    )


NATIVE = [_utterance(i * 4.0, 3.0, p_en=0.98, word_p=0.93, logprob=-0.25) for i in range(4)]
ACCENTED = [_utterance(i * 4.0, 3.0, p_en=0.45, word_p=0.6, logprob=-0.9) for i in range(4)]


# -- evidence ---------------------------------------------------------------------------


def test_extract_evidence_measures_words_pauses_and_language() -> None:
    words = (
        Word(0.0, 0.4, "hello", 0.9),
        Word(0.5, 0.9, "there", 0.3),
        Word(1.5, 2.0, "friend", 0.6),  # 0.6 s gap: a pause
    )
    final = TranscriptFinal("c", "customer", "u1", 0.0, 2.0, "hello there friend", words,
                            avg_logprob=-0.4, language=LanguageDistribution.from_mapping({"en": 0.7}))
    evidence = extract_evidence(final)
    assert evidence is not None
    assert evidence.word_count == 3
    assert evidence.probability_sum == pytest.approx(1.8)
    assert evidence.low_probability_count == 1
    assert evidence.voiced_s == pytest.approx(2.0)
    assert evidence.pause_s == pytest.approx(0.6)
    assert evidence.avg_logprob == -0.4


@pytest.mark.parametrize(
    "final",
    [
        TranscriptFinal("c", "customer", "u", 0.0, 2.0, "typed text", source="chat"),
        TranscriptFinal("c", "customer", "u", 1.0, 1.0, ""),  # zero duration
        TranscriptFinal("c", "customer", "u", 0.0, 2.0, ""),  # no words, no language
        TranscriptFinal("c", "customer", "u", 2.0, 1.0, "backwards"),  # negative duration
    ],
)
def test_utterances_without_evidence_give_none(final: TranscriptFinal) -> None:
    assert extract_evidence(final) is None


def test_nan_numbers_are_dropped_not_trusted() -> None:
    final = TranscriptFinal("c", "customer", "u", 0.0, 2.0, "a b",
                            (Word(0.0, 0.5, "a", float("nan")), Word(0.6, 1.0, "b", 0.8)),
                            avg_logprob=float("nan"))
    evidence = extract_evidence(final)
    assert evidence is not None
    assert evidence.word_count == 1 and evidence.avg_logprob is None


def test_accumulated_evidence_pools_by_duration_and_words() -> None:
    short = _utterance(0.0, 1.0, p_en=0.2, word_p=0.5, words=2)
    long = _utterance(2.0, 3.0, p_en=1.0, word_p=1.0, words=6)
    pooled = accumulate_evidence([short, long])
    assert pooled.speech_s == pytest.approx(4.0)
    assert pooled.utterances == 2 and pooled.word_count == 8
    assert pooled.language is not None
    assert pooled.language.probability("en") == pytest.approx((0.2 * 1 + 1.0 * 3) / 4)
    assert pooled.mean_word_probability == pytest.approx((2 * 0.5 + 6 * 1.0) / 8)
    assert pooled.low_probability_share == pytest.approx(0.0)  # 0.5 is not below 0.5


def test_empty_accumulation_measures_nothing() -> None:
    pooled = accumulate_evidence([])
    assert pooled.speech_s == 0.0 and pooled.language is None
    assert all(v is None for v in speaker_features(pooled, "en").values())


# -- model ----------------------------------------------------------------------------


def test_model_orders_native_below_accented_with_reasons() -> None:
    native = FAKE_MODEL.score(speaker_features(accumulate_evidence(NATIVE), "en"))
    accented = FAKE_MODEL.score(speaker_features(accumulate_evidence(ACCENTED), "en"))
    assert native.value < 0.2 < 0.8 < accented.value
    top = accented.reasons[0]
    assert top.contribution > 0 and top.feature in FAKE_MODEL.features
    assert "native speakers: about" in top.detail
    assert accented.coverage == pytest.approx(1.0)


def test_missing_features_sit_at_the_mean_and_lower_coverage() -> None:
    output = FAKE_MODEL.score({"mean_word_probability": 0.8, "avg_logprob": -0.5})
    assert output.value == pytest.approx(0.5)  # everything at the mean, intercept 0
    assert output.coverage == pytest.approx((0.8 + 0.6) / 2.9)
    assert output.reasons[-1].feature == "not_measured"


def test_model_round_trips_through_json(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(FAKE_MODEL.to_dict()), encoding="utf-8")
    loaded = load_accent_model(path)
    values = speaker_features(accumulate_evidence(ACCENTED), "en")
    assert loaded.score(values).value == pytest.approx(FAKE_MODEL.score(values).value, abs=1e-6)


@pytest.mark.parametrize(
    "change",
    [
        {"schema": "other/1"},
        {"features": ["spoken_language_logit", "no_such_feature", "avg_logprob"]},
        {"scale": [1.0, 0.0, 1.0]},
        {"mean": [1.0]},
    ],
)
def test_bad_model_files_raise_config_error(change: dict[str, object], tmp_path: Path) -> None:
    data = {**FAKE_MODEL.to_dict(), **change}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError):
        load_accent_model(path)


def test_missing_or_broken_model_file_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_accent_model(tmp_path / "absent.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_accent_model(broken)


def test_shipped_model_loads_and_orders_native_below_accented() -> None:
    model = load_accent_model()
    assert model.metadata.get("fitted_by") == "benchmarks/train_accent.py"
    native = model.score(speaker_features(accumulate_evidence(NATIVE), "en")).value
    accented = model.score(speaker_features(accumulate_evidence(ACCENTED), "en")).value
    assert 0.0 <= native < 0.5 < accented <= 1.0


# -- first language -------------------------------------------------------------------


def test_first_language_needs_enough_mass_and_share() -> None:
    clear = LanguageDistribution.from_mapping({"en": 0.55, "fr": 0.3, "de": 0.05, "es": 0.05})
    diffuse = LanguageDistribution.from_mapping({"en": 0.6, "fr": 0.08, "de": 0.08, "es": 0.08, "it": 0.08})
    tiny = LanguageDistribution.from_mapping({"en": 0.95, "fr": 0.05})
    assert guess_first_language(clear, "en").language == "fr"
    assert guess_first_language(diffuse, "en").language is None
    assert guess_first_language(tiny, "en").language is None
    assert guess_first_language(None, "en").language is None
    assert guess_first_language(clear, None).language is None


def test_catch_all_languages_are_never_a_first_language() -> None:
    latin = LanguageDistribution.from_mapping({"en": 0.5, "la": 0.3, "fr": 0.2})
    guess = guess_first_language(latin, "en")
    assert guess.language == "fr"  # Latin skipped and left out of the share
    only_latin = LanguageDistribution.from_mapping({"en": 0.5, "la": 0.45, "fr": 0.05})
    assert guess_first_language(only_latin, "en").language is None


# -- scorer ---------------------------------------------------------------------------


def test_scorer_is_unknown_until_min_speech_then_scores() -> None:
    scorer = AccentScorer(AccentOptions(min_speech_s=5.0), model=FAKE_MODEL)
    assert scorer.observe(ACCENTED[0]) is None  # 3 s < 5 s
    current = scorer.current("customer")
    assert current is not None and current.score.value is None
    assert "at least 5.0 s" in current.score.reasons[0].detail
    event = scorer.observe(ACCENTED[1])
    assert isinstance(event, AccentScored)
    assert event.score.value is not None and event.score.value > 0.8
    assert event.language == "en" and event.likely_first_language == "zh"
    assert event.time_s == ACCENTED[1].end_s and event.call_id == "call"


def test_confidence_grows_with_speech() -> None:
    scorer = AccentScorer(AccentOptions(min_speech_s=2.0, confidence_speech_s=10.0), model=FAKE_MODEL)
    confidences = [e.score.confidence for e in (scorer.observe(u) for u in ACCENTED) if e is not None]
    assert confidences == sorted(confidences) and confidences[0] < confidences[-1]
    assert confidences[-1] == pytest.approx(1 - math.exp(-12 / 10), abs=1e-3)


def test_native_speaker_scores_low_and_gets_no_first_language() -> None:
    event = AccentScorer(model=FAKE_MODEL).score_speaker(NATIVE)
    assert event.score.value is not None and event.score.value < 0.2
    assert event.likely_first_language is None
    assert event.track == "customer" and event.language == "en"


def test_speakers_are_kept_apart() -> None:
    scorer = AccentScorer(model=FAKE_MODEL)
    agent = [_utterance(u.start_s, 3.0, p_en=0.98, word_p=0.93, logprob=-0.25, track="agent") for u in NATIVE]
    events = []
    for native, accented in zip(agent, ACCENTED, strict=True):
        events += [scorer.observe(native), scorer.observe(accented)]
    agent_score = scorer.current("agent")
    customer_score = scorer.current("customer")
    assert agent_score is not None and customer_score is not None
    assert agent_score.score.value is not None and customer_score.score.value is not None
    assert agent_score.score.value < 0.5 < customer_score.score.value


def test_chat_and_empty_utterances_are_ignored() -> None:
    scorer = AccentScorer(model=FAKE_MODEL)
    assert scorer.observe(_utterance(0.0, 10.0, p_en=0.5, source="chat")) is None
    assert scorer.current("customer") is None
    event = scorer.score_speaker([])
    assert event.score.value is None and event.track == ""


def test_explicit_language_overrides_distribution_top() -> None:
    # Whisper's top language is zh for this speaker, but the speaker is speaking English.
    zh_top = [_utterance(i * 4.0, 3.0, p_en=0.3, word_p=0.6, logprob=-0.9) for i in range(3)]
    scorer = AccentScorer(model=FAKE_MODEL)
    implicit = scorer.score_speaker(zh_top)
    explicit = scorer.score_speaker(zh_top, language="en")
    assert implicit.language == "zh" and explicit.language == "en"
    assert implicit.score.value is not None and explicit.score.value is not None
    assert explicit.score.value > implicit.score.value


def test_english_only_model_without_distribution_still_scores_with_lower_confidence() -> None:
    no_language = [_utterance(i * 4.0, 3.0, p_en=None, word_p=0.55, logprob=-1.0) for i in range(4)]
    event = AccentScorer(model=FAKE_MODEL).score_speaker(no_language, language="en")
    full = AccentScorer(model=FAKE_MODEL).score_speaker(ACCENTED)
    assert event.score.value is not None and event.score.value > 0.5
    assert event.score.confidence < full.score.confidence
    assert any(r.feature == "not_measured" for r in event.score.reasons)


def test_stage_protocol_and_settled_language_rescore() -> None:
    scorer = AccentScorer(model=FAKE_MODEL)
    assert isinstance(scorer, Stage)
    zh_top = [_utterance(i * 4.0, 3.0, p_en=0.3, word_p=0.6, logprob=-0.9) for i in range(2)]
    out = scorer.feed(zh_top[0]) + scorer.feed(zh_top[1])
    assert [e.language for e in out] == ["zh", "zh"]  # falls back to the distribution's top
    settled = LanguageDetected("call", "customer", 8.0, "u", "en", LanguageDistribution(), speaker_language="en")
    rescored = scorer.feed(settled)
    assert len(rescored) == 1 and rescored[0].language == "en"
    assert scorer.feed(settled) == []  # same language again: nothing new
    assert scorer.flush() == []
    scorer.reset()
    assert scorer.current("customer") is None


def test_options_validate_and_read_settings() -> None:
    from langassist.config import load_settings

    with pytest.raises(ConfigError):
        AccentOptions(min_speech_s=-1.0)
    with pytest.raises(ConfigError):
        AccentOptions(confidence_speech_s=0.0)
    settings = load_settings(overrides={"language_id.min_speech_s": 3.5}, environ={})
    assert AccentOptions.from_settings(settings).min_speech_s == 3.5


def test_public_api_is_pinned() -> None:
    assert sorted(accent.__all__) == sorted([
        "AccentModel", "AccentOptions", "AccentScorer", "EvidenceAccumulator", "FirstLanguageGuess",
        "MismatchMonitor", "SideState", "SpeakerEvidence", "UtteranceEvidence", "accumulate_evidence",
        "assess_mismatch", "extract_evidence", "guess_first_language", "load_accent_model",
        "score_evidence", "score_mismatch", "speaker_features",
    ])
