"""End-of-speech detection: frame speech probabilities to speech start and end times.

A hysteresis over the per-frame probabilities a
:class:`~langassist.backends.base.VoiceActivityDetector` gives (Silero's rule, as in
faster-whisper's ``get_speech_timestamps``, made incremental): speech starts at the
first frame with probability >= ``threshold``; it ends at the last speech frame once
``min_silence_s`` of frames below ``neg_threshold`` follow it. Times are absolute (the
frame count times the frame length, from ``start_s``): one audio clock per track, never
the wall clock. Pure: no model, no audio.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = ["Boundary", "EndpointOptions", "Endpointer"]


@dataclass(frozen=True, slots=True)
class EndpointOptions:
    """Thresholds of the hysteresis.

    Attributes:
        threshold: a frame at or above this is speech.
        neg_threshold: a frame below this is silence (default ``threshold - 0.15``);
            frames in between keep the current state.
        min_silence_s: silence that ends speech.
    """

    threshold: float = 0.5
    neg_threshold: float | None = None
    min_silence_s: float = 0.4

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")
        if self.min_silence_s <= 0:
            raise ValueError(f"min_silence_s must be positive, got {self.min_silence_s}")

    @property
    def low(self) -> float:
        return self.neg_threshold if self.neg_threshold is not None else max(self.threshold - 0.15, 0.01)


@dataclass(frozen=True, slots=True)
class Boundary:
    """Speech started or ended at ``time_s`` (absolute)."""

    kind: Literal["start", "end"]
    time_s: float


class Endpointer:
    """Incremental speech start/end detection for one track.

    Args:
        frame_s: seconds per probability frame.
        options: thresholds.
        start_s: absolute time of the first frame.
    """

    def __init__(self, frame_s: float, options: EndpointOptions | None = None, *, start_s: float = 0.0) -> None:
        if frame_s <= 0:
            raise ValueError(f"frame_s must be positive, got {frame_s}")
        self.frame_s = frame_s
        self.options = options or EndpointOptions()
        self._origin_s = start_s
        self._frames = 0
        self.in_speech = False
        self.speech_start_s: float | None = None
        self._last_speech_end_s: float | None = None

    @property
    def time_s(self) -> float:
        """Absolute time of the end of the last frame pushed."""
        return self._origin_s + self._frames * self.frame_s

    @property
    def silence_s(self) -> float:
        """Silence since the last speech frame, while in speech (0 otherwise)."""
        if not self.in_speech or self._last_speech_end_s is None:
            return 0.0
        return max(0.0, self.time_s - self._last_speech_end_s)

    @property
    def last_speech_end_s(self) -> float | None:
        """End of the last speech frame of the current speech, if any."""
        return self._last_speech_end_s if self.in_speech else None

    def push(self, probabilities: Iterable[float]) -> list[Boundary]:
        """Add frames; return the boundaries they complete, in order."""
        options = self.options
        low = options.low
        out: list[Boundary] = []
        for probability in probabilities:
            frame_start = self.time_s
            self._frames += 1
            frame_end = self.time_s
            if probability >= options.threshold:
                if not self.in_speech:
                    self.in_speech = True
                    self.speech_start_s = frame_start
                    out.append(Boundary("start", frame_start))
                self._last_speech_end_s = frame_end
            elif self.in_speech and probability < low:
                last = self._last_speech_end_s if self._last_speech_end_s is not None else frame_start
                if frame_end - last >= options.min_silence_s - 1e-9:
                    out.append(self._end())
            elif self.in_speech:
                # between the thresholds: still speech, the silence run restarts
                self._last_speech_end_s = frame_end
        return out

    def finish(self) -> Boundary | None:
        """End of stream: close open speech at its last speech frame."""
        if not self.in_speech:
            return None
        return self._end()

    def jump(self, time_s: float) -> Boundary | None:
        """Move the clock to ``time_s`` (a gap in the stream); open speech ends first."""
        boundary = self.finish()
        self._origin_s = time_s
        self._frames = 0
        return boundary

    def _end(self) -> Boundary:
        end = self._last_speech_end_s if self._last_speech_end_s is not None else self.time_s
        self.in_speech = False
        self.speech_start_s = None
        self._last_speech_end_s = None
        return Boundary("end", end)
