"""Streaming policies, separate from any engine: commit policy, audio buffer, prompt, endpointing.

- :mod:`~langassist.streaming.policy`: LocalAgreement-n (commit the common prefix of
  consecutive hypotheses; the rest is the partial tail).
- :mod:`~langassist.streaming.buffer`: a bounded per-track audio buffer and where to trim
  it (committed sentence, else word, ends).
- :mod:`~langassist.streaming.prompt`: the decode prompt from committed text.
- :mod:`~langassist.streaming.endpoint`: speech start/end from frame probabilities.

Nothing here knows Whisper, reads a clock or does I/O; the streaming ASR stage
(:mod:`langassist.stages.streaming_asr`) combines these with a transcriber and a VAD.
"""

from __future__ import annotations

from langassist.streaming.buffer import AudioBuffer, choose_trim_time, is_sentence_end
from langassist.streaming.endpoint import Boundary, Endpointer, EndpointOptions
from langassist.streaming.policy import (
    CommitStep,
    LocalAgreement,
    align_hypothesis,
    common_prefix,
    word_key,
)
from langassist.streaming.prompt import build_prompt, join_words

__all__ = [
    "AudioBuffer",
    "Boundary",
    "CommitStep",
    "EndpointOptions",
    "Endpointer",
    "LocalAgreement",
    "align_hypothesis",
    "build_prompt",
    "choose_trim_time",
    "common_prefix",
    "is_sentence_end",
    "join_words",
    "word_key",
]
