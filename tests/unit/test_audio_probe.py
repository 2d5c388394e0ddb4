"""Probe and check: classification rules, header-only limits (T8), messages and fields."""

from __future__ import annotations

import os
import struct
import time
from pathlib import Path

import pytest

import audio_factory as af
from langassist import audio
from langassist.config import AudioSettings
from langassist.errors import AudioFormatError

FIVE_HOURS_S = 5 * 3600


def test_ok_file_reports_its_properties(tmp_path: Path) -> None:
    path = af.write_wav(tmp_path / "call.wav", af.tone(440, 3.0, 8000), 8000, "mulaw")
    result = audio.probe(path)
    assert result.ok and result.status == "ok"
    assert result.container == "wav" and result.codec == "pcm_mulaw"
    assert result.sample_rate_hz == 8000 and result.channels == 1
    assert result.declared_duration_s == pytest.approx(3.0)
    assert result.decoded_duration_s == pytest.approx(3.0)
    assert result.size_bytes == path.stat().st_size and result.path == str(path)


def test_generated_fixtures_are_ok(
    speech_wavs: dict[str, Path], silence_wav: Path, noise_wav: Path, hold_music_wav: Path,
    stereo_call_wav: Path,
) -> None:
    for path in [*speech_wavs.values(), silence_wav, noise_wav, hold_music_wav, stereo_call_wav]:
        result = audio.probe(path)
        assert result.status == "ok", result.reason
    assert audio.probe(stereo_call_wav).channels == 2


def test_header_declaring_five_hours_is_too_long_within_a_second(tmp_path: Path) -> None:
    """T8: decided from the header alone, nothing decoded."""
    path = tmp_path / "five-hours.wav"
    header = af.wav_header(sample_rate_hz=8000, channels=1, data_bytes=FIVE_HOURS_S * 16000)
    path.write_bytes(header)
    started = time.perf_counter()
    result = audio.probe(path)
    elapsed = time.perf_counter() - started
    assert result.status == "too_long", result.reason
    assert elapsed <= 1.0
    assert result.declared_duration_s == pytest.approx(FIVE_HOURS_S)
    assert result.decoded_duration_s is None
    assert "5.00 h" in result.reason and "audio.max_duration_s" in result.reason


def test_real_five_hour_file_is_too_long_within_a_second(tmp_path: Path) -> None:
    """A full-size (sparse) 5 h WAV: 288 MB on paper, rejected without reading it."""
    path = tmp_path / "five-hours-full.wav"
    data_bytes = FIVE_HOURS_S * 16000
    with path.open("wb") as handle:
        handle.write(af.wav_header(sample_rate_hz=8000, channels=1, data_bytes=data_bytes))
        handle.truncate(44 + data_bytes)
    started = time.perf_counter()
    result = audio.probe(path)
    assert time.perf_counter() - started <= 1.0
    assert result.status == "too_long"


def test_compressed_file_over_the_duration_limit_is_rejected_before_decoding(
    tmp_path: Path,
) -> None:
    path = af.write_audio(tmp_path / "long.mp3", af.hold_music(12.0), 16000)
    result = audio.probe(path, AudioSettings(max_duration_s=10.0))
    assert result.status == "too_long"
    assert result.decoded_duration_s is None


def test_unknown_length_wav_is_limited_by_its_bytes(tmp_path: Path) -> None:
    payload = bytes(16000 * 2 * 12)  # 12 s at 16 kHz PCM16
    header = af.wav_header(sample_rate_hz=16000, channels=1, data_bytes=0xFFFFFFFF)
    path = tmp_path / "streamed.wav"
    path.write_bytes(header + payload)
    assert audio.probe(path).status == "ok"
    assert audio.probe(path, AudioSettings(max_duration_s=10.0)).status == "too_long"


def test_file_size_limits(tmp_path: Path) -> None:
    path = af.write_wav(tmp_path / "small.wav", af.tone(440, 1.0, 16000), 16000)
    result = audio.probe(path, AudioSettings(max_file_bytes=10_000))
    assert result.status == "too_long" and "audio.max_file_bytes" in result.reason
    declared_huge = tmp_path / "declares-3gb.wav"
    declared_huge.write_bytes(
        af.wav_header(sample_rate_hz=48000, channels=2, data_bytes=3 * 1024**3)
    )
    assert audio.probe(declared_huge).status == "too_long"


def test_espeak_streaming_wav_with_placeholder_sizes_is_ok(tmp_path: Path) -> None:
    """espeak-ng --stdout (and other pipe writers) leave 0x7FFFF000 in the size fields."""
    samples = af.speech("Streaming header.", "en-us", 22050)
    proper = af.write_wav(tmp_path / "proper.wav", samples, 22050).read_bytes()
    streamed = bytearray(proper)
    streamed[4:8] = struct.pack("<I", 0x7FFFF024)
    streamed[40:44] = struct.pack("<I", 0x7FFFF000)
    path = tmp_path / "streamed.wav"
    path.write_bytes(bytes(streamed))
    result = audio.probe(path)
    assert result.status == "ok", result.reason
    assert result.declared_duration_s is None
    assert result.decoded_duration_s == pytest.approx(len(samples) / 22050)


