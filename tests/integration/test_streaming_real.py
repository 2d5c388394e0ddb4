"""Streaming ASR with tiny.en and Silero VAD on espeak-ng speech: finals close to offline."""

from __future__ import annotations

import numpy as np
import pytest
from tests import audio_factory as af

from langassist import service
from langassist.backends.faster_whisper import FasterWhisperTranscriber
from langassist.core.audio_replay import replay_audio
from langassist.eval.wer import wer
from langassist.stages.asr import transcribe_track
from langassist.stages.streaming_asr import StreamingAsrStage, create_vad, streaming_transcribers

pytestmark = pytest.mark.model

SENTENCES = (
    "Please restart the router and wait two minutes.",
    "Then tell me if the green light is on.",
)


def test_streamed_finals_are_close_to_offline() -> None:
    settings = service.load_settings(overrides={"asr.model": "whisper-tiny.en"})
    offline = service.create_transcriber(settings)
    assert isinstance(offline, FasterWhisperTranscriber)
    streamer, finalizer = streaming_transcribers(offline, settings.streaming)
    assert isinstance(streamer, FasterWhisperTranscriber) and streamer.options.encoder_pad_s
    gap = af.silence(1.0)
    audio = np.concatenate([gap, af.speech(SENTENCES[0]), gap, af.speech(SENTENCES[1]), gap])
    reference = " ".join(SENTENCES)
    offline_text = " ".join(
        u.text for u in transcribe_track(offline, audio, call_id="c", track="agent", language="en").utterances
    )
    stage = StreamingAsrStage(streamer, vad=create_vad(settings.streaming), settings=settings.streaming,
                              language="en", final_transcriber=finalizer)
    result = replay_audio(stage, {"agent": audio}, call_id="c", chunk_s=0.2)
    finals = result.finals
    assert len(finals) >= 2
    assert all(a.end_s <= b.start_s + 1e-6 for a, b in zip(finals, finals[1:], strict=False))
    assert finals[0].start_s == pytest.approx(1.0, abs=0.6)  # absolute, not buffer-relative
    streamed_text = " ".join(f.text for f in finals)
    offline_wer = wer(reference, offline_text) or 0.0
    streamed_wer = wer(reference, streamed_text) or 0.0
    assert streamed_wer <= offline_wer + 0.12, (streamed_text, offline_text)
    assert stage.stats.early_final_decodes >= 2  # finals from the decode run at 200 ms of silence


def test_fitted_encoder_decode_matches_the_30_s_window_on_a_sentence() -> None:
    settings = service.load_settings(overrides={"asr.model": "whisper-tiny.en"})
    offline = service.create_transcriber(settings)
    assert isinstance(offline, FasterWhisperTranscriber)
    _, finalizer = streaming_transcribers(offline, settings.streaming)
    audio = np.concatenate([af.speech(SENTENCES[0]), af.silence(0.3)])
    stock = offline.with_options(vad_filter=False).transcribe(audio, language="en", offset_s=5.0)
    fitted = finalizer.transcribe(audio, language="en", offset_s=5.0)
    assert (wer(SENTENCES[0], fitted.text) or 0.0) <= (wer(SENTENCES[0], stock.text) or 0.0) + 0.1, fitted.text
    words = [w for segment in fitted.segments for w in segment.words]
    assert words and 5.0 <= words[0].start_s < words[-1].end_s <= 5.0 + audio.size / 16000 + 0.01
