"""A bounded audio buffer for one track, and where to trim it.

The buffer holds the samples of one track from ``start_s`` (absolute stream time) to
``end_s``. It never holds more than ``max_s`` seconds: appending past the cap drops the
oldest samples and counts them in ``dropped_s`` (the streaming stage trims before that
happens; the cap is the guarantee, not the policy). :func:`choose_trim_time` picks a cut
at a committed sentence end, else a committed segment (word) end, as whisper_streaming's
``buffer_trimming=("segment", 15)`` does. Pure: no engine, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from langassist.events import Word

__all__ = ["AudioBuffer", "choose_trim_time", "is_sentence_end"]

FloatArray = npt.NDArray[np.float32]

_SENTENCE_END = (".", "?", "!", "。", "？", "！")


def is_sentence_end(text: str) -> bool:
    """Whether a word ends a sentence (``.``, ``?``, ``!``; not ``...`` mid-thought)."""
    stripped = text.rstrip("\"')]}»”’")
    return stripped.endswith(_SENTENCE_END) and not stripped.endswith("...")


def choose_trim_time(words: Sequence[Word], *, sentences_only: bool = False) -> float | None:
    """End time of the last committed sentence in ``words``, else of the last word.

    Returns ``None`` when there is nowhere to cut (no words, or ``sentences_only`` and
    no sentence end).
    """
    for word in reversed(words):
        if is_sentence_end(word.text):
            return word.end_s
    if sentences_only or not words:
        return None
    return words[-1].end_s


class AudioBuffer:
    """Samples of one track from ``start_s``, at most ``max_s`` seconds of them.

    Args:
        max_s: the cap, in seconds.
        start_s: absolute time of the first sample that will be appended.
        sample_rate_hz: samples per second.
    """

    def __init__(self, max_s: float, *, start_s: float = 0.0, sample_rate_hz: int = 16000) -> None:
        if max_s <= 0:
            raise ValueError(f"max_s must be positive, got {max_s}")
        self.sample_rate_hz = sample_rate_hz
        self.max_samples = int(round(max_s * sample_rate_hz))
        self._data = np.zeros(self.max_samples, dtype=np.float32)
        self._size = 0
        self._start_sample = int(round(start_s * sample_rate_hz))
        self.dropped_s = 0.0

    # -- times -------------------------------------------------------------------------

    @property
    def start_s(self) -> float:
        return self._start_sample / self.sample_rate_hz

    @property
    def end_s(self) -> float:
        return (self._start_sample + self._size) / self.sample_rate_hz

    @property
    def duration_s(self) -> float:
        return self._size / self.sample_rate_hz

    @property
    def max_s(self) -> float:
        return self.max_samples / self.sample_rate_hz

    def __len__(self) -> int:
        return self._size

    # -- edits -------------------------------------------------------------------------

    def append(self, samples: npt.ArrayLike) -> None:
        """Add samples at the end; drop the oldest beyond the cap."""
        block = np.asarray(samples, dtype=np.float32).reshape(-1)
        if block.size >= self.max_samples:
            overflow = self._size + block.size - self.max_samples
            self._data[:] = block[-self.max_samples:]
            self._start_sample += overflow
            self._size = self.max_samples
            self.dropped_s += overflow / self.sample_rate_hz
            return
        overflow = self._size + block.size - self.max_samples
        if overflow > 0:
            self._drop(overflow)
            self.dropped_s += overflow / self.sample_rate_hz
        self._data[self._size:self._size + block.size] = block
        self._size += block.size

    def trim_to(self, time_s: float) -> None:
        """Drop the samples before ``time_s`` (clamped to the buffer)."""
        cut = int(round(time_s * self.sample_rate_hz)) - self._start_sample
        self._drop(min(max(cut, 0), self._size))

    def keep_last(self, seconds: float) -> None:
        """Keep only the last ``seconds`` of audio (a pre-roll while nobody speaks)."""
        self.trim_to(self.end_s - seconds)

    def clear(self, *, start_s: float | None = None) -> None:
        """Empty the buffer; the next sample is at ``start_s`` (default: the current end)."""
        self._start_sample = (
            self._start_sample + self._size
            if start_s is None
            else int(round(start_s * self.sample_rate_hz))
        )
        self._size = 0

    def _drop(self, count: int) -> None:
        if count <= 0:
            return
        remaining = self._size - count
        if remaining > 0:
            self._data[:remaining] = self._data[count:self._size]
        self._size = max(remaining, 0)
        self._start_sample += count

    # -- reads -------------------------------------------------------------------------

    def samples(self, start_s: float | None = None, end_s: float | None = None) -> FloatArray:
        """A copy of the samples between two absolute times (default: all of them)."""
        first = 0 if start_s is None else int(round(start_s * self.sample_rate_hz)) - self._start_sample
        last = self._size if end_s is None else int(round(end_s * self.sample_rate_hz)) - self._start_sample
        first, last = max(first, 0), min(max(last, 0), self._size)
        return self._data[first:max(first, last)].copy()
