"""Shared fakes for the API tests (no models): a fake assessor stage and a burst ASR stage."""

from __future__ import annotations

from typing import Any

import numpy as np

from langassist.assessment import Assessor
from langassist.backends.energy_vad import EnergyVad
from langassist.backends.fake import BurstTranscriber
from langassist.config import StreamingSettings, load_settings
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
from langassist.stages.streaming_asr import StreamingAsrStage

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
STREAMING = StreamingSettings(vad="energy", first_decode_s=0.6, min_chunk_s=1.0)


class FakeAssessStage:
    name = "fake-assess"
    accepts: tuple[type, ...] = (TranscriptFinal, StreamEnded)

    def feed(self, event: Any) -> list[Any]:
        if isinstance(event, StreamEnded):
            return []
        out: list[Any] = [LanguageDetected(event.call_id, event.track, event.end_s, event.utterance_id, "en",
                                           LanguageDistribution.from_mapping({"en": 0.9}), "en")]
        if event.track == AGENT:
            out.append(DifficultyScored(event.call_id, event.track, event.end_s, event.utterance_id,
                                        Score(0.8, (Reason("words", 9.0, 0.8, "long"),), 0.7)))
        elif "repeat" in event.text:
            out.append(ConfusionDetected(event.call_id, event.track, event.end_s, "clarification_request",
                                         Score(0.9, (), 0.9), event.utterance_id))
            out.append(SuggestionProposed(event.call_id, AGENT, event.end_s, "s1", "rephrase",
                                          "Let me say that more simply.", "clarification_request", "asked"))
        return out

    def flush(self) -> list[Any]:
        return []

    def reset(self) -> None:
        pass


def fake_assessor() -> Assessor:
    return Assessor(lambda call_id: [FakeAssessStage()], barrier_threshold=0.5)


def burst_stage() -> StreamingAsrStage:
    return StreamingAsrStage(BurstTranscriber(sentence_every=0), vad=EnergyVad, settings=STREAMING)


def make_app(**kwargs: Any) -> Any:
    from langassist.api.app import create_app

    return create_app(load_settings(), token=TOKEN, assessor_factory=fake_assessor,
                      stage_factory=burst_stage, **kwargs)


def bursts(starts: list[float], total_s: float, rate: int, length_s: float = 0.3) -> np.ndarray:
    audio = np.zeros(int(round(total_s * rate)), dtype=np.float32)
    n = int(round(length_s * rate))
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(n) / rate)).astype(np.float32)
    for start in starts:
        first = int(round(start * rate))
        audio[first:first + n] = tone[: audio.size - first]
    return audio
