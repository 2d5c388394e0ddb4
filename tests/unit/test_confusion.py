"""Clarification classifier (features head) and lexicon: fixed multilingual inputs."""

from __future__ import annotations

import pytest

from langassist.backends.fake import FakeEmbedder
from langassist.confusion import ClarificationClassifier, load_classifier, load_lexicon
from langassist.confusion.classifier import file_sha256
from langassist.confusion.lexicon import DEFAULT_LEXICON_PATH
from langassist.confusion.repeat import (
    EMBED_MAX_CHARS,
    EarlierTurn,
    bag_of_words,
    find_repeat,
    rescale,
)
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


# -- repeat detection: embeddings only when needed --------------------------------------


class _RecordingEmbedder(FakeEmbedder):
    """The fake embedder, remembering the texts of each call."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    def embed(self, texts):  # type: ignore[no-untyped-def]
        self.batches.append(list(texts))
        return super().embed(texts)


def _turn(text: str, agent_turns_before: int = 0) -> EarlierTurn:
    return EarlierTurn(0.0, "c-1", text, bag_of_words(text.lower().split()), agent_turns_before)


def test_find_repeat_embeds_nothing_without_a_qualifying_earlier_turn() -> None:
    embedder = _RecordingEmbedder()
    history = [_turn("where is my parcel now", agent_turns_before=1)]
    match, embedding, _ = find_repeat("when will my parcel arrive", bag_of_words(["parcel"]), history,
                                      agent_turns_now=1, embedder=embedder, floor=0.0)
    assert match is None and embedding is None and embedder.batches == []


def test_find_repeat_decides_same_words_without_embeddings() -> None:
    embedder = _RecordingEmbedder()
    words = "how can i change my pin".split()
    match, embedding, method = find_repeat("How can I change my PIN?", bag_of_words(words),
                                           [_turn("how can i change my pin")], agent_turns_now=1,
                                           embedder=embedder, floor=0.0)
    assert match is not None and match.similarity == pytest.approx(1.0)
    assert (embedding, method, embedder.batches) == (None, "word overlap", [])


def test_find_repeat_embeds_open_cases_once_per_turn() -> None:
    embedder = _RecordingEmbedder()
    history = [_turn("where is my parcel"), _turn("i paid twice for the order")]
    words = "when does the parcel arrive".split()
    match, embedding, method = find_repeat("When does the parcel arrive?", bag_of_words(words), history,
                                           agent_turns_now=1, embedder=embedder, floor=0.0)
    assert method == embedder.name and embedding is not None
    assert embedder.batches == [["When does the parcel arrive?", "where is my parcel",
                                 "i paid twice for the order"]]
    assert match is not None and match.earlier is history[0]
    assert all(turn.embedding is not None for turn in history)
    # The next open question embeds only itself: the earlier turns keep their vectors.
    find_repeat("Why was I charged two times?", bag_of_words("why was i charged two times".split()),
                history, agent_turns_now=2, embedder=embedder, floor=0.0)
    assert embedder.batches[1] == ["Why was I charged two times?"]


def test_find_repeat_cuts_long_texts_and_works_without_an_embedder() -> None:
    embedder = _RecordingEmbedder()
    long_text = "what about " + "the parcel " * 200
    find_repeat(long_text, bag_of_words(["parcel"]), [_turn("i paid twice for the order")],
                agent_turns_now=1, embedder=embedder, floor=0.0)
    assert len(embedder.batches[0][0]) == EMBED_MAX_CHARS
    match, embedding, method = find_repeat("where is the parcel", bag_of_words(["parcel"]),
                                           [_turn("where is my parcel")], agent_turns_now=1,
                                           embedder=None, floor=0.0)
    assert match is not None and embedding is None and method == "word overlap"
