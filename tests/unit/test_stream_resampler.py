"""StreamResampler: 20 ms telephone frames resample as the whole signal would (T6)."""

from __future__ import annotations

import numpy as np

import audio_factory as af
from langassist.audio import StreamResampler, resample


def test_frames_resample_like_the_whole_signal() -> None:
    tone = af.tone(1000, 3.0, 8000)
    whole = resample(tone, 8000, 16000)
    stream = StreamResampler(8000, 16000)
    pieces = [stream.feed(tone[i:i + 160]) for i in range(0, tone.size, 160)]
    out = np.concatenate([*pieces, stream.flush()])
    assert abs(out.size / whole.size - 1.0) <= 0.002  # duration ratio 1.000 +- 0.002
    assert abs(af.dominant_frequency_hz(out, 16000) - 1000) <= 10
    head = np.concatenate(pieces)
    assert np.max(np.abs(head - whole[:head.size])) < 1e-5  # no edge transients at frame joins
    flushed_each = np.concatenate([resample(tone[i:i + 160], 8000, 16000) for i in range(0, tone.size, 160)])
    assert np.max(np.abs(flushed_each - whole)) > 100 * np.max(np.abs(head - whole[:head.size]) + 1e-9)
