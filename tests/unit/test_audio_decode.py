"""Decoding: every supported format, rate, encoding and layout to 16 kHz tracks, no down-mix."""

from __future__ import annotations

import json
import pickle
import subprocess
from pathlib import Path

import numpy as np
import pytest

import audio_factory as af
from langassist import audio
from langassist.config import AudioSettings
from langassist.errors import AudioFormatError

LEFT_HZ = 440.0
RIGHT_HZ = 1000.0
DURATION_S = 2.0


def _signal(rate_hz: int, channels: int) -> np.ndarray:
    left = af.tone(LEFT_HZ, DURATION_S, rate_hz, amplitude=0.4)
    if channels == 1:
        return left
    return np.stack([left, af.tone(RIGHT_HZ, DURATION_S, rate_hz, amplitude=0.4)])


def _assert_tracks(decoded: audio.DecodedAudio, channels: int, duration_tolerance_s: float) -> None:
    assert decoded.sample_rate_hz == 16000
    assert decoded.channels == channels
    assert decoded.status == "ok"
    assert abs(decoded.duration_s - DURATION_S) <= duration_tolerance_s
    for track in decoded.tracks.values():
        assert track.dtype == np.float32 and track.ndim == 1
        assert len(track) == round(decoded.duration_s * 16000)
    if channels == 1:
        assert decoded.track_names == ("mixed",)
        assert abs(af.dominant_frequency_hz(decoded.tracks["mixed"], 16000) - LEFT_HZ) <= 10
        return
    assert decoded.track_names == ("agent", "customer")
    agent, customer = decoded.tracks["agent"], decoded.tracks["customer"]
    assert abs(af.dominant_frequency_hz(agent, 16000) - LEFT_HZ) <= 10
    assert abs(af.dominant_frequency_hz(customer, 16000) - RIGHT_HZ) <= 10
    # No down-mix: each track keeps its own level (a mix would halve it, -6 dB).
    assert abs(af.rms_dbfs(agent) - af.rms_dbfs(_signal(16000, 1))) < 1.0


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("rate_hz", [8000, 16000, 44100, 48000])
@pytest.mark.parametrize("encoding", af.WAV_ENCODINGS)
def test_wav_encodings_rates_and_layouts(
    tmp_path: Path, encoding: str, rate_hz: int, channels: int
) -> None:
    path = af.write_wav(tmp_path / "in.wav", _signal(rate_hz, channels), rate_hz, encoding)
    decoded = audio.decode(path)
    assert decoded.container == "wav" and decoded.source_sample_rate_hz == rate_hz
    assert decoded.declared_duration_s == pytest.approx(DURATION_S, abs=1e-3)
    _assert_tracks(decoded, channels, duration_tolerance_s=0.004)


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("rate_hz", [8000, 48000])
@pytest.mark.parametrize("suffix", af.COMPRESSED_FORMATS)
def test_compressed_formats(tmp_path: Path, suffix: str, rate_hz: int, channels: int) -> None:
    path = af.write_audio(tmp_path / f"in.{suffix}", _signal(rate_hz, channels), rate_hz)
    decoded = audio.decode(path)
    lossless = suffix == "flac"
    # Lossy codecs add encoder delay/padding (AAC priming is up to ~0.13 s at 8 kHz).
    _assert_tracks(decoded, channels, duration_tolerance_s=0.004 if lossless else 0.15)


def test_pcm16_at_16k_decodes_bit_exact(tmp_path: Path) -> None:
    source = af.speech("Exact samples, please.", "en-us", 16000)
    path = af.write_wav(tmp_path / "exact.wav", source, 16000)
    expected = np.clip(np.round(source * 32768), -32768, 32767) / 32768
    assert np.array_equal(audio.decode(path).tracks["mixed"], expected.astype(np.float32))


def test_bytes_and_path_give_the_same_audio(tmp_path: Path) -> None:
    path = af.write_audio(tmp_path / "in.mp3", _signal(16000, 2), 16000)
    from_path = audio.decode(path)
    from_bytes = audio.decode(path.read_bytes())
    for name in from_path.tracks:
        assert np.array_equal(from_path.tracks[name], from_bytes.tracks[name])


def test_content_decides_the_format_not_the_extension(tmp_path: Path) -> None:
    flac = af.write_audio(tmp_path / "real.flac", _signal(16000, 1), 16000)
    misnamed = tmp_path / "misnamed.mp3"
    misnamed.write_bytes(flac.read_bytes())
    decoded = audio.decode(misnamed)
    assert decoded.container == "flac" and decoded.codec == "flac"


def test_channel_names_follow_settings(tmp_path: Path) -> None:
    path = af.write_wav(tmp_path / "in.wav", _signal(16000, 2), 16000)
    settings = AudioSettings(channel_tracks=("customer", "agent"))
    decoded = audio.decode(path, settings=settings)
    assert decoded.track_names == ("customer", "agent")
    assert abs(af.dominant_frequency_hz(decoded.tracks["customer"], 16000) - LEFT_HZ) <= 10


