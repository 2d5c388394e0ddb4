"""Restricting each window's decoding language to the call's candidate languages."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from langassist.backends.faster_whisper import DecodeOptions, FasterWhisperTranscriber


class FakeWhisperModel:
    """Stands in for faster-whisper's WhisperModel: fixed language probabilities, and it
    records the language each window was decoded in."""

    def __init__(self, probabilities: dict[str, float]) -> None:
        self.model = SimpleNamespace(is_multilingual=True)
        self.probabilities = probabilities
        self.decoded_in: list[str | None] = []

    def detect_language(self, audio: np.ndarray) -> tuple[str, float, list[tuple[str, float]]]:
        ranked = sorted(self.probabilities.items(), key=lambda item: -item[1])
        return ranked[0][0], ranked[0][1], ranked

    def transcribe(self, audio: np.ndarray, *, language: str | None = None, **_: Any) -> Any:
        self.decoded_in.append(language)
        segment = SimpleNamespace(start=0.0, end=1.0, text=" hola", words=[], avg_logprob=-0.2,
                                  no_speech_prob=0.01, compression_ratio=1.0, temperature=0.0)
        info = SimpleNamespace(all_language_probs=sorted(self.probabilities.items(), key=lambda i: -i[1]))
        return iter([segment]), info


def transcriber(model: FakeWhisperModel, candidates: tuple[str, ...]) -> FasterWhisperTranscriber:
    # encode_once reaches into the real model's encoder; this fake only detects and decodes
    options = DecodeOptions(vad_filter=False, candidate_languages=candidates, encode_once=False, one_pass=False)
    return FasterWhisperTranscriber("unused", name="fake-whisper", options=options, model=model)


def test_window_is_decoded_in_the_most_probable_candidate() -> None:
    model = FakeWhisperModel({"ja": 0.34, "la": 0.12, "es": 0.08, "en": 0.05})
    result = transcriber(model, ("en", "es")).transcribe(np.zeros(16000, dtype=np.float32))
    assert model.decoded_in == ["es"]
    # The full distribution is kept as evidence, not the restricted one.
    assert result.language is not None and result.language.top == "ja"


def test_without_candidates_whisper_detects_freely() -> None:
    model = FakeWhisperModel({"ja": 0.34, "es": 0.08})
    transcriber(model, ()).transcribe(np.zeros(16000, dtype=np.float32))
    assert model.decoded_in == [None]


def test_forced_language_wins_over_candidates() -> None:
    model = FakeWhisperModel({"ja": 0.34, "es": 0.08})
    transcriber(model, ("en", "es")).transcribe(np.zeros(16000, dtype=np.float32), language="en")
    assert model.decoded_in == ["en"]
