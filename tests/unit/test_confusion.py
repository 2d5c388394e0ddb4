"""Clarification classifier (features head) and lexicon: fixed multilingual inputs."""

from __future__ import annotations

import pytest

from langassist.confusion import ClarificationClassifier, load_classifier, load_lexicon
from langassist.confusion.classifier import file_sha256
from langassist.confusion.lexicon import DEFAULT_LEXICON_PATH
from langassist.confusion.repeat import bag_of_words, rescale
from langassist.confusion.text import normalize_text

REPEAT_REQUESTS = {
    "en": "Sorry, can you repeat?",
    "es": "Perdón, ¿puede repetir?",
    "de": "Entschuldigung, können Sie das wiederholen?",
    "fr": "Pardon, vous pouvez répéter ?",
    "pl": "Przepraszam, może pan powtórzyć?",
    "pt": "Desculpe, pode repetir?",
}
SHORT_REQUESTS = ["What?", "Wie bitte?", "¿Cómo?", "Quoi ?", "Słucham?", "Como?", "Pardon?"]
NOT_REQUESTS = [
    "My router is broken.",
    "I want to pay my bill.",
    "Sorry I am late.",
    "Lo siento, no tengo tiempo.",
    "Ich habe keine Zeit.",
    "Okay, thanks.",
]
AGENT_TURN = "Please power cycle the ONT and check the PPPoE credentials."


@pytest.fixture(scope="module")
def classifier() -> ClarificationClassifier:
    return load_classifier(None)


def test_shipped_model_matches_the_shipped_lexicon(classifier: ClarificationClassifier) -> None:
    assert classifier.head == "features"
    assert classifier.model.lexicon_sha256 == file_sha256(DEFAULT_LEXICON_PATH)
    assert "embedding" in classifier.model.heads


@pytest.mark.parametrize("language", sorted(REPEAT_REQUESTS))
def test_sorry_can_you_repeat_in_six_languages(
    classifier: ClarificationClassifier, language: str
) -> None:
    text = REPEAT_REQUESTS[language]
    match = load_lexicon().match(text)
    assert match is not None and match.language in (language, "en")
    score = classifier.score(text, AGENT_TURN)
    assert classifier.is_clarification(score), (text, score.value)


@pytest.mark.parametrize("text", SHORT_REQUESTS)
def test_one_word_requests(classifier: ClarificationClassifier, text: str) -> None:
    assert classifier.is_clarification(classifier.score(text, AGENT_TURN))


@pytest.mark.parametrize("text", NOT_REQUESTS)
def test_statements_are_not_requests(classifier: ClarificationClassifier, text: str) -> None:
    assert not classifier.is_clarification(classifier.score(text, AGENT_TURN))


def test_echo_question_uses_the_previous_turn(classifier: ClarificationClassifier) -> None:
    previous = "The installation fee is two hundred fifty euros."
    with_context = classifier.score("Two hundred fifty?", previous)
    without = classifier.score("Two hundred fifty?", None)
    assert with_context.value is not None and without.value is not None
    assert with_context.value > without.value


@pytest.mark.parametrize(
    "text", ["", "   ", "😀😀", "?!", "Привет 世界 ok?", "repeat " * 3000, "\x00"]
)
def test_edge_inputs_give_a_defined_result(classifier: ClarificationClassifier, text: str) -> None:
    score = classifier.score(text, text)
    assert score.value is None or 0.0 <= score.value <= 1.0
    assert not (score.value is None and classifier.is_clarification(score))


def test_normalize_text_is_accent_and_case_free() -> None:
    assert normalize_text("¿CÓMO?") == "como"
    assert normalize_text("Słucham…") == "slucham"
    assert normalize_text("didn’t") == "didn't"


def test_similarity_helpers() -> None:
    first = bag_of_words(["reset", "my", "password"])
    assert float(first @ first) == pytest.approx(1.0)
    assert rescale(0.9, 0.8) == pytest.approx(0.5)
    assert rescale(0.5, 0.8) == 0.0
    assert rescale(float("nan"), 0.0) == 0.0
