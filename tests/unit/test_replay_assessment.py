"""The replay driver, the barrier stage and the assessment document, with fake stages."""

from __future__ import annotations

import json
from typing import Any

from langassist.assessment import ASSESSMENT_SCHEMA, Assessor
from langassist.core.replay import order_finals, replay_finals
from langassist.core.stage import Pipeline
from langassist.event_codec import event_to_dict
from langassist.events import (
    AGENT,
    CUSTOMER,
    ConfusionDetected,
    DifficultyScored,
    LanguageDistribution,
    Reason,
    Score,
    StreamEnded,
    TranscriptFinal,
    Word,
)
from langassist.stages.barrier import BarrierStage
from langassist.transcript import CallTranscript


def final(track: str, index: int, start: float, end: float, text: str) -> TranscriptFinal:
    return TranscriptFinal(
        call_id="c1", track=track, utterance_id=f"{track}-{index}", start_s=start, end_s=end,
        text=text, words=(Word(start, end, text.split()[0] if text else "", 0.9),),
        language=LanguageDistribution.from_mapping({"en": 0.9, "es": 0.1}),
    )


class FakeDifficultyStage:
    """Scores every agent utterance by its length in words (a fake, for the driver)."""

    name = "fake-difficulty"
    accepts: tuple[type, ...] = (TranscriptFinal, StreamEnded)

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.ended: list[str] = []

    def feed(self, event: Any) -> list[Any]:
        if isinstance(event, StreamEnded):
            self.ended.append(event.track)
            return []
        self.seen.append(event.utterance_id)
        if event.track == AGENT:
            value = min(1.0, len(event.text.split()) / 10)
            return [DifficultyScored(event.call_id, event.track, event.end_s, event.utterance_id,
                                     Score(value, (Reason("words", value, value, "long"),), 0.8))]
        if "repeat" in event.text:
            return [ConfusionDetected(event.call_id, event.track, event.end_s,
                                      "clarification_request", Score(0.9, (), 0.9), event.utterance_id)]
        return []

    def flush(self) -> list[Any]:
        return []

    def reset(self) -> None:
        self.seen.clear()


def call() -> CallTranscript:
    from langassist.transcript import TrackTranscript

    agent = (final(AGENT, 1, 0.0, 6.0, "please power cycle the optical network terminal now and wait"),
             final(AGENT, 2, 9.0, 10.0, "okay"))
    customer = (final(CUSTOMER, 1, 6.5, 8.0, "sorry can you repeat"),)
    return CallTranscript(call_id="c1", tracks=(TrackTranscript(AGENT, agent), TrackTranscript(CUSTOMER, customer)),
                          source="call.wav", duration_s=12.0)


def test_finals_enter_in_live_arrival_order() -> None:
    utterances = call().utterances()
    ordered = order_finals(reversed(utterances))
    assert [u.utterance_id for u in ordered] == ["agent-1", "customer-1", "agent-2"]


def test_replay_feeds_every_final_then_ends_each_track() -> None:
    stage = FakeDifficultyStage()
    result = replay_finals(Pipeline([stage]), call().utterances(), call_id="c1", tracks=[AGENT, CUSTOMER])
    assert stage.seen == ["agent-1", "customer-1", "agent-2"]
    assert stage.ended == [AGENT, CUSTOMER]
    assert len(result.cost_ms) == 3 and all(cost >= 0 for cost in result.cost_ms)
    assert sum(isinstance(e, DifficultyScored) for e in result.events) == 2


def test_barrier_stage_gives_a_verdict_at_flush_and_unknown_without_signals() -> None:
    stage = BarrierStage("c1", threshold=0.5)
    assert stage.flush()[0].barrier is None
    stage.feed(ConfusionDetected("c1", CUSTOMER, 3.0, "clarification_request", Score(0.9), "u1"))
    (summary,) = stage.flush()
    assert summary.barrier is True and "confusion" in summary.main_causes
    stage.reset()
    assert stage.timeline.points == []


def test_assessor_builds_a_fresh_chain_per_call_and_a_versioned_document() -> None:
    built: list[FakeDifficultyStage] = []

    def build(call_id: str) -> list[Any]:
        built.append(FakeDifficultyStage())
        return [built[-1]]

    assessor = Assessor(build, metadata={"settings_sha256": "x"})
    first = assessor.assess(call())
    second = assessor.assess(call())
    assert len(built) == 2 and built[0] is not built[1]
    assert first.summary.barrier is True
    document = first.to_dict()
    json.dumps(document)  # JSON-ready
    assert document["schema"] == ASSESSMENT_SCHEMA
    assert [u["id"] for u in document["utterances"]] == ["agent-1", "customer-1", "agent-2"]
    assert document["utterances"][0]["difficulty"]["value"] == 1.0
    assert document["utterances"][1]["confusion"][0]["kind"] == "clarification_request"
    assert document["timeline"] and document["cost_ms"]["utterances"] == 3
    assert second.to_dict()["verdict"] == document["verdict"]


def test_event_codec_encodes_scores_distributions_and_words() -> None:
    event = final(AGENT, 1, 0.0, 1.0, "hello")
    data = event_to_dict(event)
    assert data["type"] == "TranscriptFinal"
    assert data["language"] == {"en": 0.9, "es": 0.1}
    assert data["words"] == [[0.0, 1.0, "hello", 0.9]]
    scored = event_to_dict(DifficultyScored("c", AGENT, 1.0, "u", Score(float("nan"))))
    assert scored["score"]["value"] is None