def test_extra_channels_get_numbered_names(tmp_path: Path) -> None:
    three = np.stack([af.tone(f, 1.0, 16000) for f in (300.0, 600.0, 1200.0)])
    decoded = audio.decode(af.write_wav(tmp_path / "three.wav", three, 16000))
    assert decoded.track_names == ("agent", "customer", "channel_3")
    assert abs(af.dominant_frequency_hz(decoded.tracks["channel_3"], 16000) - 1200) <= 10
    assert audio.track_names(1) == ("mixed",)
    with pytest.raises(ValueError):
        audio.track_names(0)


def test_tracks_are_read_only(tmp_path: Path) -> None:
    decoded = audio.decode(af.write_wav(tmp_path / "in.wav", _signal(16000, 1), 16000))
    with pytest.raises(ValueError):
        decoded.tracks["mixed"][0] = 1.0
    with pytest.raises(TypeError):
        decoded.tracks["other"] = decoded.tracks["mixed"]  # type: ignore[index]


def test_decoded_audio_pickles_for_worker_processes(tmp_path: Path) -> None:
    decoded = audio.decode(af.write_wav(tmp_path / "in.wav", _signal(16000, 2), 16000))
    copy = pickle.loads(pickle.dumps(decoded))
    assert copy.track_names == decoded.track_names
    for name in decoded.tracks:
        assert np.array_equal(copy.tracks[name], decoded.tracks[name])


def test_stereo_call_keeps_parties_apart(stereo_call_wav: Path) -> None:
    script = json.loads(stereo_call_wav.with_suffix(".json").read_text(encoding="utf-8"))
    decoded = audio.decode(stereo_call_wav)
    assert decoded.track_names == ("agent", "customer")
    assert decoded.duration_s == pytest.approx(script["duration_s"], abs=1e-3)
    for turn in script["turns"]:
        span = slice(round(turn["start_s"] * 16000), round(turn["end_s"] * 16000))
        speaker = decoded.tracks[turn["speaker"]][span]
        other = decoded.tracks["customer" if turn["speaker"] == "agent" else "agent"][span]
        assert af.rms_dbfs(speaker) > -40
        assert af.rms_dbfs(other) < -90  # the other party's channel is silent


@pytest.mark.parametrize("suffix", ["wav", "mp3", "flac"])
def test_windows_join_to_the_whole_decode(tmp_path: Path, suffix: str) -> None:
    path = af.write_audio(tmp_path / f"in.{suffix}", _signal(44100, 2), 44100)
    whole = audio.decode(path)
    windows = list(audio.iter_windows(path, 0.75))
    assert [w.start_s for w in windows] == pytest.approx([0.75 * i for i in range(len(windows))])
    assert all(w.duration_s == pytest.approx(0.75) for w in windows[:-1])
    for name in whole.tracks:
        joined = np.concatenate([w.tracks[name] for w in windows])
        assert np.array_equal(joined, whole.tracks[name])


def test_windows_reject_bad_window_and_bad_input(tmp_path: Path) -> None:
    path = af.write_wav(tmp_path / "in.wav", _signal(16000, 1), 16000)
    with pytest.raises(ValueError, match="window_s"):
        next(audio.iter_windows(path, 0))
    junk = tmp_path / "junk.wav"
    junk.write_text("not audio at all", encoding="utf-8")
    with pytest.raises(AudioFormatError) as info:
        next(audio.iter_windows(junk, 1.0))
    assert info.value.status == "unsupported"


def test_strict_decode_refuses_a_truncated_file(tmp_path: Path) -> None:
    whole = af.write_audio(tmp_path / "whole.flac", af.white_noise(4.0, -20.0), 16000)
    cut = af.truncate_copy(whole, tmp_path / "cut.flac", 0.5)
    with pytest.raises(AudioFormatError) as info:
        audio.decode(cut)
    assert info.value.status == "truncated" and info.value.path == str(cut)
    lenient = audio.decode(cut, strict=False)
    assert lenient.status == "truncated"
    assert 0.5 < lenient.duration_s < 3.0
    assert lenient.declared_duration_s == pytest.approx(4.0, abs=1e-3)


@pytest.mark.parametrize(
    ("content", "status"),
    [(b"", "empty"), (b"hello, I am plain text and not audio", "unsupported")],
)
def test_unusable_input_raises_with_status(content: bytes, status: str) -> None:
    with pytest.raises(AudioFormatError) as info:
        audio.decode(content)
    assert info.value.status == status
    with pytest.raises(AudioFormatError):
        audio.decode(content, strict=False)


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        audio.decode(tmp_path / "nope.wav")


@pytest.mark.parametrize(
    ("name", "sox_options"),
    [
        ("gsm.wav", ["-r", "8000", "-c", "1", "-e", "gsm-full-rate"]),
        ("adpcm.wav", ["-r", "8000", "-c", "1", "-e", "ms-adpcm"]),
        ("tone.aiff", ["-r", "16000", "-c", "2"]),
        ("tone.au", ["-r", "8000", "-c", "1"]),
    ],
)
def test_other_telephony_and_legacy_formats(
    tmp_path: Path, name: str, sox_options: list[str]
) -> None:
    path = tmp_path / name
    subprocess.run(["sox", "-n", *sox_options, str(path), "synth", "2", "sine", "440"],
                   check=True, capture_output=True)
    decoded = audio.decode(path)
    assert decoded.duration_s == pytest.approx(2.0, abs=0.03)
    for track in decoded.tracks.values():
        assert abs(af.dominant_frequency_hz(track, 16000) - 440) <= 10
