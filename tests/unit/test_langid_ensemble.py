"""Ensemble logic with fake scorers and a tiny hand-made lexicon (no engines)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from langassist.errors import ConfigError
from langassist.events import LanguageDistribution
from langassist.langid.ensemble import (
    BUCKET_LIMITS,
    EnsembleStage,
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


class FakeBatchScorer:
    """A :class:`LanguageScorer` with ``score_matrix`` (as py3langid and lingua have):
    says ``language`` like :class:`FakeIdentifier`, and records each batch it is given."""

    def __init__(self, language: str, name: str) -> None:
        self.name = name
        self.languages = LANGUAGES
        self.language = language
        self.batches: list[list[str]] = []

    def score_vector(self, text: str) -> np.ndarray | None:
        if not any(c.isalpha() for c in text):
            return None
        vector = np.full(len(LANGUAGES), math.log(0.2))
        vector[LANGUAGES.index(self.language)] = math.log(0.6)
        return vector

    def score_matrix(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        self.batches.append(list(texts))
        vectors = [self.score_vector(text) for text in texts]
        present = np.array([v is not None for v in vectors], dtype=bool)
        matrix = np.array([v if v is not None else np.zeros(len(LANGUAGES)) for v in vectors])
        return matrix.reshape(len(texts), len(LANGUAGES)), present


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


BUCKETS = len(BUCKET_LIMITS) + 1


def _stage(sources: tuple[str, ...], weights: tuple[float, ...], margin: float) -> EnsembleStage:
    return EnsembleStage(sources, (weights,) * BUCKETS, ({},) * BUCKETS, (margin,) * BUCKETS)


def _weights(tie_margin: float = 0.0) -> EnsembleWeights:
    """Stage 1: fake + wordfreq, deciding at ``tie_margin``; stage 2 adds "tie"."""
    return EnsembleWeights((
        _stage(("fake", "wordfreq"), (0.3, 1.0), tie_margin),
        _stage(("fake", "wordfreq", "tie"), (0.3, 1.0, 2.0), 0.0),
    ))


def _ensemble(tie_margin: float = 0.0, tie: FakeIdentifier | None = None) -> TextLanguageEnsemble:
    scorers = [FakeIdentifier()] + ([tie] if tie is not None else [])
    return TextLanguageEnsemble(LANGUAGES, scorers, _weights(tie_margin), lexicon=_lexicon())


def _cascade(
    first_margin: float, second_margin: float = 0.3
) -> tuple[TextLanguageEnsemble, FakeIdentifier, FakeIdentifier]:
    """wordfreq alone, then + a "cheap" fake saying es, then + an "expensive" one saying de."""
    cheap, expensive = FakeIdentifier("es", name="cheap"), FakeIdentifier("de", name="expensive")
    weights = EnsembleWeights((
        _stage(("wordfreq",), (1.0,), first_margin),
        _stage(("wordfreq", "cheap"), (1.0, 1.0), second_margin),
        _stage(("wordfreq", "cheap", "expensive"), (1.0, 1.0, 10.0), 0.0),
    ))
    ensemble = TextLanguageEnsemble(LANGUAGES, [cheap, expensive], weights, lexicon=_lexicon())
    return ensemble, cheap, expensive


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
    # Languages under REPORTED_MIN_P are left out: at most that much mass each is missing.
    from langassist.langid.ensemble import REPORTED_MIN_P

    total = sum(p for _, p in result.distribution.probabilities)
    assert 1.0 - len(LANGUAGES) * REPORTED_MIN_P <= total <= 1.0 + 1e-9
    assert all(p >= REPORTED_MIN_P for _, p in result.distribution.probabilities[1:])


def test_low_confidence_is_unknown() -> None:
    ensemble = TextLanguageEnsemble(LANGUAGES, [FakeIdentifier()], _weights(), confidence_floor=0.99)
    result = ensemble.analyze("qwerty")
    assert result.language is None
    assert any(reason.feature == "low_confidence" for reason in result.reasons)


def test_tie_breaker_runs_only_on_close_calls() -> None:
    tie = FakeIdentifier("de", name="tie")
    never = _ensemble(tie_margin=0.0, tie=tie)
    never.identify("the house is big")
    assert tie.calls == 0
    always = _ensemble(tie_margin=1.01, tie=tie)
    assert always.identify("zzzz").top == "de"
    assert tie.calls == 1


def test_cascade_stops_at_the_lexicon_when_it_is_sure() -> None:
    ensemble, cheap, expensive = _cascade(first_margin=0.5)
    distribution = ensemble.identify("das Haus ist sehr gross")
    assert distribution.top == "de" and distribution.top_probability > 0.99
    assert (cheap.calls, expensive.calls) == (0, 0)
    assert ensemble.stage_counts == [1, 0, 0]


def test_cascade_asks_the_next_stage_when_the_lexicon_has_nothing() -> None:
    ensemble, cheap, expensive = _cascade(first_margin=0.5)
    # No list holds "zzzz": the lexicon stage has no evidence. The cheap fake alone gives
    # es 0.6 / 0.2 / 0.2, a margin of 0.4 >= 0.3, so its stage decides.
    assert ensemble.identify("zzzz").top == "es"
    assert (cheap.calls, expensive.calls) == (1, 0)
    assert ensemble.stage_counts == [0, 1, 0]


def test_cascade_asks_the_next_stage_when_the_lexicon_is_unsure() -> None:
    ensemble, cheap, expensive = _cascade(first_margin=1.01)  # the lexicon never decides
    # "la" (en 4.0, es 7.0) plus the cheap fake's es: a clear margin, decided at stage 2.
    assert ensemble.identify("la").top == "es"
    assert (cheap.calls, expensive.calls) == (1, 0)
    assert ensemble.stage_counts == [0, 1, 0]


def test_cascade_reaches_the_last_stage_on_close_calls() -> None:
    ensemble, cheap, expensive = _cascade(first_margin=1.01, second_margin=0.9)
    # The cheap stage's margin on "zzzz" (0.4) is below 0.9: the expensive fake (de,
    # weight 10) decides.
    distribution = ensemble.identify("zzzz")
    assert distribution.top == "de" and distribution.top_probability > 0.99
    assert (cheap.calls, expensive.calls) == (1, 1)
    assert ensemble.stage_counts == [0, 0, 1]


def test_stages_without_available_sources_are_skipped() -> None:
    cheap = FakeIdentifier("es", name="cheap")
    weights = EnsembleWeights((
        _stage(("wordfreq",), (1.0,), 0.5),
        _stage(("wordfreq", "cheap"), (1.0, 1.0), 0.3),
        _stage(("wordfreq", "cheap", "missing"), (1.0, 1.0, 1.0), 0.0),
    ))
    ensemble = TextLanguageEnsemble(LANGUAGES, [cheap], weights, lexicon=_lexicon())
    assert ensemble.stage_sources == (("wordfreq",), ("wordfreq", "cheap"))
    no_lexicon = TextLanguageEnsemble(LANGUAGES, [cheap], weights)
    assert no_lexicon.stage_sources == (("cheap",),)
    assert no_lexicon.identify("zzzz").top == "es"  # the last stage left decides


def test_stage_weights_round_trip_and_validate() -> None:
    weights = EnsembleWeights((_stage(("wordfreq",), (1.0,), math.inf), _stage(("wordfreq", "x"), (1.0, 2.0), 0.0)))
    assert EnsembleWeights.from_dict(json.loads(json.dumps(weights.to_dict()))) == weights
    with pytest.raises(ConfigError):
        EnsembleStage(("a", "b"), ((1.0,),) * BUCKETS, ({},) * BUCKETS, (0.0,) * BUCKETS)
    with pytest.raises(ConfigError):
        EnsembleWeights.from_dict({"stages": [{"sources": ["a"]}]})
    with pytest.raises(ConfigError):
        EnsembleWeights(())


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
    assert weights.stages[0].sources == ("wordfreq",)  # the cascade starts with the lexicon
    assert weights.sources == ("wordfreq", "py3langid", "lingua")
    assert EnsembleWeights.from_dict(weights.to_dict()) == weights


@pytest.mark.parametrize("text", ["das Haus ist sehr gross", "la", "zzzz", "The HOUSE is BIG", "casa 東京"])
def test_identify_and_analyze_agree(text: str) -> None:
    ensemble, _, _ = _cascade(first_margin=0.5)
    assert ensemble.identify(text) == ensemble.analyze(text).distribution


@pytest.mark.parametrize("method", ["identify_many", "identify_matrix"])
def test_identify_many_equals_identify_one_by_one(method: str) -> None:
    texts = ["das Haus ist sehr gross", "la", "zzzz", "", "🙂", "The HOUSE is BIG", "casa 東京",
             "la casa es muy grande", "a" * 5000]
    ensemble, cheap, expensive = _cascade(first_margin=0.5, second_margin=0.9)
    reference, _, _ = _cascade(first_margin=0.5, second_margin=0.9)
    batch = getattr(ensemble, method)(texts)
    single = [reference.identify(text) for text in texts]
    assert [d.top for d in batch] == [d.top for d in single]
    for a, b in zip(batch, single, strict=True):
        assert [c for c, _ in a.probabilities] == [c for c, _ in b.probabilities]
        assert [p for _, p in a.probabilities] == pytest.approx([p for _, p in b.probabilities], abs=1e-6)
    assert ensemble.stage_counts == reference.stage_counts
    assert getattr(ensemble, method)([]) == []
    assert getattr(ensemble, method)(["Haus", "", "🙂"])[1:] == [LanguageDistribution()] * 2


def test_identify_matrix_scores_each_stage_in_one_batch() -> None:
    """Scorers with ``score_matrix`` get one call per stage, holding only the texts the
    stages before left open, and the results equal scoring one by one."""
    texts = ["das Haus ist sehr gross", "la", "zzzz", "", "🙂", "casa 東京", "qqq rrr", "the house"]

    def build() -> tuple[TextLanguageEnsemble, FakeBatchScorer, FakeBatchScorer]:
        cheap, expensive = FakeBatchScorer("es", "cheap"), FakeBatchScorer("de", "expensive")
        weights = EnsembleWeights((
            _stage(("wordfreq",), (1.0,), 0.5),
            _stage(("wordfreq", "cheap"), (1.0, 1.0), 0.9),
            _stage(("wordfreq", "cheap", "expensive"), (1.0, 1.0, 10.0), 0.0),
        ))
        return TextLanguageEnsemble(LANGUAGES, [cheap, expensive], weights, lexicon=_lexicon()), cheap, expensive

    ensemble, cheap, expensive = build()
    reference, _, _ = build()
    batch = ensemble.identify_matrix(texts)
    single = [reference.identify(text) for text in texts]
    assert [d.top for d in batch] == [d.top for d in single]
    for a, b in zip(batch, single, strict=True):
        assert [p for _, p in a.probabilities] == pytest.approx([p for _, p in b.probabilities], abs=1e-6)
    assert ensemble.stage_counts == reference.stage_counts
    assert len(cheap.batches) == 1 and len(expensive.batches) == 1
    assert "das Haus ist sehr gross" not in cheap.batches[0]  # the lexicon decided it
    assert "" not in cheap.batches[0] and "🙂" not in cheap.batches[0]  # no letters: never scored
    assert set(expensive.batches[0]) <= set(cheap.batches[0])


class FakeChinese:
    """Says Chinese for any text with letters (an n-gram model that reads kana as Chinese)."""

    name = "fake"
    languages = ("zh", "ja", "ko", "en")

    def score_vector(self, text: str) -> np.ndarray | None:
        if not any(c.isalpha() for c in text):
            return None
        return np.log(np.array([0.7, 0.1, 0.1, 0.1]))


def _cjk_ensemble(languages: tuple[str, ...] = ("zh", "ja", "ko", "en")) -> TextLanguageEnsemble:
    weights = EnsembleWeights((_stage(("fake",), (1.0,), 0.0),))
    return TextLanguageEnsemble(languages, [FakeChinese()], weights)


@pytest.mark.parametrize(
    ("text", "language"),
    [("ゲ", "ja"), ("ヴァ", "ja"), ("それ", "ja"), ("注文です", "ja"), ("OK です", "ja"),
     ("안녕", "ko"), ("주문 번호", "ko"), ("東京", "zh"), ("hello", "zh")],
)
def test_kana_is_japanese_and_hangul_korean(text: str, language: str) -> None:
    """One kana letter settles Japanese and one Hangul letter Korean, whatever the
    scorers say; Han characters alone are left to them."""
    ensemble = _cjk_ensemble()
    distribution = ensemble.identify(text)
    assert distribution.top == language
    if language != "zh":
        assert distribution.top_probability > 0.999
    assert ensemble.identify_many([text]) == [distribution]
    result = ensemble.analyze(text)
    assert result.language == language
    assert any(r.feature == "script" for r in result.reasons) == (language != "zh")


def test_script_rule_needs_the_language_among_the_candidates() -> None:
    ensemble = _cjk_ensemble(("zh", "en"))
    assert ensemble.identify("ゲ").top == "zh"
    assert not any(r.feature == "script" for r in ensemble.analyze("ゲ").reasons)


def test_script_rule_gives_evidence_when_no_scorer_does() -> None:
    weights = EnsembleWeights((_stage(("missing",), (1.0,), 0.0),))
    ensemble = TextLanguageEnsemble(("zh", "ja"), [], weights)
    assert ensemble.identify("ゲ").top == "ja"
    assert ensemble.identify_many(["ゲ", "東京"]) == [ensemble.identify("ゲ"), LanguageDistribution()]
    assert ensemble.analyze("ゲ").language == "ja"
