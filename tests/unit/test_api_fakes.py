"""Shared fakes for the API tests (no models): the package's fake assessor and a burst ASR stage."""

from __future__ import annotations

from typing import Any

from langassist.assessment import Assessor
from langassist.backends.energy_vad import EnergyVad
from langassist.backends.fake import BurstTranscriber
from langassist.config import StreamingSettings, load_settings
from langassist.stages.streaming_asr import StreamingAsrStage
from langassist.testing import create_fake_assessor

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
STREAMING = StreamingSettings(vad="energy", first_decode_s=0.6, min_chunk_s=1.0)


def fake_assessor() -> Assessor:
    return create_fake_assessor()


def burst_stage() -> StreamingAsrStage:
    return StreamingAsrStage(BurstTranscriber(sentence_every=0), vad=EnergyVad, settings=STREAMING)


def make_app(**kwargs: Any) -> Any:
    from langassist.api.app import create_app

    return create_app(load_settings(), token=TOKEN, assessor_factory=fake_assessor,
                      stage_factory=burst_stage, **kwargs)


