"""Synthetic test audio: speech, tones, noise, silence, hold music, stereo calls, files.

Every clip the tests use is made here, from espeak-ng speech (Debian package), NumPy
signals and SoX/PyAV encoders, so the repository holds no recordings. Signals are float32
arrays in [-1, 1]; multi-channel signals have shape ``(channels, samples)``.

Levels in dBFS are RMS relative to a full-scale square wave (RMS 1.0 is 0 dBFS), so a
full-scale sine is -3 dBFS.

The writers are deliberately independent of ``langassist.audio``: WAV headers are packed
here with ``struct``, G.711 WAVs and compressed formats are encoded by FFmpeg (PyAV) or
SoX, and speech is resampled by SoX. The corrupters (truncate, overwrite bytes, fake
headers) work on bytes.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]

VOICES = ("en-us", "es", "de", "fr-fr", "pl")
"""espeak-ng voices the tests use (``fr`` resolves to ``fr-fr``)."""

WAV_ENCODINGS = ("pcm16", "float32", "mulaw", "alaw")
COMPRESSED_FORMATS = ("flac", "mp3", "ogg", "opus", "m4a")

_WAV_FORMAT_TAG = {"pcm16": 1, "float32": 3, "alaw": 6, "mulaw": 7}
_WAV_BITS = {"pcm16": 16, "float32": 32, "alaw": 8, "mulaw": 8}


# --------------------------------------------------------------------------- signals


def db_to_rms(level_dbfs: float) -> float:
    """RMS amplitude of a signal at ``level_dbfs`` (0 dBFS = RMS 1.0)."""
    return float(10.0 ** (level_dbfs / 20.0))


def rms_dbfs(samples: npt.ArrayLike) -> float:
    """RMS level of ``samples`` in dBFS (``-inf`` for digital silence)."""
    array = np.asarray(samples, dtype=np.float64)
    rms = float(np.sqrt(np.mean(array**2))) if array.size else 0.0
    return 20.0 * np.log10(rms) if rms > 0 else float("-inf")


def silence(duration_s: float, sample_rate_hz: int = 16000) -> FloatArray:
    """Digital silence."""
    return np.zeros(round(duration_s * sample_rate_hz), dtype=np.float32)


def tone(
    frequency_hz: float,
    duration_s: float,
    sample_rate_hz: int = 16000,
    *,
    amplitude: float = 0.5,
    phase: float = 0.0,
) -> FloatArray:
    """A sine tone with peak ``amplitude``."""
    t = np.arange(round(duration_s * sample_rate_hz), dtype=np.float64) / sample_rate_hz
    return (amplitude * np.sin(2 * np.pi * frequency_hz * t + phase)).astype(np.float32)


def tone_bursts(
    starts: Sequence[float], total_s: float, rate: int = 16000, length_s: float = 0.3
) -> FloatArray:
    """Silence with 440 Hz bursts of ``length_s`` at ``starts`` (the burst fake
    transcribers hear each burst as one word); a burst past the end is left out."""
    audio = np.zeros(int(round(total_s * rate)), dtype=np.float32)
    n = int(round(length_s * rate))
    burst = (0.3 * np.sin(2 * np.pi * 440 * np.arange(n) / rate)).astype(np.float32)
    for start in starts:
        first = int(round(start * rate))
        if first < audio.size:
            audio[first:first + n] = burst[: audio.size - first]
    return audio


def white_noise(
    duration_s: float,
    level_dbfs: float = -30.0,
    sample_rate_hz: int = 16000,
    *,
    seed: int = 0,
) -> FloatArray:
    """Gaussian white noise at an RMS of ``level_dbfs``, clipped to [-1, 1]."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(round(duration_s * sample_rate_hz)) * db_to_rms(level_dbfs)
    return np.clip(noise, -1.0, 1.0).astype(np.float32)


