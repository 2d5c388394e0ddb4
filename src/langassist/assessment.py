"""A call's barrier assessment: the stage chain's output over one transcript.

:class:`Assessor` owns the shared, loaded resources (language identifiers, embedder,
lexicons, translation routes) and builds a fresh stage chain for every call, so one
assessor serves a whole batch or many live calls. :meth:`Assessor.assess` replays a
:class:`~langassist.transcript.CallTranscript` through that chain with the replay
driver and returns a :class:`CallAssessment`: every event the stages produced, the
barrier timeline and the call verdict.

The JSON document (:meth:`CallAssessment.to_dict`, schema ``langassist.assessment/1``)
holds the transcript (utterances with words and spoken-language probabilities), each
utterance's language, difficulty and confusion results with their reasons, the accent
and mismatch scores per speaker, the suggestions, the barrier timeline and verdict, the
per-utterance cost and the settings that produced it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from langassist.barrier import BarrierPoint
from langassist.core.replay import replay_finals
from langassist.core.stage import Pipeline, Stage
from langassist.event_codec import encode_value, event_to_dict
from langassist.events import (
    AccentScored,
    CallSummary,
    ConfusionDetected,
    DifficultyScored,
    LanguageDetected,
    MismatchDetected,
    Reason,
    Score,
    StageFailed,
    SuggestionProposed,
    TranscriptFinal,
)
from langassist.stages.barrier import BarrierStage
from langassist.transcript import CallTranscript

__all__ = ["ASSESSMENT_SCHEMA", "Assessor", "CallAssessment", "StageBuilder"]

ASSESSMENT_SCHEMA = "langassist.assessment/1"

StageBuilder = Callable[[str], Sequence[Stage]]
"""Builds the per-call stages (language ID to suggestions) for a call id."""


@dataclass(frozen=True, slots=True)
class CallAssessment:
    """The assessment of one call.

    Attributes:
        call_id: the call.
        transcript: the transcript that was assessed.
        events: every event the stages produced, in order (input utterances excluded).
        summary: the call verdict (barrier yes/no/unknown, confidence, main causes).
        timeline: the barrier level after each signal.
        cost_ms: assessment wall time per utterance (ASR excluded).
        metadata: what produced it (versions, settings, models).
    """

    call_id: str
    transcript: CallTranscript
    events: tuple[Any, ...]
    summary: CallSummary
    timeline: tuple[BarrierPoint, ...] = ()
    cost_ms: tuple[float, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)

    def of_type(self, kind: type) -> list[Any]:
        """The produced events of one type, in order."""
        return [event for event in self.events if isinstance(event, kind)]

    @property
    def suggestions(self) -> list[SuggestionProposed]:
        return self.of_type(SuggestionProposed)

    @property
    def failures(self) -> list[StageFailed]:
        return self.of_type(StageFailed)

    def per_utterance(self) -> dict[str, dict[str, Any]]:
        """Results keyed by utterance id: language, difficulty, confusion signals."""
        table: dict[str, dict[str, Any]] = {}
        for event in self.events:
            utterance_id = getattr(event, "utterance_id", None)
            if not utterance_id:
                continue
            row = table.setdefault(utterance_id, {})
            if isinstance(event, LanguageDetected):
                row["language"] = event
            elif isinstance(event, DifficultyScored):
                row["difficulty"] = event
            elif isinstance(event, ConfusionDetected):
                row.setdefault("confusion", []).append(event)
        return table

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON document (see the module docstring)."""
        from langassist.transcript import final_to_dict

        rows = self.per_utterance()
        utterances = []
        for utterance in sorted(self.transcript.utterances(), key=lambda u: (u.start_s, u.track)):
            item = final_to_dict(utterance)
            item["track"] = utterance.track
            row = rows.get(utterance.utterance_id, {})
            language = row.get("language")
            if language is not None:
                item["text_language"] = {
                    "language": language.language,
                    "speaker_language": language.speaker_language,
                    "distribution": encode_value(language.distribution.head(5)),
                    "spans": [list(span) for span in language.spans],
                    "reasons": encode_value(language.reasons),
                }
            difficulty = row.get("difficulty")
            if difficulty is not None:
                item["difficulty"] = encode_value(difficulty.score)
            if row.get("confusion"):
                item["confusion"] = [
                    {"kind": event.kind, "time_s": round(event.time_s, 3), **encode_value(event.score)}
                    for event in row["confusion"]
                ]
            utterances.append(item)
        speakers: dict[str, dict[str, Any]] = {}
        for event in self.of_type(AccentScored):
            speakers.setdefault(event.track, {})["accent"] = {
                "time_s": round(event.time_s, 3),
                "language": event.language,
                "likely_first_language": event.likely_first_language,
                **encode_value(event.score),
            }
        for event in self.of_type(LanguageDetected):
            if event.speaker_language is not None:
                speakers.setdefault(event.track, {})["language"] = event.speaker_language
        mismatch = self.of_type(MismatchDetected)
        return {
            "schema": ASSESSMENT_SCHEMA,
            "call_id": self.call_id,
            "source": self.transcript.source,
            "duration_s": round(self.transcript.duration_s, 3),
            "verdict": {
                "barrier": self.summary.barrier,
                "main_causes": list(self.summary.main_causes),
                **encode_value(self.summary.score),
            },
            "speakers": speakers,
            "mismatch": event_to_dict(mismatch[-1]) if mismatch else None,
            "utterances": utterances,
            "confusion": [event_to_dict(e) for e in self.of_type(ConfusionDetected)],
            "suggestions": [event_to_dict(e) for e in self.suggestions],
            "timeline": [
                {"time_s": round(p.time_s, 3), "level": p.level,
                 "signals": {k: round(v, 4) for k, v in p.signals.items()}}
                for p in self.timeline
            ],
            "failures": [event_to_dict(e) for e in self.failures],
            "cost_ms": _cost_summary(self.cost_ms),
            "metadata": self.metadata,
        }


