"""Streaming finals and decode cadence: one final decode per utterance, by the final
engine, run early and not throttled; partial decodes skipped while nobody speaks."""

from __future__ import annotations

from typing import Any

import numpy as np

from audio_factory import tone_bursts as bursts
from langassist.backends.base import Segment
from langassist.backends.energy_vad import EnergyVad
from langassist.backends.fake import BurstTranscriber, ScriptedTranscriber
from langassist.backends.faster_whisper import fitted_frames, split_at_timestamps
from langassist.config import StreamingSettings
from langassist.core.audio_replay import replay_audio
from langassist.events import TranscriptPartial, Word
from langassist.stages.streaming_asr import StreamingAsrStage, streaming_transcribers

SETTINGS = StreamingSettings(vad="energy", first_decode_s=0.6, min_chunk_s=1.0, interval_growth=0.25,
                             speech_pad_ms=100,
                             end_silence_ms=400, eager_end_ms=200)


def noise(spans: list[tuple[float, float]], total_s: float) -> np.ndarray:
    rng = np.random.default_rng(0)
    audio = np.zeros(int(round(total_s * 16000)), dtype=np.float32)
    for start, end in spans:
        first, last = int(round(start * 16000)), int(round(end * 16000))
        audio[first:last] = 0.1 * rng.standard_normal(last - first).astype(np.float32)
    return audio




def segment(text: str, start_s: float = 0.2, step_s: float = 0.5) -> Segment:
    ws = tuple(Word(start_s=start_s + i * step_s, end_s=start_s + i * step_s + 0.4, text=t, probability=0.9)
               for i, t in enumerate(text.split()))
    return Segment(start_s=ws[0].start_s, end_s=ws[-1].end_s, text=text, words=ws,
                   avg_logprob=-0.2, no_speech_prob=0.01)


def stage(partial: Any, final: Any = None, settings: StreamingSettings = SETTINGS) -> StreamingAsrStage:
    return StreamingAsrStage(partial, vad=lambda: EnergyVad(-40.0), settings=settings, final_transcriber=final)


def test_final_is_one_decode_of_the_utterance_by_the_final_engine() -> None:
    audio = noise([(1.0, 3.5)], 4.5)
    partials = ScriptedTranscriber([[segment("please")], [segment("please restart the")],
                                    [segment("please restart the router")]])
    finals = ScriptedTranscriber([[segment("Please restart the router.")]])
    s = stage(partials, finals)
    result = replay_audio(s, {"agent": audio}, call_id="c", chunk_s=0.1)
    shown = [(round(t.stream_s, 1), t.event.text) for t in result.events if isinstance(t.event, TranscriptPartial)]
    # the final decode's words also go through the policy: committed words keep their
    # spelling in the partial; the final is that decode as it is
    assert shown == [(1.5, "please"), (2.5, "please restart the"), (3.5, "please restart the router"),
                     (3.7, "please restart the router.")]
    # the early final decode (0.2 s of silence heard): the whole utterance, from the
    # buffer start (0.1 s of pre-roll before 1.0 s) to the end of speech plus the pad
    assert len(finals.calls) == 1
    size, _, offset = finals.calls[0]
    assert round(offset, 2) == 0.9 and size == int(round((3.5 + 0.1 - 0.9) * 16000))
    assert [f.text for f in result.finals] == ["Please restart the router."]
    assert result.finals[0].start_s == 1.1
    assert s.stats.early_final_decodes == 1 and s.stats.tail_decodes == 0
    assert len(partials.calls) == 3


def test_speech_resuming_after_an_early_final_gets_a_fresh_final_decode() -> None:
    audio = noise([(1.0, 2.0), (2.3, 3.0)], 4.0)  # a 0.3 s pause: past eager_end_ms, short of the end
    finals = ScriptedTranscriber([[segment("wait")], [segment("wait a moment")]])
    s = stage(ScriptedTranscriber([[segment("wait")]]), finals)
    result = replay_audio(s, {"agent": audio}, call_id="c", chunk_s=0.1)
    assert [f.text for f in result.finals] == ["wait a moment"]
    assert len(finals.calls) == 2 and s.stats.early_final_decodes == 2 and s.stats.tail_decodes == 0
    assert {t.event.utterance_id for t in result.events if isinstance(t.event, TranscriptPartial)} == {"agent-0001"}


def test_the_final_decode_is_not_throttled_by_the_compute_bucket() -> None:
    audio = bursts([1.0, 1.4, 1.8, 2.2, 2.6], 4.0)
    engine = BurstTranscriber(cost_per_call_s=5.0)  # every decode "costs" 5 s: the bucket goes negative
    s = stage(engine)
    result = replay_audio(s, {"agent": audio}, call_id="c", chunk_s=0.1)
    assert s.stats.decodes == 2  # the first partial, then nothing until the final decode
    assert s.stats.early_final_decodes == 1 and s.stats.tail_decodes == 0
    assert [f.text for f in result.finals] == ["w10 w14 w18 w22 w26"]


