"""Helpers for tests, importable by users too: run stages on lists of events.

``run_stage(stage, events)`` feeds each event and flushes, returning what came out
(pipecat's ``run_test`` idea). Engine fakes live in :mod:`langassist.backends.fake`;
:class:`FakeAssessmentStage` and :func:`create_fake_assessor` stand in for the whole
assessment chain (audit, API and driver tests).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from langassist.core.stage import Pipeline, Stage
from langassist.events import (
    AGENT,
    ConfusionDetected,
    DifficultyScored,
    LanguageDetected,
    LanguageDistribution,
    Reason,
    Score,
    StreamEnded,
    SuggestionProposed,
    TranscriptFinal,
)

if TYPE_CHECKING:
    from langassist.assessment import Assessor
    from langassist.config import Settings

__all__ = ["FakeAssessmentStage", "create_fake_assessor", "run_pipeline", "run_stage"]


def run_stage(stage: Stage, events: Iterable[Any], *, include_inputs: bool = False) -> list[Any]:
    """Feed ``events`` to one stage and flush it; return the produced events."""
    inputs = list(events)
    out = Pipeline([stage]).run(inputs)
    if include_inputs:
        return out
    input_ids = {id(event) for event in inputs}
    return [event for event in out if id(event) not in input_ids]


def run_pipeline(stages: Iterable[Stage], events: Iterable[Any]) -> list[Any]:
    """Run events through a pipeline of stages; return everything (inputs included)."""
    return Pipeline(list(stages)).run(events)


_SPANISH = {"hola", "entiendo", "gracias", "habla", "español", "por", "favor", "no", "qué"}
_JARGON = {"router": "the box for the internet", "modem": "the internet box",
           "firmware": "the device software", "dns": "the address book of the internet",
           "ont": "the box on your wall"}
_CONFUSED = ("sorry", "repeat", "what", "entiendo")


class FakeAssessmentStage:
    """A scripted assessment stage (a fake, for tests): keyword language, word-count
    difficulty with jargon reasons, clarification requests by keyword, a suggestion after
    each; ``__HANG__`` blocks forever and ``__CRASH__`` kills the process (poison inputs)."""

    name = "fake-assessment"
    accepts: tuple[type, ...] = (TranscriptFinal, StreamEnded)

    def __init__(self) -> None:
        self.suggested = 0

    def feed(self, event: Any) -> list[Any]:
        if isinstance(event, StreamEnded):
            return []
        text = event.text
        if "__HANG__" in text:
            while True:
                time.sleep(3600)
        if "__CRASH__" in text:
            os._exit(70)
        words = [w.strip(".,!?¿¡").lower() for w in text.split()]
        language = "es" if any(w in _SPANISH for w in words) else "en"
        out: list[Any] = [LanguageDetected(
            event.call_id, event.track, event.end_s, event.utterance_id, language,
            LanguageDistribution.from_mapping({language: 0.9}), speaker_language=language,
        )]
        if event.track == AGENT:
            value = min(1.0, len(words) / 12)
            reasons = [Reason("words", float(len(words)), value, f"{len(words)} words")]
            hits = [w for w in words if w in _JARGON]
            if hits:
                shown = ", ".join(f"{h} ({_JARGON[h]})" for h in hits[:4])
                reasons.append(Reason("jargon", float(len(hits)), 0.1, f"{len(hits)} jargon term(s): {shown}"))
            out.append(DifficultyScored(event.call_id, event.track, event.end_s, event.utterance_id,
                                        Score(value, tuple(reasons), 0.8)))
        elif any(marker in words for marker in _CONFUSED):
            out.append(ConfusionDetected(event.call_id, event.track, event.end_s, "clarification_request",
                                         Score(0.9, (Reason("lexicon", 1.0, 0.9, "asks to repeat"),), 0.9),
                                         event.utterance_id))
            self.suggested += 1
            out.append(SuggestionProposed(event.call_id, AGENT, event.end_s, f"s{self.suggested}",
                                          "clarify", "Say it again in shorter, plainer words.",
                                          "clarification_request", "the customer asked to repeat"))
        return out

    def flush(self) -> list[Any]:
        return []

    def reset(self) -> None:
        self.suggested = 0


def create_fake_assessor(settings: Settings | None = None) -> Assessor:
    """An :class:`Assessor` over the fake stage (real replay driver and barrier stage)."""
    from langassist.assessment import Assessor

    threshold = settings.assessment.barrier_threshold if settings else 0.5
    return Assessor(lambda call_id: [FakeAssessmentStage()], barrier_threshold=threshold,
                    metadata={"assessor": "fake"})
