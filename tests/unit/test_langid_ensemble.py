"""Ensemble logic with fake scorers and a tiny hand-made lexicon (no engines)."""

from __future__ import annotations

import numpy as np
import pytest

from langassist.events import LanguageDistribution
from langassist.langid.ensemble import (
    BUCKET_LIMITS,
    EnsembleWeights,
    LanguageContext,
    LexiconScorer,
    TextLanguageEnsemble,
    load_ensemble_weights,
    token_bucket,
)
from langassist.langid.lexicon import WordfreqLexicon

LANGUAGES = ("en", "es", "de")
NAN = float("nan")


class FakeIdentifier:
    """Says ``language`` with probability 0.6 for any text with letters."""

    def __init__(self, language: str = "en", name: str = "fake") -> None:
        self.language = language
        self.name = name
        self.calls = 0

    def identify(self, text: str) -> LanguageDistribution:
        self.calls += 1
        if not any(c.isalpha() for c in text):
            return LanguageDistribution()
        values = dict.fromkeys(LANGUAGES, 0.2)
        values[self.language] = 0.6
        return LanguageDistribution.from_mapping(values)


def _lexicon() -> LexiconScorer:
    words = {"the": 0, "house": 1, "casa": 2, "la": 3, "das": 4, "haus": 5, "is": 6, "big": 7,
             "muy": 8, "grande": 9, "ist": 10, "sehr": 11, "gross": 12, "es": 13}
    rows = np.array([
        [7.7, NAN, NAN], [5.5, NAN, 3.0], [3.0, 5.5, NAN], [4.0, 7.0, NAN], [3.0, NAN, 6.9],
        [3.0, NAN, 5.6], [7.0, NAN, NAN], [6.0, NAN, NAN], [NAN, 6.2, NAN], [3.5, 5.9, NAN],
        [NAN, NAN, 7.0], [NAN, NAN, 6.3], [NAN, NAN, 5.0], [NAN, 7.2, NAN],
    ], dtype=np.float32)
    lexicon = WordfreqLexicon(LANGUAGES, words, rows, np.array([1.0, 1.0, 1.0], dtype=np.float32), 1.0)
    return LexiconScorer(lexicon, LANGUAGES)


def _weights(tie_margin: float = 0.0) -> EnsembleWeights:
    buckets = len(BUCKET_LIMITS) + 1
    return EnsembleWeights(
        sources=("fake", "wordfreq"), tie_breaker="tie",
        weights=((0.3, 1.0),) * buckets, tie_weights=((0.3, 1.0, 2.0),) * buckets,
        bias=({},) * buckets, tie_bias=({},) * buckets, tie_margin=tie_margin,
    )


def _ensemble(tie_margin: float = 0.0, **kwargs: object) -> TextLanguageEnsemble:
    return TextLanguageEnsemble(LANGUAGES, [FakeIdentifier()], _weights(tie_margin),
                                lexicon=_lexicon(), **kwargs)  # type: ignore[arg-type]


def test_lexicon_beats_a_weak_backend_on_words() -> None:
    ensemble = _ensemble()
    assert ensemble.identify("la casa es muy grande").top == "es"
    assert ensemble.identify("das Haus ist sehr gross").top == "de"
    assert ensemble.identify("the house is big").top == "en"


@pytest.mark.parametrize("text", ["", "   ", "12345", "😀😀", "!!!", "🙂 42 ?"])
def test_no_letters_gives_unknown(text: str) -> None:
    ensemble = _ensemble()
    assert ensemble.identify(text) == LanguageDistribution()
    result = ensemble.analyze(text)
    assert result.language is None and not result.distribution


@pytest.mark.parametrize("text", ["casa", "Zxqwv", "Привет мир", "la casa 東京 house", "a" * 100_000,
                                  "das Haus " * 3000])
def test_edge_inputs_give_a_defined_result(text: str) -> None:
    result = _ensemble().analyze(text)
    assert result.distribution
    assert result.language is None or result.language in LANGUAGES
    assert abs(sum(p for _, p in result.distribution.probabilities) - 1.0) < 1e-6


def test_low_confidence_is_unknown() -> None:
    ensemble = TextLanguageEnsemble(LANGUAGES, [FakeIdentifier()], _weights(), confidence_floor=0.99)
    result = ensemble.analyze("qwerty")
    assert result.language is None
    assert any(reason.feature == "low_confidence" for reason in result.reasons)


def test_tie_breaker_runs_only_on_close_calls() -> None:
    tie = FakeIdentifier("de", name="tie")
    never = _ensemble(tie_margin=0.0, tie_breaker=tie)
    never.identify("the house is big")
    assert tie.calls == 0
    always = _ensemble(tie_margin=1.01, tie_breaker=tie)
    assert always.identify("zzzz").top == "de"
    assert tie.calls == 1


def test_context_prior_decides_an_ambiguous_word() -> None:
    ensemble = TextLanguageEnsemble(LANGUAGES, [FakeIdentifier()], _weights(), lexicon=_lexicon())
    spoken = LanguageDistribution.from_mapping({"de": 0.97, "en": 0.03})
    with_context = ensemble.analyze("zzzz", LanguageContext({"de": 1.0}, spoken))
    assert with_context.distribution.top == "de"
    assert {r.feature for r in with_context.reasons} >= {"call_languages", "spoken_language"}
    emoji = ensemble.analyze("👍", LanguageContext(spoken=spoken))
    assert emoji.distribution.top == "de"


def test_code_switching_reports_spans() -> None:
    text = "the house is big la casa es muy grande"
    result = _ensemble().analyze(text)
    assert [code for _, _, code in result.spans] == ["en", "es"]
    (s1, e1, _), (s2, e2, _) = result.spans
    assert text[s1:e1] == "the house is big" and text[s2:e2] == "la casa es muy grande"
    assert _ensemble().analyze("la casa es muy grande").spans == ()


def test_buckets_and_packaged_weights() -> None:
    assert [token_bucket(n) for n in (0, 1, 2, 3, 6, 7, 50)] == [0, 0, 1, 2, 2, 3, 3]
    weights = load_ensemble_weights()
    assert "wordfreq" in weights.sources
    assert EnsembleWeights.from_dict(weights.to_dict()) == weights