def test_empty_inputs(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    assert audio.probe(empty).status == "empty"
    header_only = tmp_path / "header-only.wav"
    header_only.write_bytes(af.wav_header(sample_rate_hz=16000, channels=1, data_bytes=0))
    result = audio.probe(header_only)
    assert result.status == "empty" and result.decoded_duration_s == 0.0


def test_malformed_wav_headers_are_corrupt(tmp_path: Path) -> None:
    no_fmt = tmp_path / "no-fmt.wav"
    no_fmt.write_bytes(b"RIFF" + struct.pack("<I", 12) + b"WAVE" + b"data" + struct.pack("<I", 4)
                       + bytes(4))
    zero_channels = bytearray(af.wav_header(sample_rate_hz=16000, channels=1, data_bytes=3200))
    zero_channels[22:24] = struct.pack("<H", 0)
    bad_fmt = tmp_path / "zero-channels.wav"
    bad_fmt.write_bytes(bytes(zero_channels) + bytes(3200))
    for path in (no_fmt, bad_fmt):
        result = audio.probe(path)
        assert result.status == "corrupt", result.reason


def test_random_bytes_and_text_are_unsupported(tmp_path: Path) -> None:
    for seed in range(20):
        path = af.random_bytes_file(tmp_path / f"random-{seed}.wav", 20_000, seed=seed)
        assert audio.probe(path).status == "unsupported"
    text = tmp_path / "notes.mp3"
    text.write_text("minutes of the meeting\n" * 100, encoding="utf-8")
    assert audio.probe(text).status == "unsupported"


def test_bytes_input(tmp_path: Path) -> None:
    data = af.write_audio(tmp_path / "in.flac", af.tone(440, 1.0, 16000), 16000).read_bytes()
    result = audio.probe(data)
    assert result.ok and result.path is None and result.size_bytes == len(data)
    assert audio.probe(data[: len(data) // 2]).status == "truncated"


def test_check_raises_one_line_error_naming_the_file(tmp_path: Path) -> None:
    whole = af.write_audio(tmp_path / "call.mp3", af.hold_music(10.0), 16000)
    cut = af.truncate_copy(whole, tmp_path / "cut-call.mp3", 0.5)
    assert audio.check(whole).ok
    with pytest.raises(AudioFormatError) as info:
        audio.check(cut)
    message = str(info.value)
    assert info.value.status == "truncated" and info.value.path == str(cut)
    assert "cut-call.mp3" in message and "\n" not in message


def test_unreadable_paths_raise_os_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        audio.probe(tmp_path / "missing.wav")
    with pytest.raises(IsADirectoryError):
        audio.probe(tmp_path)
    if os.name == "posix" and os.geteuid() != 0:
        locked = af.write_wav(tmp_path / "locked.wav", af.tone(440, 0.1, 16000), 16000)
        locked.chmod(0)
        with pytest.raises(PermissionError):
            audio.probe(locked)


def test_wav_with_an_unknown_codec_is_unsupported(tmp_path: Path) -> None:
    header = bytearray(af.wav_header(sample_rate_hz=8000, channels=1, data_bytes=16000))
    header[20:22] = struct.pack("<H", 0x1234)  # no such WAV format tag
    path = tmp_path / "unknown-codec.wav"
    path.write_bytes(bytes(header) + bytes(16000))
    result = audio.probe(path)
    assert result.status == "unsupported" and "0x1234" in result.reason


def _rf64(sample_rate_hz: int, payload: bytes, declared_bytes: int) -> bytes:
    fmt = struct.pack("<HHIIHH", 1, 1, sample_rate_hz, sample_rate_hz * 2, 2, 16)
    ds64 = struct.pack("<QQQI", 0, declared_bytes, declared_bytes // 2, 0)
    body = (b"WAVE" + b"ds64" + struct.pack("<I", len(ds64)) + ds64
            + b"fmt " + struct.pack("<I", len(fmt)) + fmt
            + b"data" + struct.pack("<I", 0xFFFFFFFF) + payload)
    return b"RF64" + struct.pack("<I", 0xFFFFFFFF) + body


def test_rf64_sizes_come_from_the_ds64_chunk(tmp_path: Path) -> None:
    payload = (af.tone(440, 2.0, 16000) * 32767).astype("<i2").tobytes()
    whole = tmp_path / "whole.wav"
    whole.write_bytes(_rf64(16000, payload, len(payload)))
    result = audio.probe(whole)
    assert result.status == "ok", result.reason
    assert result.declared_duration_s == pytest.approx(2.0)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(_rf64(16000, payload[: len(payload) // 2], len(payload)))
    assert audio.probe(cut).status == "truncated"
