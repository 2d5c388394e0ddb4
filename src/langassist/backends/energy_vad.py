"""A cheap energy VAD: a frame is speech when its RMS level reaches a threshold.

Deterministic and model-free, for tests, fakes and clean lines (no hold music or line
noise above the threshold). Probabilities are 0.0 or 1.0.
"""

from __future__ import annotations

import numpy as np

__all__ = ["EnergyVad"]


class EnergyVad:
    """:class:`~langassist.backends.base.VoiceActivityDetector` by frame RMS.

    Args:
        threshold_dbfs: RMS level (0 dBFS = RMS 1.0) at or above which a frame is speech.
        frame_samples: frame length (320 = 20 ms at 16 kHz).
    """

    name = "energy"

    def __init__(self, threshold_dbfs: float = -45.0, *, frame_samples: int = 320) -> None:
        if frame_samples <= 0:
            raise ValueError(f"frame_samples must be positive, got {frame_samples}")
        self.frame_samples = frame_samples
        self.threshold_dbfs = threshold_dbfs
        self._threshold_power = float(10.0 ** (threshold_dbfs / 10.0))
        self._pending = np.zeros(0, dtype=np.float32)

    def probabilities(self, samples: np.ndarray) -> np.ndarray:
        block = np.concatenate([self._pending, np.asarray(samples, dtype=np.float32).reshape(-1)])
        count = block.size // self.frame_samples
        self._pending = block[count * self.frame_samples:].copy()
        if count == 0:
            return np.zeros(0, dtype=np.float32)
        frames = block[: count * self.frame_samples].reshape(count, self.frame_samples)
        power = np.mean(np.square(frames, dtype=np.float64), axis=1)
        speech: np.ndarray = (power >= self._threshold_power).astype(np.float32)
        return speech

    def reset(self) -> None:
        self._pending = np.zeros(0, dtype=np.float32)
