"""``asr.batch_size`` and ``asr.one_pass_pad_s`` of the faster-whisper backend, without a
model: first passes of several windows generated in one batch, a window whose batched
result would fall back decoded again alone, batched and one-at-a-time decodes giving
the same segments, first-pass input sizes, and ``transcribe_tracks`` handing the blocks
of every channel to ``transcribe_many``."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from langassist.backends import faster_whisper as fw
from langassist.backends.base import Segment, Transcription
from langassist.config import AsrSettings
from langassist.errors import ConfigError
from langassist.stages.asr import transcribe_tracks

SR = 16000
EOT = 100
TIMESTAMP_BEGIN = 200
LOOPING = 7.0
"""Audio at this level makes the fake model loop (a result that needs a fallback)."""


class FakeTokenizer:
    eot = EOT
    timestamp_begin = TIMESTAMP_BEGIN
    sot_sequence = (1, 2, 3)

    def encode(self, text: str) -> list[int]:
        return [11 for _ in text.split()]

    def decode(self, tokens: list[int]) -> str:
        return " ".join(f"w{token}" for token in tokens if token < EOT)


class FakeExtractor:
    """Mel frames (100 a second, plus one) that carry the loudest sample of the audio."""

    nb_max_frames = 3000
    hop_length = 160

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        level = float(np.max(audio)) if audio.size else 0.0
        return np.full((80, audio.size // 160 + 1), level, dtype=np.float32)


class FakeBatchWhisper:
    """Stands in for ``WhisperModel`` (English only). An input's mel frames carry the
    level of its audio, the encoder passes it on, and the decoder "hears" that level as
    a word; it records every encoder input size and every batch it generates."""

    time_precision = 0.02
    max_length = 448

    def __init__(self) -> None:
        self.feature_extractor = FakeExtractor()
        self.model = SimpleNamespace(is_multilingual=False, generate=self.generate)
        self.encoded_frames: list[int] = []
        self.batches: list[int] = []
        self.alone: list[float] = []

    def encode(self, features: np.ndarray) -> np.ndarray:
        self.encoded_frames.append(int(features.shape[-1]))
        return np.full((1, features.shape[-1] // 2, 4), float(features.max()), dtype=np.float32)

    def get_prompt(self, tokenizer: Any, previous: list[int], without_timestamps: bool = False) -> list[int]:
        return [*previous, *tokenizer.sot_sequence]

    def tokens_for(self, level: float) -> list[int]:
        end = TIMESTAMP_BEGIN + 95  # 1.9 s: within a second of a 2 s window's end, no tail pass
        if level == LOOPING:  # a phrase over and over: compression ratio far above 2.4
            return [TIMESTAMP_BEGIN, *([41, 42, 43] * 8), end]
        return [TIMESTAMP_BEGIN, int(level), end]

    def result(self, level: float) -> Any:
        return SimpleNamespace(sequences_ids=[self.tokens_for(level)], scores=[-0.1], no_speech_prob=0.01)

    def generate(self, stacked: Any, prompts: list[list[int]], **options: Any) -> list[Any]:
        levels = np.asarray(stacked).max(axis=(1, 2))
        assert len(levels) == len(prompts)
        self.batches.append(len(prompts))
        return [self.result(float(level)) for level in levels]

    def generate_with_fallback(self, encoded: Any, prompt: list[int], tokenizer: Any, options: Any) -> Any:
        from faster_whisper.transcribe import get_compression_ratio

        level = float(np.asarray(encoded).max())
        self.alone.append(level)
        result = self.result(level)
        tokens = result.sequences_ids[0]
        compression = get_compression_ratio(tokenizer.decode(tokens).strip())
        if level == LOOPING:  # the fallback's choice: the looping text, still
            return result, -0.1, 0.4, compression
        return result, -0.1 * len(tokens) / (len(tokens) + 1), 0.0, compression

    def add_word_timestamps(self, segments: list[list[dict[str, Any]]], *args: Any, **kwargs: Any) -> None:
        for piece in segments[0]:
            piece["words"] = [
                {"start": piece["start"], "end": piece["end"], "word": f" w{token}", "probability": 0.9}
                for token in piece["tokens"]
            ][:1]


def fake_transcriber(batch_size: int, pad_s: float | None = None) -> tuple[fw.FasterWhisperTranscriber, FakeBatchWhisper]:
    model = FakeBatchWhisper()
    options = fw.DecodeOptions(one_pass=True, pack_windows=False, vad_window_context_s=0.0,
                               batch_size=batch_size, one_pass_pad_s=pad_s)
    transcriber = fw.FasterWhisperTranscriber("unused", name="fake", options=options, model=model)
    transcriber._tokenizer = lambda language: FakeTokenizer()  # type: ignore[method-assign]

    def spans(audio: np.ndarray) -> list[tuple[int, int]]:  # every run of non-zero samples
        voiced = np.flatnonzero(audio)
        if not voiced.size:
            return []
        breaks = np.flatnonzero(np.diff(voiced) > 1)
        starts = [voiced[0], *voiced[breaks + 1]]
        ends = [*voiced[breaks] + 1, voiced[-1] + 1]
        return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]

    transcriber._speech_spans = spans  # type: ignore[method-assign]
    return transcriber, model


def channel(levels: list[float], seconds: float = 40.0) -> np.ndarray:
    """``seconds`` of silence with a 2 s burst at each level, every 10 s from 1 s."""
    audio = np.zeros(int(seconds * SR), dtype=np.float32)
    for index, level in enumerate(levels):
        start = int((1 + 10 * index) * SR)
        audio[start:start + 2 * SR] = level
    return audio


def words(result: Transcription) -> list[tuple[float, str]]:
    return [(segment.start_s, segment.text) for segment in result.segments]


def test_first_passes_of_both_channels_are_one_batch() -> None:
    agent, customer = channel([3.0, 4.0]), channel([5.0])
    batched, model = fake_transcriber(batch_size=8)
    done: list[int] = []
    results = batched.transcribe_many([agent, customer], offsets_s=[0.0, 0.0], on_done=done.append)
    assert model.batches == [3] and model.alone == []  # three windows, one generate call
    assert sorted(done) == [0, 1]
    assert words(results[0]) == [(1.0, "w3"), (11.0, "w4")] and words(results[1]) == [(1.0, "w5")]
    # the same segments one window at a time
    single, model = fake_transcriber(batch_size=1)
    alone = single.transcribe_many([agent, customer])
    assert model.batches == [] and len(model.alone) == 3
    assert [words(r) for r in alone] == [words(r) for r in results]
    assert [r.segments for r in alone] == [r.segments for r in results]


def test_a_window_that_would_fall_back_is_decoded_again_alone() -> None:
    transcriber, model = fake_transcriber(batch_size=8)
    (result,) = transcriber.transcribe_many([channel([3.0, LOOPING, 4.0])])
    assert model.batches == [3] and model.alone == [LOOPING]
    looped = [segment for segment in result.segments if segment.start_s == 11.0]
    assert looped and looped[0].temperature == 0.4  # the fallback's result, not the batch's
    assert [s.temperature for s in result.segments if s.start_s != 11.0] == [0.0, 0.0]


def test_batches_hold_at_most_batch_size_windows() -> None:
    transcriber, model = fake_transcriber(batch_size=2)
    transcriber.transcribe_many([channel([3.0, 4.0, 5.0]), channel([6.0])])
    assert model.batches == [2, 2]


def test_fitted_first_pass_inputs_are_rounded_to_five_seconds() -> None:
    transcriber, model = fake_transcriber(batch_size=8, pad_s=8.0)
    audio = np.zeros(60 * SR, dtype=np.float32)
    audio[1 * SR:3 * SR] = 3.0  # 2 s + 8 s pad -> 10 s
    audio[20 * SR:int(22.5 * SR)] = 4.0  # 2.5 s + 8 s -> 15 s
    audio[40 * SR:41 * SR] = 5.0  # 1 s + 8 s -> 10 s (the same shape as the first)
    (result,) = transcriber.transcribe_many([audio])
    assert model.encoded_frames == [1000, 1500, 1000]
    assert sorted(model.batches) == [2] and model.alone == [4.0]  # one of its shape: alone
    assert [segment.text for segment in result.segments] == ["w3", "w4", "w5"]
    assert fw.fitted_frames(2650, pad_s=8.0, min_s=5.0, step_s=5.0) == 3000  # never past 30 s
    assert fw.fitted_frames(120, pad_s=1.0, min_s=5.0) == 500


def test_transcribe_tracks_gives_every_block_of_every_channel_to_transcribe_many() -> None:
    class Recorder:
        name = "recorder"
        multilingual = False

        def __init__(self) -> None:
            self.calls: list[list[float]] = []

        def transcribe_many(self, audios: list[np.ndarray], *, language: Any = None,
                            offsets_s: list[float], on_done: Any = None) -> list[Transcription]:
            self.calls.append(list(offsets_s))
            out = []
            for index, (audio, offset) in enumerate(zip(audios, offsets_s, strict=True)):
                segment = Segment(offset + 0.5, offset + 1.0, f"block at {offset:.0f}")
                out.append(Transcription(segments=(segment,), language=None, duration_s=audio.size / SR,
                                         speech_s=1.0, decode_s=0.1))
                on_done(index)
            return out

    recorder = Recorder()
    progress: list[float] = []
    tracks = {"agent": np.zeros(250 * SR, dtype=np.float32), "customer": np.zeros(30 * SR, dtype=np.float32)}
    agent, customer = transcribe_tracks(recorder, tracks, call_id="c", on_progress=progress.append, block_s=120.0)
    assert len(recorder.calls) == 1 and len(recorder.calls[0]) == 4  # 3 agent blocks + 1
    starts = [u.start_s for u in agent.utterances]
    assert len(starts) == 3 and starts == sorted(starts) and 110 < starts[1] < 130 < starts[2]
    assert [u.utterance_id for u in agent.utterances] == ["agent-0001", "agent-0002", "agent-0003"]
    assert [u.text for u in customer.utterances] == ["block at 0"]
    assert progress == sorted(progress) and progress[-1] == pytest.approx(280.0)


def test_batch_settings_are_checked() -> None:
    assert AsrSettings(batch_size=8, pack_max_s=15.0, one_pass_pad_s=8.0).batch_size == 8
    with pytest.raises(ConfigError, match="asr.batch_size"):
        AsrSettings(batch_size=0)
    with pytest.raises(ConfigError, match="asr.pack_max_s"):
        AsrSettings(pack_max_s=31.0)
    with pytest.raises(ConfigError, match="asr.one_pass_pad_s"):
        AsrSettings(one_pass_pad_s=0.5)


class FakeLanguageTokenizer(FakeTokenizer):
    def __init__(self, language: str) -> None:
        self.language = language


class FakeMultilingualWhisper(FakeBatchWhisper):
    """A multilingual fake: every window sounds ``ranked`` (Whisper's language tokens
    and probabilities), and a decode in language L scores ``logprob[L]``."""

    def __init__(self, ranked: list[tuple[str, float]], logprob: dict[str, float]) -> None:
        super().__init__()
        self.model = SimpleNamespace(is_multilingual=True, generate=self.generate,
                                     detect_language=lambda encoded: [ranked])
        self.logprob = logprob
        self.decoded_in: list[str] = []

    def generate(self, stacked: Any, prompts: list[list[int]], **options: Any) -> list[Any]:
        raise AssertionError("one window: no batch")

    def generate_with_fallback(self, encoded: Any, prompt: list[int], tokenizer: Any, options: Any) -> Any:
        self.decoded_in.append(tokenizer.language)
        result = self.result(float(np.asarray(encoded).max()))
        return result, self.logprob[tokenizer.language], 0.0, 1.0


def multilingual_transcriber(
    ranked: list[tuple[str, float]], logprob: dict[str, float], **options: Any
) -> tuple[fw.FasterWhisperTranscriber, FakeMultilingualWhisper]:
    model = FakeMultilingualWhisper(ranked, logprob)
    options = {"second_language_below": 0.7, **options}
    decode = fw.DecodeOptions(one_pass=True, pack_windows=False, vad_window_context_s=0.0, **options)
    transcriber = fw.FasterWhisperTranscriber("unused", name="fake", options=decode, model=model)
    transcriber._tokenizer = FakeLanguageTokenizer  # type: ignore[method-assign,assignment]
    transcriber._speech_spans = lambda audio: [(SR, 3 * SR)]  # type: ignore[method-assign]
    return transcriber, model


ACCENTED = [("<|zh|>", 0.57), ("<|en|>", 0.32), ("<|ja|>", 0.05)]


def test_an_unsure_window_is_decoded_again_in_the_second_language() -> None:
    transcriber, model = multilingual_transcriber(ACCENTED, {"zh": -1.48, "en": -0.79, "ja": -2.0})
    (result,) = transcriber.transcribe_many([channel([3.0])])
    assert model.decoded_in == ["zh", "en"]  # zh p=0.57 < 0.7: en tried, and it is more probable
    assert result.segments and result.segments[0].avg_logprob == pytest.approx(-0.79)
    assert result.segments[0].language is not None and result.segments[0].language.top == "zh"  # evidence kept


def test_the_first_language_stays_when_it_is_more_probable_or_sure() -> None:
    transcriber, model = multilingual_transcriber(ACCENTED, {"zh": -0.5, "en": -0.9, "ja": -2.0})
    (result,) = transcriber.transcribe_many([channel([3.0])])
    assert model.decoded_in == ["zh", "en"] and result.segments[0].avg_logprob == pytest.approx(-0.5)
    sure = [("<|de|>", 0.93), ("<|en|>", 0.05)]
    transcriber, model = multilingual_transcriber(sure, {"de": -0.9, "en": -0.1})
    transcriber.transcribe_many([channel([3.0])])
    assert model.decoded_in == ["de"]  # p=0.93: no second decode, whatever it would score


def test_second_language_respects_candidates_forced_language_and_off() -> None:
    logprob = {"zh": -1.5, "en": -0.8, "ja": -0.1, "es": -0.9}
    transcriber, model = multilingual_transcriber(ACCENTED, logprob, candidate_languages=("en", "es"))
    transcriber.transcribe_many([channel([3.0])])
    assert model.decoded_in == ["en", "es"]  # en (p=0.32) among the candidates, then es; en kept
    transcriber, model = multilingual_transcriber(ACCENTED, logprob)
    transcriber.transcribe_many([channel([3.0])], language="zh")
    assert model.decoded_in == ["zh"]  # a forced language is never second-guessed
    transcriber, model = multilingual_transcriber(ACCENTED, logprob, second_language_below=None)
    transcriber.transcribe_many([channel([3.0])])
    assert model.decoded_in == ["zh"]
    with pytest.raises(ConfigError):
        AsrSettings(second_language_below=1.5)