def test_partials_wait_for_other_calls_work_but_finals_do_not() -> None:
    audio = noise([(1.0, 6.0)], 7.0)  # 5 s of speech
    busy = stage(ScriptedTranscriber([[segment("one two")]] * 10), ScriptedTranscriber([[segment("one two three")]]))
    busy.defer_partials = lambda: True  # other calls' work always waits
    result = replay_audio(busy, {"agent": audio}, call_id="c", chunk_s=0.1)
    idle = stage(ScriptedTranscriber([[segment("one two")]] * 10), ScriptedTranscriber([[segment("one two three")]]))
    replay_audio(idle, {"agent": audio}, call_id="c", chunk_s=0.1)
    # put off, but never more than MAX_DEFER_S of audio: fewer partial decodes, not none
    assert busy.stats.deferred_partials > 0 and 1 <= busy.stats.decodes - 1 < idle.stats.decodes - 1
    assert busy.stats.early_final_decodes == 1  # the final is never put off
    assert [f.text for f in result.finals] == ["one two three"]


def test_partial_decodes_are_skipped_while_the_vad_hears_no_speech() -> None:
    audio = bursts([1.0, 1.4, 1.8], 5.0)  # speech ends at 2.1 s; the end is confirmed 1.5 s later
    engine = BurstTranscriber()
    settings = StreamingSettings(vad="energy", first_decode_s=0.6, min_chunk_s=0.5, interval_growth=0.25,
                                 speech_pad_ms=100,
                                 end_silence_ms=1500, eager_end_ms=0)
    s = stage(engine, settings=settings)
    result = replay_audio(s, {"agent": audio}, call_id="c", chunk_s=0.1)
    ends = [round(offset + size / 16000, 1) for size, _, offset in engine.calls]
    # partials at 1.5, 2.0 and 2.5 s (speech heard since the decode before), none from
    # 3.0 s on; then the final decode when the end is confirmed at 3.6 s
    assert ends == [1.5, 2.0, 2.5, 2.2]
    assert s.stats.skipped_no_speech >= 2 and s.stats.tail_decodes == 1
    assert [f.text for f in result.finals] == ["w10 w14 w18"]


def test_a_long_utterance_decodes_only_its_last_seconds_for_the_final() -> None:
    starts = [round(0.5 + 0.4 * i, 3) for i in range(15)]  # 6 s of speech, no pause
    engine = BurstTranscriber()
    settings = StreamingSettings(vad="energy", speech_pad_ms=100, final_max_s=2.0, trim_s=12.0,
                                 min_chunk_s=1.0, interval_growth=0.25)
    s = stage(engine, settings=settings)
    result = replay_audio(s, {"agent": audio_of(starts)}, call_id="c", chunk_s=0.1)
    size, _, offset = engine.calls[-1]  # the final decode
    assert offset > 3.5 and size / 16000 < 3.0
    assert [f.text for f in result.finals] == [" ".join(f"w{int(round(x * 10))}" for x in starts)]


def audio_of(starts: list[float]) -> np.ndarray:
    return bursts(starts, starts[-1] + 1.5)


def test_streaming_transcribers_give_partials_and_finals_their_own_options() -> None:
    class Engine:
        name = "fake-options"
        multilingual = False

        def __init__(self, **options: Any) -> None:
            self.options = options

        def with_options(self, **changes: Any) -> Engine:
            return Engine(**changes)

    settings = StreamingSettings(encoder_pad_s=3.0, encoder_min_s=6.0, final_beam_size=5)
    partial, final = streaming_transcribers(Engine(), settings)  # type: ignore[arg-type]
    assert partial.options == {"vad_filter": False, "one_pass": False, "encoder_pad_s": 3.0, "encoder_min_s": 6.0,  # type: ignore[attr-defined]
                               "without_timestamps": True, "temperatures": (0.0,), "segment_language_check": False}
    assert final.options == {"vad_filter": False, "one_pass": False, "encoder_pad_s": 3.0, "encoder_min_s": 8.0,  # type: ignore[attr-defined]
                             "without_timestamps": True, "beam_size": 5}
    plain = BurstTranscriber()
    assert streaming_transcribers(plain, settings) == (plain, plain)


def test_fitted_encoder_input_is_the_audio_plus_padding_in_half_seconds() -> None:
    assert fitted_frames(61, pad_s=4.0, min_s=8.0) == 800  # 0.6 s of audio: the minimum
    assert fitted_frames(612, pad_s=4.0, min_s=8.0) == 1050  # 6.12 s + 4 s, rounded up to 10.5 s
    assert fitted_frames(2800, pad_s=4.0, min_s=8.0) == 3000  # never past Whisper's 30 s


def test_split_at_timestamps_keeps_the_unfinished_last_segment() -> None:
    ts = 1000  # timestamp_begin; 0.02 s per step
    tokens = [ts + 0, 1, 2, ts + 50, ts + 50, 3, 4, ts + 90, ts + 100, 5, 6]
    pieces = split_at_timestamps(tokens, timestamp_begin=ts, eot=999, time_precision=0.02, duration_s=2.5)
    assert [(p["start"], p["end"], p["tokens"]) for p in pieces] == [
        (0.0, 1.0, [1, 2]), (1.0, 1.8, [3, 4]), (2.0, 2.5, [5, 6]),
    ]
    no_timestamps = split_at_timestamps([7, 8, 999], timestamp_begin=ts, eot=999, time_precision=0.02,
                                        duration_s=1.5)
    assert [(p["start"], p["end"], p["tokens"]) for p in no_timestamps] == [(0.0, 1.5, [7, 8])]