def _cost_summary(costs: Sequence[float]) -> dict[str, Any]:
    ordered = sorted(costs)
    if not ordered:
        return {"utterances": 0, "median": None, "p95": None, "max": None}
    return {
        "utterances": len(ordered),
        "median": round(ordered[len(ordered) // 2], 3),
        "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 3),
        "max": round(ordered[-1], 3),
    }


class Assessor:
    """Builds a fresh stage chain per call around shared resources, and replays calls.

    Args:
        build_stages: the per-call stages before the barrier stage (language ID,
            accent and mismatch, difficulty, confusion, suggestions), in order.
        barrier_threshold: the verdict threshold (``AssessmentSettings``).
        metadata: recorded in every :class:`CallAssessment`.
    """

    def __init__(
        self,
        build_stages: StageBuilder,
        *,
        barrier_threshold: float = 0.5,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.build_stages = build_stages
        self.barrier_threshold = barrier_threshold
        self.metadata = dict(metadata or {})

    def pipeline(self, call_id: str) -> tuple[Pipeline, BarrierStage]:
        """A fresh pipeline for one call, and its barrier stage (for the live gauge)."""
        barrier = BarrierStage(call_id, threshold=self.barrier_threshold)
        return Pipeline([*self.build_stages(call_id), barrier]), barrier

    def assess(self, transcript: CallTranscript) -> CallAssessment:
        """Replay ``transcript`` through a fresh chain; return everything it produced."""
        pipeline, barrier = self.pipeline(transcript.call_id)
        utterances = transcript.utterances()
        result = replay_finals(
            pipeline,
            utterances,
            call_id=transcript.call_id,
            tracks=[track.track for track in transcript.tracks],
            end_s=max(transcript.duration_s, max((u.end_s for u in utterances), default=0.0)),
        )
        produced = tuple(e for e in result.events if not isinstance(e, TranscriptFinal))
        summaries = [e for e in produced if isinstance(e, CallSummary)]
        summary = summaries[-1] if summaries else CallSummary(
            call_id=transcript.call_id,
            barrier=None,
            score=Score(None, (Reason("evidence", 0.0, 0.0, "no barrier stage ran"),)),
        )
        return CallAssessment(
            call_id=transcript.call_id,
            transcript=transcript,
            events=produced,
            summary=summary,
            timeline=tuple(barrier.timeline.points),
            cost_ms=result.cost_ms,
            metadata=dict(self.metadata),
        )