def hold_music(
    duration_s: float,
    sample_rate_hz: int = 16000,
    *,
    chord_s: float = 1.0,
    amplitude: float = 0.3,
) -> FloatArray:
    """Hold-music-like audio: a loop of major triads with soft attack and release."""
    roots_hz = (261.63, 349.23, 392.00, 220.00)  # C, F, G, A(minor feel)
    ratios = (1.0, 1.25, 1.5, 2.0)  # root, major third, fifth, octave (just intonation)
    chord_len = round(chord_s * sample_rate_hz)
    t = np.arange(chord_len, dtype=np.float64) / sample_rate_hz
    ramp = min(chord_len // 8, round(0.05 * sample_rate_hz))
    envelope = np.ones(chord_len)
    if ramp > 0:
        envelope[:ramp] = np.linspace(0.0, 1.0, ramp)
        envelope[-ramp:] = np.linspace(1.0, 0.0, ramp)
    total = round(duration_s * sample_rate_hz)
    out = np.zeros(total, dtype=np.float64)
    position = 0
    index = 0
    while position < total:
        root = roots_hz[index % len(roots_hz)]
        chord = sum(np.sin(2 * np.pi * root * ratio * t) for ratio in ratios) / len(ratios)
        piece = chord * envelope
        end = min(total, position + chord_len)
        out[position:end] = piece[: end - position]
        position = end
        index += 1
    return (amplitude * out).astype(np.float32)


def speech(
    text: str,
    voice: str = "en-us",
    sample_rate_hz: int = 16000,
    *,
    words_per_minute: int = 160,
    pitch: int = 50,
    trim: bool = True,
) -> FloatArray:
    """Speak ``text`` with espeak-ng and return mono float32 at ``sample_rate_hz``.

    espeak-ng renders at 22.05 kHz; SoX resamples (its own high-quality filter, not the
    resampler under test). ``voice`` is any espeak-ng voice (``en-us``, ``es``, ``de``,
    ``fr-fr``, ``pl``...); reading English with a foreign voice gives accented English.
    With ``trim`` the silence espeak-ng puts before and after the words is cut, so the
    clip starts and ends with speech (useful for exact turn times).
    """
    espeak = shutil.which("espeak-ng")
    sox = shutil.which("sox")
    if espeak is None or sox is None:
        raise RuntimeError("espeak-ng and sox are needed to synthesize test speech")
    with tempfile.TemporaryDirectory(prefix="langassist-tts-") as folder:
        raw_wav = Path(folder) / "speech.wav"
        subprocess.run(
            [espeak, "-v", voice, "-s", str(words_per_minute), "-p", str(pitch),
             "-w", str(raw_wav), text],
            check=True,
            capture_output=True,
        )
        result = subprocess.run(
            [sox, "-q", str(raw_wav), "-t", "raw", "-e", "floating-point", "-b", "32",
             "-c", "1", "-r", str(sample_rate_hz), "-"],
            check=True,
            capture_output=True,
        )
    samples = np.frombuffer(result.stdout, dtype="<f4").astype(np.float32)
    if trim:
        loud = np.flatnonzero(np.abs(samples) > 1e-3)
        if loud.size:
            samples = samples[loud[0] : loud[-1] + 1].copy()
    return samples


def clip(samples: FloatArray, gain: float = 4.0) -> FloatArray:
    """Amplify and hard-clip at full scale, as an overdriven line would."""
    clipped: FloatArray = np.clip(samples * gain, -1.0, 1.0).astype(np.float32)
    return clipped


def add_dc_offset(samples: FloatArray, offset: float = 0.2) -> FloatArray:
    """Shift the signal by a constant, clipped to [-1, 1]."""
    shifted: FloatArray = np.clip(samples + offset, -1.0, 1.0).astype(np.float32)
    return shifted


def resample_reference(samples: FloatArray, from_hz: int, to_hz: int) -> FloatArray:
    """Resample with SoX (``rate -v``), a reference independent of PyAV's resampler."""
    sox = shutil.which("sox")
    if sox is None:
        raise RuntimeError("sox is needed for the reference resampler")
    result = subprocess.run(
        [sox, "-q", "-t", "raw", "-e", "floating-point", "-b", "32", "-c", "1",
         "-r", str(from_hz), "-", "-t", "raw", "-e", "floating-point", "-b", "32",
         "-r", str(to_hz), "-", "rate", "-v"],
        input=np.ascontiguousarray(samples, dtype="<f4").tobytes(),
        check=True,
        capture_output=True,
    )
    return np.frombuffer(result.stdout, dtype="<f4").astype(np.float32)


# --------------------------------------------------------------------------- calls


@dataclass(frozen=True)
class Turn:
    """One speaker turn of a synthetic call.

    Attributes:
        speaker: ``agent`` (left channel) or ``customer`` (right channel).
        text: what is said (kept for the script; ``samples`` is what is heard).
        samples: mono float32 at the call's sample rate.
        gap_before_s: silence between the end of the previous turn and this one.
        voice: the espeak-ng voice used, for the record.
        language: ISO 639-1 code of the text.
    """

    speaker: str
    text: str
    samples: FloatArray
    gap_before_s: float = 0.6
    voice: str = ""
    language: str = ""


@dataclass(frozen=True)
class ScriptLine:
    """Where a turn landed in the built call."""

    speaker: str
    text: str
    start_s: float
    end_s: float
    voice: str
    language: str


@dataclass(frozen=True)
class StereoCall:
    """A built call: ``samples`` has shape (2, n); row 0 is the agent, row 1 the customer."""

    samples: FloatArray
    sample_rate_hz: int
    script: tuple[ScriptLine, ...]

    @property
    def duration_s(self) -> float:
        return float(self.samples.shape[1] / self.sample_rate_hz)


CHANNEL_OF = {"agent": 0, "customer": 1}


def speech_turn(
    speaker: str,
    text: str,
    voice: str,
    language: str,
    *,
    gap_before_s: float = 0.6,
    sample_rate_hz: int = 16000,
    words_per_minute: int = 160,
) -> Turn:
    """A :class:`Turn` spoken by espeak-ng."""
    samples = speech(text, voice, sample_rate_hz, words_per_minute=words_per_minute)
    return Turn(speaker, text, samples, gap_before_s, voice, language)


def build_stereo_call(
    turns: Sequence[Turn],
    sample_rate_hz: int = 16000,
    *,
    lead_in_s: float = 0.5,
    tail_s: float = 0.5,
    line_noise_dbfs: float | None = None,
    seed: int = 0,
) -> StereoCall:
    """Place turns one after another (no overlap) on the agent/customer channels."""
    position = round(lead_in_s * sample_rate_hz)
    placed: list[tuple[int, int, Turn]] = []
    for index, turn in enumerate(turns):
        if turn.speaker not in CHANNEL_OF:
            raise ValueError(
                f"turn {index}: speaker must be agent or customer, not {turn.speaker!r}"
            )
        if index > 0:
            position += round(turn.gap_before_s * sample_rate_hz)
        start = position
        position += len(turn.samples)
        placed.append((start, position, turn))
    total = position + round(tail_s * sample_rate_hz)
    samples = np.zeros((2, total), dtype=np.float32)
    if line_noise_dbfs is not None:
        for channel in range(2):
            samples[channel] = white_noise(
                total / sample_rate_hz, line_noise_dbfs, sample_rate_hz, seed=seed + channel
            )[:total]
    script = []
    for start, end, turn in placed:
        samples[CHANNEL_OF[turn.speaker], start:end] += turn.samples
        script.append(
            ScriptLine(
                turn.speaker, turn.text, round(start / sample_rate_hz, 3),
                round(end / sample_rate_hz, 3), turn.voice, turn.language,
            )
        )
    np.clip(samples, -1.0, 1.0, out=samples)
    return StereoCall(samples, sample_rate_hz, tuple(script))


# --------------------------------------------------------------------------- writers


def _as_channels(samples: npt.ArrayLike) -> FloatArray:
    array = np.asarray(samples, dtype=np.float32)
    if array.ndim == 1:
        array = array[np.newaxis, :]
    if array.ndim != 2:
        raise ValueError(f"samples must be (n,) or (channels, n), got shape {array.shape}")
    return array


def wav_header(
    *,
    sample_rate_hz: int,
    channels: int,
    encoding: str = "pcm16",
    data_bytes: int,
    riff_bytes: int | None = None,
) -> bytes:
    """A canonical 44-byte (PCM) or 46-byte (float/G.711, with cbSize) WAV header.

    ``data_bytes`` is what the header declares; it need not match what follows, which is
    how the tests fake truncated or over-long files.
    """
    tag = _WAV_FORMAT_TAG[encoding]
    bits = _WAV_BITS[encoding]
    block_align = channels * bits // 8
    fmt = struct.pack(
        "<HHIIHH", tag, channels, sample_rate_hz, sample_rate_hz * block_align, block_align, bits
    )
    if tag != 1:
        fmt += struct.pack("<H", 0)
    chunks = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    if tag != 1:
        # Non-PCM formats carry a fact chunk with the per-channel sample count.
        chunks += b"fact" + struct.pack("<II", 4, data_bytes // max(block_align, 1))
    chunks += b"data" + struct.pack("<I", data_bytes & 0xFFFFFFFF)
    size = riff_bytes if riff_bytes is not None else len(chunks) + data_bytes
    return b"RIFF" + struct.pack("<I", size & 0xFFFFFFFF) + chunks


def _encode_pcm(array: FloatArray, encoding: str) -> bytes:
    interleaved = np.ascontiguousarray(array.T)
    if encoding == "pcm16":
        ints = np.clip(np.round(interleaved * 32768.0), -32768, 32767).astype("<i2")
        return ints.tobytes()
    if encoding == "float32":
        return interleaved.astype("<f4").tobytes()
    raise ValueError(f"_encode_pcm handles pcm16/float32, not {encoding}")


def write_wav(
    path: str | os.PathLike[str],
    samples: npt.ArrayLike,
    sample_rate_hz: int,
    encoding: str = "pcm16",
) -> Path:
    """Write a WAV file: ``pcm16`` and ``float32`` packed here, ``mulaw``/``alaw`` by FFmpeg."""
    path = Path(path)
    array = _as_channels(samples)
    if encoding in ("pcm16", "float32"):
        payload = _encode_pcm(array, encoding)
        header = wav_header(
            sample_rate_hz=sample_rate_hz, channels=array.shape[0], encoding=encoding,
            data_bytes=len(payload),
        )
        path.write_bytes(header + payload)
        return path
    if encoding in ("mulaw", "alaw"):
        codec = "pcm_mulaw" if encoding == "mulaw" else "pcm_alaw"
        return _encode_with_pyav(path, array, sample_rate_hz, codec, "wav")
    raise ValueError(f"unknown WAV encoding {encoding!r}: choose one of {WAV_ENCODINGS}")


def _encode_with_pyav(
    path: Path,
    array: FloatArray,
    sample_rate_hz: int,
    codec: str,
    container_format: str,
    bit_rate: int | None = None,
) -> Path:
    import av

    layout = {1: "mono", 2: "stereo"}[array.shape[0]]
    with av.open(str(path), mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=sample_rate_hz, layout=layout)
        if not isinstance(stream, av.audio.stream.AudioStream):
            raise TypeError(f"{codec} is not an audio encoder")
        if bit_rate is not None:
            stream.bit_rate = bit_rate
        block = 4096
        for start in range(0, array.shape[1], block):
            chunk = np.ascontiguousarray(array[:, start : start + block])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
            frame.sample_rate = sample_rate_hz
            # Explicit timestamps let the encoder shift packets by its priming delay, so
            # the muxer writes the edit list / pre-skip that makes decoders drop it.
            frame.pts = start
            frame.time_base = Fraction(1, sample_rate_hz)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def write_audio(
    path: str | os.PathLike[str],
    samples: npt.ArrayLike,
    sample_rate_hz: int,
    *,
    bit_rate: int | None = None,
) -> Path:
    """Write audio in the format named by the suffix of ``path``.

    ``.wav`` is PCM16; ``.flac``, ``.mp3``, ``.opus`` and ``.m4a`` (AAC) are encoded by
    FFmpeg through PyAV; ``.ogg`` (Vorbis) by SoX. Opus only takes 8/12/16/24/48 kHz.
    """
    path = Path(path)
    array = _as_channels(samples)
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "wav":
        return write_wav(path, array, sample_rate_hz)
    if suffix == "flac":
        return _encode_with_pyav(path, array, sample_rate_hz, "flac", "flac")
    if suffix == "mp3":
        return _encode_with_pyav(path, array, sample_rate_hz, "libmp3lame", "mp3", bit_rate)
    if suffix == "opus":
        return _encode_with_pyav(path, array, sample_rate_hz, "libopus", "opus", bit_rate)
    if suffix == "m4a":
        return _encode_with_pyav(path, array, sample_rate_hz, "aac", "ipod", bit_rate)
    if suffix == "ogg":
        sox = shutil.which("sox")
        if sox is None:
            raise RuntimeError("sox is needed to write Ogg Vorbis")
        with tempfile.TemporaryDirectory(prefix="langassist-ogg-") as folder:
            source = write_wav(Path(folder) / "source.wav", array, sample_rate_hz)
            subprocess.run([sox, "-q", str(source), str(path)], check=True, capture_output=True)
        return path
    raise ValueError(f"cannot write {path.name}: use one of .wav and {COMPRESSED_FORMATS}")


def write_silent_wav(
    path: str | os.PathLike[str],
    duration_s: float,
    sample_rate_hz: int = 8000,
    *,
    chunk_bytes: int = 1 << 20,
) -> Path:
    """A long PCM16 mono WAV of zeros, written in chunks (hours take seconds, little RAM)."""
    path = Path(path)
    data_bytes = round(duration_s * sample_rate_hz) * 2
    zeros = bytes(chunk_bytes)
    with path.open("wb") as handle:
        handle.write(wav_header(sample_rate_hz=sample_rate_hz, channels=1, data_bytes=data_bytes))
        remaining = data_bytes
        while remaining > 0:
            step = min(remaining, chunk_bytes)
            handle.write(zeros[:step])
            remaining -= step
    return path


# --------------------------------------------------------------------------- corrupters


def truncate_copy(
    source: str | os.PathLike[str], destination: str | os.PathLike[str], keep_fraction: float
) -> Path:
    """Copy the first ``keep_fraction`` of the bytes of ``source``, as an interrupted upload."""
    data = Path(source).read_bytes()
    destination = Path(destination)
    destination.write_bytes(data[: int(len(data) * keep_fraction)])
    return destination


def overwrite_copy(
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    *,
    at_fraction: float,
    n_bytes: int,
    seed: int = 0,
) -> Path:
    """Copy ``source`` with ``n_bytes`` random bytes written over it at ``at_fraction``."""
    data = bytearray(Path(source).read_bytes())
    start = int(len(data) * at_fraction)
    rng = np.random.default_rng(seed)
    junk = rng.integers(0, 256, size=min(n_bytes, len(data) - start), dtype=np.uint8)
    data[start : start + len(junk)] = junk.tobytes()
    destination = Path(destination)
    destination.write_bytes(bytes(data))
    return destination


def random_bytes_file(path: str | os.PathLike[str], n_bytes: int, *, seed: int = 0) -> Path:
    """A file of uniformly random bytes."""
    rng = np.random.default_rng(seed)
    path = Path(path)
    path.write_bytes(rng.integers(0, 256, size=n_bytes, dtype=np.uint8).tobytes())
    return path


def dominant_frequency_hz(samples: npt.ArrayLike, sample_rate_hz: int) -> float:
    """Frequency of the largest FFT peak (Hann window, parabolic interpolation)."""
    array = np.asarray(samples, dtype=np.float64)
    spectrum = np.abs(np.fft.rfft(array * np.hanning(array.size)))
    peak = int(np.argmax(spectrum[1:])) + 1
    if 0 < peak < spectrum.size - 1:
        left, centre, right = np.log(spectrum[peak - 1 : peak + 2] + 1e-12)
        offset = 0.5 * (left - right) / (left - 2 * centre + right)
    else:
        offset = 0.0
    return float((peak + offset) * sample_rate_hz / array.size)
