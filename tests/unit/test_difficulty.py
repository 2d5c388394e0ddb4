"""Difficulty scorer and listener adjustment: fixed inputs, expected orderings, edge inputs."""

from __future__ import annotations

import math

import pytest

from langassist.config import AssessmentSettings
from langassist.difficulty import DifficultyScorer, ListenerProfile, load_model, score_for_listener
from langassist.difficulty.text import tokenize
from langassist.errors import ConfigError
from langassist.events import Score, Word

PLAIN = "Please turn it off and on."
JARGON = (
    "To reprovision the ONT we need to power cycle the router, flush the DHCP lease, "
    "re-enter the PPPoE credentials and then run a line test, which should restore the "
    "throughput and the latency your firmware update degraded."
)


@pytest.fixture(scope="module")
def scorer() -> DifficultyScorer:
    return DifficultyScorer(AssessmentSettings())


def timed(text: str, seconds_per_word: float) -> tuple[Word, ...]:
    words, clock = [], 0.0
    for token in tokenize(text):
        words.append(Word(clock, clock + seconds_per_word, token.text, 0.9))
        clock += seconds_per_word
    return tuple(words)


def value(score: Score) -> float:
    assert score.value is not None
    return score.value


def test_jargon_fast_long_sentence_is_harder_than_plain_short_one(scorer: DifficultyScorer) -> None:
    hard = scorer.score(JARGON, language="en", words=timed(JARGON, 0.2))
    easy = scorer.score(PLAIN, language="en", words=timed(PLAIN, 0.4))
    assert value(hard) > value(easy) + 0.4
    assert 0.0 <= value(easy) < value(hard) <= 1.0
    features = {reason.feature for reason in hard.reasons[:5]}
    assert "jargon" in features or "acronyms" in features


def test_faster_speech_scores_harder(scorer: DifficultyScorer) -> None:
    text = "We will send a new router to your home address next week."
    slow = scorer.score(text, language="en", words=timed(text, 0.45))
    fast = scorer.score(text, language="en", words=timed(text, 0.15))
    assert value(fast) > value(slow)
    rate = next(reason for reason in fast.reasons if reason.feature == "speech_rate")
    assert "faster than" in rate.detail


def test_non_native_listener_raises_the_score(scorer: DifficultyScorer) -> None:
    text = "Your contract renewal is due at the end of the billing cycle."
    base = value(scorer.score(text, language="en"))
    native = value(scorer.score(text, language="en", listener=ListenerProfile("en", native=True)))
    accented = value(
        scorer.score(text, language="en", listener=ListenerProfile("en", accent_strength=0.7))
    )
    non_native = value(
        scorer.score(text, language="en", listener=ListenerProfile("en", native=False))
    )
    other_language = value(
        scorer.score(text, language="en", listener=ListenerProfile("es", native=False))
    )
    assert native == pytest.approx(base)
    assert base < accented < non_native < other_language <= 1.0


def test_listener_adjustment_properties() -> None:
    listener = ListenerProfile("pl", native=False)
    previous = -1.0
    for base in (0.0, 0.2, 0.5, 0.9, 1.0):
        adjusted = value(score_for_listener(Score(base), listener, utterance_language="en"))
        assert base <= adjusted <= 1.0
        assert adjusted >= previous
        previous = adjusted
    unknown = score_for_listener(Score(None), listener, utterance_language="en")
    assert unknown.value is None
    same = score_for_listener(Score(0.3), ListenerProfile(), utterance_language="en")
    assert same.value == pytest.approx(0.3)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "ok", "😀😀🎉", "?!...", "Привет, как дела? hello 世界 مرحبا", "router " * 5000,
     "a" * 30_000, "\x00\ufeff", "DHCP"],
)
def test_edge_inputs_give_a_defined_result(scorer: DifficultyScorer, text: str) -> None:
    for language in ("en", "es", None, "zz"):
        score = scorer.score(text, language=language, words=timed(text[:200], 0.3))
        assert score.value is None or 0.0 <= score.value <= 1.0
        assert score.value is None or math.isfinite(score.value)
        assert score.reasons, "every score explains itself"


def test_unknown_for_no_evidence(scorer: DifficultyScorer) -> None:
    assert scorer.score("", language="en").value is None
    assert scorer.score("😀😀", language="en").value is None
    assert scorer.score("okay", language="en").value is None
    assert scorer.score("DHCP", language="en").value is not None


def test_very_long_text_is_truncated_with_a_reason(scorer: DifficultyScorer) -> None:
    score = scorer.score("The router is fine. " * 2000, language="en")
    assert score.value is not None
    assert any(reason.feature == "truncated" for reason in score.reasons)


def test_other_languages_score_with_lower_confidence(scorer: DifficultyScorer) -> None:
    english = scorer.score("We will send you a new router next week.", language="en")
    spanish = scorer.score("Le enviaremos un router nuevo la semana que viene.", language="es")
    unknown = scorer.score("Le enviaremos un router nuevo la semana que viene.", language=None)
    assert english.confidence > spanish.confidence > unknown.confidence > 0.0
    assert spanish.value is not None


def test_shipped_model_loads_and_rejects_bad_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    model = load_model()
    assert model.learned is not None
    assert model.document["training"]["split"] == "benchmarks/splits/onestopenglish-split.json"
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_model(bad)
    with pytest.raises(ConfigError):
        load_model(tmp_path / "missing.json")
