"""Translation: protected terms, route parsing, the router's outcomes, speech translation."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langassist.errors import BackendError, ConfigError, ModelUnavailable
from langassist.translate import (
    SpeechTranslator,
    TranslationRouter,
    TranslationSettings,
    Translator,
    find_protected,
    parse_route,
    translate_protected,
)
from langassist.translate.protect import mask, unmask


class UpperTranslator:
    """Fake backend: upper-cases text (placeholders survive)."""

    name = "upper"

    def __init__(self, pairs: Sequence[tuple[str, str]] = (("en", "es"),)) -> None:
        self.pairs = set(pairs)
        self.batches: list[list[str]] = []

    def supports(self, source: str, target: str) -> bool:
        return (source, target) in self.pairs

    def translate(self, texts: Sequence[str], *, source: str, target: str) -> list[str]:
        self.batches.append(list(texts))
        return [text.upper() for text in texts]


class ManglingTranslator(UpperTranslator):
    """Fake backend that localizes numbers and drops placeholders, like a bad engine."""

    name = "mangle"

    def translate(self, texts: Sequence[str], *, source: str, target: str) -> list[str]:
        self.batches.append(list(texts))
        out = []
        for text in texts:
            text = re.sub(r"ZXQ\d+", "", text)
            text = re.sub(r"(\d)\.(\d)", r"\1,\2", text)
            out.append("¡" + text.replace("@", " arroba ") + "!")
        return out


class FailingTranslator(UpperTranslator):
    name = "failing"

    def translate(self, texts: Sequence[str], *, source: str, target: str) -> list[str]:
        raise BackendError("engine crashed")


def test_protocols_are_runtime_checkable() -> None:
    assert isinstance(UpperTranslator(), Translator)


def test_find_protected_kinds() -> None:
    text = "Call +44 20 7946 0958 or mail jo@example.com about ORD-22A, 12.50 EUR, on 3/4/2025 at www.x.io."
    spans = {(span.kind, span.text) for span in find_protected(text, ["Fibrelink"])}
    assert ("number", "+44 20 7946 0958") in spans
    assert ("email", "jo@example.com") in spans
    assert ("code", "ORD-22A") in spans
    assert ("number", "12.50") in spans
    assert ("number", "3/4/2025") in spans
    assert ("url", "www.x.io") in spans


def test_terms_match_case_insensitively_and_keep_source_spelling() -> None:
    spans = find_protected("the fibrelink 500 box", ["Fibrelink 500"])
    assert [(s.kind, s.text) for s in spans] == [("term", "fibrelink 500")]


def test_ordinals_are_not_protected() -> None:
    assert find_protected("the 3rd of May") == ()


def test_mask_unmask_roundtrip_and_damage() -> None:
    text = "Order AB12 costs 9.99"
    masked = mask(text, find_protected(text))
    assert masked.text == "Order ZXQ0 costs ZXQ1"
    assert unmask("Pedido zxq 0 cuesta ZXQ1", masked) == "Pedido AB12 cuesta 9.99"
    assert unmask("Pedido cuesta ZXQ1", masked) is None
    assert unmask("ZXQ0 ZXQ0 ZXQ1", masked) is None


def test_placeholder_path() -> None:
    out = translate_protected(lambda batch: [t.upper() for t in batch], ["pay 12.50 to jo@example.com"])
    assert out[0].text == "PAY 12.50 TO jo@example.com"
    assert out[0].method == "placeholders"


def test_segment_fallback_when_placeholders_are_lost() -> None:
    backend = ManglingTranslator()
    out = translate_protected(
        lambda batch: backend.translate(batch, source="en", target="es"),
        ["Your Fibrelink 500 bill is 12.50, mail jo@example.com"], ["Fibrelink 500"],
    )
    assert out[0].method == "segments"
    assert "Fibrelink 500" in out[0].text and "12.50" in out[0].text and "jo@example.com" in out[0].text
    assert len(backend.batches) == 2


def test_wrong_batch_length_is_an_error() -> None:
    with pytest.raises(BackendError, match="returned 0 texts for 1"):
        translate_protected(lambda batch: [], ["hello"])


_protected = st.one_of(
    st.integers(0, 10**12).map(str),
    st.floats(0, 1e6, allow_nan=False).map(lambda f: f"{f:.2f}"),
    st.sampled_from(["jo@example.com", "a.b-c@mail.example.org", "ORD-2291-A", "AB12", "+1 555 0100 22"]),
    st.sampled_from(["Fibrelink 500", "HomeHub X2"]),
)
_words = st.sampled_from(["your", "bill", "is", "ready", "call", "us", "on", "the", "code", "and"])


@settings(max_examples=120, deadline=None)
@given(st.lists(st.one_of(_words, _protected), min_size=1, max_size=15), st.booleans())
def test_protected_terms_always_survive(tokens: list[str], mangle: bool) -> None:
    text = " ".join(tokens)
    backend: UpperTranslator = ManglingTranslator() if mangle else UpperTranslator()
    [result] = translate_protected(
        lambda batch: backend.translate(batch, source="en", target="es"),
        [text], ["Fibrelink 500", "HomeHub X2"],
    )
    for span in find_protected(text, ["Fibrelink 500", "HomeHub X2"]):
        assert result.text.count(span.text) >= text.count(span.text)
    assert len(backend.batches) <= 2


# --------------------------------------------------------------------------- settings


def test_parse_route() -> None:
    route = parse_route("en-de=ctranslate2:opus-mt-en-de|apertium")
    assert (route.source, route.target) == ("en", "de")
    assert [str(step) for step in route.steps] == ["ctranslate2:opus-mt-en-de", "apertium"]
    assert parse_route("*-en=transformers:/m").matches("pl", "en")
    assert not parse_route("*-en=apertium").matches("en", "en")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("en-es", "malformed"),
        ("en-xx1=apertium", "unknown language"),
        ("en-es=google", "unknown backend"),
        ("en-de=ctranslate2", "needs a model"),
    ],
)
def test_bad_routes_rejected(entry: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        TranslationSettings(routes=(entry,))


def test_settings_ranges() -> None:
    with pytest.raises(ConfigError, match="compute_type"):
        TranslationSettings(compute_type="int3")
    with pytest.raises(ConfigError, match="beam_size"):
        TranslationSettings(beam_size=0)


# --------------------------------------------------------------------------- router


def router(*routes: str, **translators: Translator) -> TranslationRouter:
    return TranslationRouter(TranslationSettings(routes=routes), translators=translators)


def test_router_uses_configured_backend() -> None:
    backend = UpperTranslator()
    outcome = router("en-es=apertium", apertium=backend).translate(
        ["hi AB12"], source="en", target="es"
    )
    assert outcome.ok and outcome.backend == "apertium"
    assert outcome.texts == ["HI AB12"]
    assert outcome.translations[0].protected_terms == ("AB12",)


def test_unserved_pair_says_so() -> None:
    outcome = router("en-es=apertium", apertium=UpperTranslator()).translate(
        ["hello"], source="en", target="pl"
    )
    assert outcome.status == "no_backend" and not outcome.translations
    assert "en->pl" in outcome.message and "phrasebook" in outcome.message


def test_backend_that_does_not_serve_pair_is_recorded() -> None:
    outcome = router("*-es=apertium", apertium=UpperTranslator()).translate(
        ["hallo"], source="de", target="es"
    )
    assert outcome.status == "no_backend"
    assert outcome.notes == ("apertium: does not serve de->es",)


def test_second_backend_used_only_when_listed_and_noted() -> None:
    backends = {"apertium": FailingTranslator(), "ctranslate2:/m": UpperTranslator()}
    r = TranslationRouter(
        TranslationSettings(routes=("en-es=apertium|ctranslate2:/m",)), translators=backends
    )
    outcome = r.translate(["hi"], source="en", target="es")
    assert outcome.ok and outcome.backend == "ctranslate2:/m"
    assert outcome.notes[0].startswith("apertium: failed: engine crashed")


def test_all_backends_failing() -> None:
    outcome = router("en-es=apertium", apertium=FailingTranslator()).translate(
        ["hi"], source="en", target="es"
    )
    assert outcome.status == "failed" and "failed" in outcome.message


def test_missing_model_is_noted_not_raised(tmp_path: Path) -> None:
    r = TranslationRouter(TranslationSettings(routes=(f"en-de=ctranslate2:{tmp_path / 'none'}",)))
    outcome = r.translate(["hi"], source="en", target="de")
    assert outcome.status == "no_backend"
    assert "not available" in outcome.notes[0]


def test_same_language_and_unknown_language() -> None:
    r = router("en-es=apertium", apertium=UpperTranslator())
    assert r.translate(["hi"], source="en", target="EN").texts == ["hi"]
    outcome = r.translate(["hi"], source="not a language", target="es")
    assert outcome.status == "no_backend" and "unknown" in outcome.message


def test_too_long_input_rejected() -> None:
    r = TranslationRouter(TranslationSettings(max_input_chars=5))
    with pytest.raises(ConfigError, match="max_input_chars"):
        r.translate(["too long text"], source="en", target="es")


def test_explicit_backend_override() -> None:
    r = router("en-es=apertium", apertium=UpperTranslator(), **{"transformers:/x": UpperTranslator()})
    outcome = r.translate(["hi"], source="en", target="es", backend="transformers:/x")
    assert outcome.backend == "transformers:/x"


def test_ensure_converted_rejects_other_directories(tmp_path: Path) -> None:
    from langassist.translate.ctranslate2_marian import ensure_converted

    with pytest.raises(ModelUnavailable, match="neither"):
        ensure_converted(tmp_path, tmp_path / "out")


def test_convert_refuses_hub_id_offline(tmp_path: Path) -> None:
    from langassist.translate.ctranslate2_marian import convert_translation_model

    with pytest.raises(ModelUnavailable, match="downloads are off"):
        convert_translation_model("Helsinki-NLP/opus-mt-en-de", tmp_path / "out")


# --------------------------------------------------------------------------- speech


@dataclass
class FakeSegment:
    text: str
    avg_logprob: float = -0.3
    no_speech_prob: float = 0.01
    compression_ratio: float = 1.2


@dataclass
class FakeInfo:
    language: str = "es"
    language_probability: float = 0.9


class FakeWhisper:
    def __init__(self, segments: list[FakeSegment]) -> None:
        self.segments = segments
        self.kwargs: dict[str, Any] = {}

    def transcribe(self, audio: np.ndarray, **kwargs: Any) -> tuple[Any, Any]:
        self.kwargs = kwargs
        return iter(self.segments), FakeInfo()


def test_speech_translation_drops_hallucinations() -> None:
    from langassist.translate.whisper_translate import WhisperSpeechTranslator

    model = FakeWhisper([
        FakeSegment("My bill is too high."),
        FakeSegment("Thanks for watching!", avg_logprob=-1.5, no_speech_prob=0.9),
        FakeSegment("nene nene nene nene", compression_ratio=3.1),
    ])
    translator = WhisperSpeechTranslator(model)
    assert isinstance(translator, SpeechTranslator)
    result = translator.translate_speech(np.zeros(16000, dtype=np.float32))
    assert result.text == "My bill is too high."
    assert result.source_language == "es" and result.language_probability == 0.9
    assert len(result.dropped) == 2
    assert model.kwargs["task"] == "translate"
    told = translator.translate_speech(np.zeros(8000, dtype=np.float32), source="pl")
    assert told.source_language == "pl" and model.kwargs["language"] == "pl"


def test_speech_translation_refuses_english_only_model() -> None:
    from langassist.translate.whisper_translate import WhisperSpeechTranslator

    class Inner:
        is_multilingual = False

    class EnglishOnly(FakeWhisper):
        model = Inner()

    with pytest.raises(ConfigError, match="multilingual"):
        WhisperSpeechTranslator(EnglishOnly([]))


# --------------------------------------------------------------------------- Apertium pipeline framing


def test_apertium_stream_escaping_round_trips() -> None:
    from langassist.translate.apertium import escape_stream, unescape_stream

    text = "Code [A-1] b/c $5 ^d @e <f> {g} back\\slash"
    assert unescape_stream(escape_stream(text)) == text
    assert unescape_stream("[<la:3>]Hola [superblank]mundo") == "Hola mundo"


def test_apertium_pipeline_framing_with_cat() -> None:
    """`cat` echoes each NUL-framed segment: tags pair answers with requests, the empty
    segment after each request is skipped, escaping round-trips, blanks collapse."""
    from langassist.translate.apertium import ApertiumPipeline

    pipeline = ApertiumPipeline("fake-pair", script="cat", timeout_s=5.0)
    try:
        texts = ["Hello [x] $5 ^a/b", "", "two\nlines", "third"]
        assert pipeline.translate(texts) == ["Hello [x] $5 ^a/b", "", "two lines", "third"]
        first = pipeline._process
        assert pipeline.translate(["again"]) == ["again"] and pipeline._process is first
    finally:
        pipeline.close()
    assert not pipeline.running


def test_apertium_pipeline_restarts_a_dead_process() -> None:
    from langassist.translate.apertium import ApertiumPipeline

    pipeline = ApertiumPipeline("fake-pair", script="cat", timeout_s=5.0)
    try:
        pipeline.translate(["one"])
        process = pipeline._process
        assert process is not None
        process.kill()
        process.wait(timeout=5)
        assert pipeline.translate(["two"]) == ["two"]
        assert pipeline._process is not process
    finally:
        pipeline.close()


def test_apertium_pipeline_times_out_and_kills_the_group() -> None:
    from langassist.errors import BackendError
    from langassist.translate.apertium import ApertiumPipeline

    pipeline = ApertiumPipeline("fake-pair", script="cat > /dev/null", timeout_s=0.3)
    with pytest.raises(BackendError, match="longer than 0.3 s"):
        pipeline.translate(["never answered"])
    assert not pipeline.running
    pipeline.close()


def test_apertium_pipeline_fails_clearly_when_it_keeps_dying() -> None:
    from langassist.errors import BackendError
    from langassist.translate.apertium import ApertiumPipeline

    pipeline = ApertiumPipeline("fake-pair", script="echo broken >&2; exit 3", timeout_s=5.0)
    with pytest.raises(BackendError, match="failed twice: broken"):
        pipeline.translate(["hello"])
    assert pipeline.restarts == 2
    pipeline.close()
