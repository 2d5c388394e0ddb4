"""Damaged bytes never crash the audio input: a status from probe, AudioFormatError from decode."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import audio_factory as af
from langassist import audio
from langassist.errors import AudioFormatError

SUFFIXES = ("wav", "mp3", "flac", "ogg", "opus", "m4a")


@functools.cache
def _seed_file(suffix: str) -> bytes:
    """A 1.5 s clip in each container, made once per process."""
    signal = af.hold_music(1.5, 16000)
    with tempfile.TemporaryDirectory(prefix="langassist-fuzz-") as folder:
        return af.write_audio(Path(folder) / f"seed.{suffix}", signal, 16000).read_bytes()


@st.composite
def damaged_files(draw: st.DrawFn) -> bytes:
    data = bytearray(_seed_file(draw(st.sampled_from(SUFFIXES))))
    for _ in range(draw(st.integers(0, 4))):
        position = draw(st.integers(0, len(data) - 1))
        length = draw(st.integers(1, 64))
        junk = draw(st.binary(min_size=length, max_size=length))
        data[position : position + length] = junk
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_files())
def test_damaged_bytes_give_a_status_never_an_exception(data: bytes) -> None:
    result = audio.probe(data)
    assert result.status in audio.AUDIO_STATUSES
    assert "\n" not in result.reason
    try:
        decoded = audio.decode(data, strict=False)
    except AudioFormatError as exc:
        assert exc.status in audio.AUDIO_STATUSES
    else:
        for track in decoded.tracks.values():
            assert track.dtype.name == "float32"


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_every_prefix_length_is_handled(suffix: str) -> None:
    data = _seed_file(suffix)
    for end in range(0, len(data), max(1, len(data) // 40)):
        result = audio.probe(data[:end])
        where = f"{suffix} cut at {end} of {len(data)} bytes: {result.reason}"
        if end == 0:
            assert result.status == "empty", where
        elif result.status == "ok":
            # Only a cut within the tolerance: the last 1 %, or one codec frame (50 ms).
            declared, decoded = result.declared_duration_s, result.decoded_duration_s
            assert declared is not None and decoded is not None, where
            assert decoded >= 0.99 * declared or declared - decoded <= 0.05, where
            assert end >= 0.9 * len(data), where
        else:
            assert result.status in {"truncated", "corrupt", "empty"}, where
