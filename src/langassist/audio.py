"""Audio input: probe, decode and resample recordings into 16 kHz float32 tracks.

Three entry points, all driven by :class:`~langassist.config.AudioSettings`:

- :func:`probe` classifies a file *before* any model sees it, as one of
  ``ok | truncated | corrupt | empty | unsupported | too_long`` (:data:`AUDIO_STATUSES`).
  :func:`check` does the same and raises :class:`~langassist.errors.AudioFormatError`
  unless the file is ``ok``.
- :func:`decode` returns a :class:`DecodedAudio` whose channels stay separate tracks: a
  stereo call gives one array per party, named by ``AudioSettings.channel_tracks``
  (``agent``, ``customer``); a mono file gives one track named ``mixed``. Nothing is
  down-mixed.
- :func:`iter_windows` yields the same tracks in fixed windows, so a long file never needs
  its whole float array in memory.

:func:`resample` converts an array between rates with FFmpeg's anti-aliased resampler
(libswresample, through PyAV), the same one used while decoding.

Why a probe: FFmpeg, and faster-whisper's ``decode_audio`` on top of it, return whatever
they can decode *without error* from a truncated or damaged file (a WAV cut at 50 % gives
half its audio; an MP3 with damaged bytes mid-file silently stops early). The probe
compares what decodes with what the container declares and looks for decode errors and
timestamp gaps. What each status means:

- ``too_long``: the file size, or the size or duration its header declares, is above
  ``max_file_bytes`` / ``max_duration_s``. Decided from the header before any decoding,
  within milliseconds; a stream that decodes past the limit anyway is stopped there.
- ``unsupported``: the first bytes match no audio container this module knows (WAV/RF64,
  FLAC, Ogg, MP3/MPEG audio, ADTS AAC, MP4/M4A/MOV, Matroska/WebM, AIFF, AU, CAF, AMR,
  WavPack, APE, ASF/WMA), whatever the file name says; or the container holds no audio
  stream, or FFmpeg has no decoder for its codec. **Random bytes are therefore
  ``unsupported``**: they carry no known signature. A file that carries one is judged on
  its content.
- ``empty``: zero bytes; or the file opens and decodes to zero samples without error (a
  header-only WAV, even one whose header declares a duration).
- ``corrupt``: a known container that FFmpeg cannot open and that shows no sign of being
  cut short; a malformed WAV header; or decoding that fails mid-stream: a decode error
  followed by good audio, or timestamps that jump ahead (audio lost inside the file).
- ``truncated``: the audio ends early. Either the decoded duration is below
  ``truncation_tolerance`` x the declared duration (WAV data-chunk size, FLAC STREAMINFO,
  MP3 Xing/Info header, MP4 ``moov`` ...) and short of it by more than 50 ms (encoder
  delay FFmpeg leaves untrimmed, which matters only for clips of a few seconds); or the
  structure shows a cut: a WAV data chunk longer than the bytes that follow, an Ogg stream
  whose last page is incomplete or lacks the end-of-stream flag, an MP4 box that runs past
  the end of the file, a file that ends while FFmpeg still reads its headers.
- ``ok`` otherwise.

When several apply, the first one found wins, in this order: size limits, signature,
header structure and declared limits, opening, then decoding (too long, empty, corrupt,
truncated).

Known limits: an MP3 without a Xing/VBRI header that is cut exactly on a frame boundary
cannot be told from a shorter file (FFmpeg estimates its duration from the bytes present);
damage inside a PCM WAV is just different samples and cannot be detected.

PCM WAV files (PCM, float, mu-law, A-law) are probed from their header and byte count,
which is exact for these codecs, so a two-hour file is classified without decoding it.
"""

from __future__ import annotations

import io
import logging
import math
import os
import struct
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal, NoReturn

import numpy as np
import numpy.typing as npt

from langassist.config import AudioSettings
from langassist.errors import AudioFormatError

if TYPE_CHECKING:
    import av.audio.frame
    import av.audio.stream
    import av.container

__all__ = [
    "AUDIO_STATUSES",
    "MIXED_TRACK",
    "AudioSource",
    "AudioStatus",
    "AudioWindow",
    "DecodedAudio",
    "ProbeResult",
    "check",
    "decode",
    "iter_windows",
    "probe",
    "StreamResampler",
    "resample",
    "track_names",
]

logger = logging.getLogger(__name__)

AudioStatus = Literal["ok", "truncated", "corrupt", "empty", "unsupported", "too_long"]
AUDIO_STATUSES: tuple[AudioStatus, ...] = (
    "ok", "truncated", "corrupt", "empty", "unsupported", "too_long",
)
MIXED_TRACK = "mixed"
"""Track name of a mono recording (both parties on one channel)."""

AudioSource = str | os.PathLike[str] | bytes | bytearray | memoryview
"""A file path, or the bytes of a whole file."""

FloatArray = npt.NDArray[np.float32]

_TARGET_RATE_HZ = 16000
_HEAD_BYTES = 64 * 1024
# Timestamps ahead of the decoded sample count by more than this, for several frames in
# a row, mean audio was lost inside the stream (FLAC/Vorbis resync after damage).
_GAP_TOLERANCE_S = 0.02
_GAP_PERSIST_FRAMES = 8
_MAX_DEMUX_RESTARTS = 32
# Lossy codecs prime and pad; FFmpeg does not trim Vorbis exactly (a 1 s file decodes to
# 0.984 s). A shortfall this small is encoder delay, not a cut.
_CODEC_DELAY_SLACK_S = 0.05
# WAV writers that stream to a pipe leave these in the size fields.
_WAV_SIZE_PLACEHOLDERS = frozenset({0, 0xFFFFFFFF, 0x7FFFF000, 0x7FFFFFFF})
_WAV_PCM_TAGS = {1: "pcm", 3: "float", 6: "alaw", 7: "mulaw"}
_WAVE_FORMAT_EXTENSIBLE = 0xFFFE


# --------------------------------------------------------------------------- results


class _Tracks(Mapping[str, FloatArray]):
    """Read-only, ordered, picklable mapping of track name to samples."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, FloatArray]) -> None:
        self._data = data

    def __getitem__(self, name: str) -> FloatArray:
        return self._data[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{name!r}: {len(track)} samples" for name, track in self._data.items())
        return f"{{{shapes}}}"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What :func:`probe` found out about a file.

    Attributes:
        status: one of :data:`AUDIO_STATUSES`.
        reason: one line naming the problem (or summarizing the file when ``ok``).
        declared_duration_s: duration the container declares; ``None`` when it declares
            none or was not read.
        decoded_duration_s: duration of the audio that actually decodes; ``None`` when
            decoding was not attempted (unsupported, too long, unopenable).
        sample_rate_hz: the file's own sample rate.
        channels: number of channels in the file.
        codec: codec name (``pcm_s16le``, ``mp3``, ``flac``, ``opus`` ...).
        container: container kind sniffed from the bytes (``wav``, ``mp3``, ``ogg`` ...).
        size_bytes: size of the input in bytes.
        path: the file probed, when the input was a path.
    """

    status: AudioStatus
    reason: str
    declared_duration_s: float | None = None
    decoded_duration_s: float | None = None
    sample_rate_hz: int | None = None
    channels: int | None = None
    codec: str | None = None
    container: str | None = None
    size_bytes: int = 0
    path: str | None = None

    @property
    def ok(self) -> bool:
        """True when the file can be used as it is."""
        return self.status == "ok"


@dataclass(frozen=True, slots=True, eq=False)
class DecodedAudio:
    """A decoded recording: one float32 array per channel, at 16 kHz.

    Attributes:
        tracks: track name to samples, in channel order (read-only arrays). A mono file
            has one track, ``mixed``; a stereo file has ``channel_tracks`` names.
        sample_rate_hz: rate of the arrays (always 16000, Whisper's input rate).
        source_sample_rate_hz: the file's own rate.
        channels: number of channels in the file (= number of tracks).
        duration_s: decoded duration.
        declared_duration_s: what the container declared, ``None`` if nothing.
        codec: codec name.
        container: container kind.
        status: ``ok``, or with ``strict=False`` the problem found while decoding.
        reason: one line about the status.
    """

    tracks: Mapping[str, FloatArray]
    sample_rate_hz: int
    source_sample_rate_hz: int
    channels: int
    duration_s: float
    declared_duration_s: float | None
    codec: str
    container: str
    status: AudioStatus = "ok"
    reason: str = ""

    @property
    def track_names(self) -> tuple[str, ...]:
        """Names of the tracks, in channel order."""
        return tuple(self.tracks)


@dataclass(frozen=True, slots=True, eq=False)
class AudioWindow:
    """A slice of every track, from :func:`iter_windows`.

    Attributes:
        start_s: time of the first sample, from the start of the recording.
        tracks: track name to 16 kHz float32 samples (all of equal length).
        sample_rate_hz: always 16000.
    """

    start_s: float
    tracks: Mapping[str, FloatArray]
    sample_rate_hz: int = _TARGET_RATE_HZ

    @property
    def duration_s(self) -> float:
        """Length of the window in seconds."""
        first = next(iter(self.tracks.values()))
        return len(first) / self.sample_rate_hz


def track_names(channels: int, settings: AudioSettings | None = None) -> tuple[str, ...]:
    """Track names for a recording with ``channels`` channels.

    One channel is ``("mixed",)``. Otherwise channel *i* takes ``channel_tracks[i]``, and
    channels beyond the configured names are ``channel_3``, ``channel_4`` ...
    """
    if channels < 1:
        raise ValueError(f"channels must be at least 1, got {channels}")
    if channels == 1:
        return (MIXED_TRACK,)
    configured = (settings or AudioSettings()).channel_tracks
    return tuple(
        configured[index] if index < len(configured) else f"channel_{index + 1}"
        for index in range(channels)
    )


# --------------------------------------------------------------------------- resampling


def resample(samples: npt.ArrayLike, from_hz: int, to_hz: int = _TARGET_RATE_HZ) -> FloatArray:
    """Resample a mono signal (or each row of a 2-D ``(channels, n)`` array).

    Uses FFmpeg's libswresample (windowed-sinc polyphase filter, anti-aliased) through
    PyAV and flushes it, so ``len(out) == round(len(samples) * to_hz / from_hz)`` within
    one sample. Returns float32; a copy even when the rates are equal.

    Raises:
        ValueError: a rate is not positive or the array has more than two dimensions.
    """
    array = np.asarray(samples, dtype=np.float32)
    if from_hz <= 0 or to_hz <= 0:
        raise ValueError(f"sample rates must be positive, got {from_hz} -> {to_hz}")
    if array.ndim == 2:
        rows = [resample(row, from_hz, to_hz) for row in array]
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack(rows)
    if array.ndim != 1:
        raise ValueError(f"resample takes (n,) or (channels, n) arrays, got shape {array.shape}")
    if from_hz == to_hz or array.size == 0:
        return array.copy()

    import av

    resampler = av.AudioResampler(format="fltp", layout="mono", rate=to_hz)
    pieces: list[FloatArray] = []
    block = 1 << 20
    for start in range(0, array.size, block):
        chunk = np.ascontiguousarray(array[np.newaxis, start : start + block])
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
        frame.sample_rate = from_hz
        for out in resampler.resample(frame):
            pieces.append(out.to_ndarray()[0].astype(np.float32, copy=False))
    for out in resampler.resample(None):
        pieces.append(out.to_ndarray()[0].astype(np.float32, copy=False))
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)


class StreamResampler:
    """Resample one live stream block by block with the filter state kept between blocks.

    :func:`resample` flushes its filter on every call, which is right for a whole signal
    but not for 20 ms telephone frames: every block edge then carries a transient, a
    50 Hz buzz that Whisper hears (tiny.en streaming on 8 kHz frames resampled one by one
    turned "Please restart the router" into "Clean risk tires from around"). This keeps
    one libswresample context per stream; the output lags by the filter delay (a few
    milliseconds), and :meth:`flush` returns the rest at the end of the stream.
    """

    def __init__(self, from_hz: int, to_hz: int = _TARGET_RATE_HZ) -> None:
        if from_hz <= 0 or to_hz <= 0:
            raise ValueError(f"sample rates must be positive, got {from_hz} -> {to_hz}")
        import av

        self.from_hz, self.to_hz = from_hz, to_hz
        self._resampler = av.AudioResampler(format="fltp", layout="mono", rate=to_hz)

    def _run(self, frame: av.audio.frame.AudioFrame | None) -> FloatArray:
        pieces = [out.to_ndarray()[0].astype(np.float32, copy=False) for out in self._resampler.resample(frame)]
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)

    def feed(self, samples: npt.ArrayLike) -> FloatArray:
        """Resample the next block (mono float32); may return a few samples fewer or more."""
        import av

        array = np.ascontiguousarray(np.asarray(samples, dtype=np.float32).reshape(1, -1))
        if array.size == 0:
            return np.zeros(0, dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(array, format="fltp", layout="mono")
        frame.sample_rate = self.from_hz
        return self._run(frame)

    def flush(self) -> FloatArray:
        """The samples still inside the filter (call once, at the end of the stream)."""
        return self._run(None)


# --------------------------------------------------------------------------- sniffing

_MPEG_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_MPEG_BITRATES_KBPS = {
    (1, 3): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 1): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 3): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (2, 1): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}


def _mpeg_frame(head: bytes, offset: int) -> tuple[int, tuple[int, int, int]] | None:
    """Length and (version, layer, rate) of an MPEG audio or ADTS frame at ``offset``."""
    if offset + 7 > len(head):
        return None
    b0, b1, b2, b3 = head[offset : offset + 4]
    if b0 != 0xFF or (b1 & 0xE0) != 0xE0:
        return None
    version = (b1 >> 3) & 3
    layer = (b1 >> 1) & 3
    if (b1 & 0xF6) == 0xF0:  # ADTS (AAC): 12-bit sync, layer 00
        rate_index = (b2 >> 2) & 0x0F
        length = ((b3 & 0x03) << 11) | (head[offset + 4] << 3) | (head[offset + 5] >> 5)
        if rate_index > 12 or length < 7:
            return None
        return length, (-1, 0, rate_index)
    bitrate_index = b2 >> 4
    rate_index = (b2 >> 2) & 3
    if version == 1 or layer == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    rate = _MPEG_SAMPLE_RATES[version][rate_index]
    layer_number = 4 - layer  # 1, 2 or 3
    family = 1 if version == 3 else 2
    bitrate = _MPEG_BITRATES_KBPS[(family, layer)][bitrate_index] * 1000
    padding = (b2 >> 1) & 1
    if layer_number == 1:
        length = (12 * bitrate // rate + padding) * 4
    elif layer_number == 3 and family == 2:
        length = 72 * bitrate // rate + padding
    else:
        length = 144 * bitrate // rate + padding
    return length, (version, layer, rate_index)


def _mpeg_audio_kind(head: bytes, size: int) -> str | None:
    """``mp3`` or ``aac`` when three consecutive MPEG/ADTS frame headers chain together.

    The chain may start anywhere in the first 4 KiB (some files carry junk or padding
    before the first frame); three linked headers make a false match on random bytes
    vanishingly unlikely.
    """
    for start in range(min(len(head), 4096)):
        if head[start] != 0xFF:
            continue
        offset = start
        signature: tuple[int, int, int] | None = None
        chained = 0
        while chained < 3:
            found = _mpeg_frame(head, offset)
            if found is None or (signature is not None and found[1] != signature):
                break
            length, signature = found
            chained += 1
            offset += length
            if offset >= size:  # the file ends right after a whole frame
                chained = 3
        if chained >= 3 and signature is not None:
            return "aac" if signature[0] == -1 else "mp3"
    return None


def _sniff(head: bytes, size: int) -> str | None:
    """Container kind from the leading bytes, or ``None`` when none matches."""
    if len(head) >= 12 and head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"ID3"):
        return "mp3"
    if len(head) >= 8 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"):
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    if len(head) >= 12 and head.startswith(b"FORM") and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head.startswith(b".snd"):
        return "au"
    if head.startswith(b"caff"):
        return "caf"
    if head.startswith(b"#!AMR"):
        return "amr"
    if head.startswith(b"wvpk"):
        return "wavpack"
    if head.startswith(b"MAC "):
        return "ape"
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return "asf"
    return _mpeg_audio_kind(head, size)


# --------------------------------------------------------------------------- structure


@dataclass(frozen=True, slots=True)
class _WavInfo:
    format_tag: int
    channels: int
    sample_rate_hz: int
    block_align: int
    data_offset: int
    declared_data_bytes: int | None  # None: a streaming placeholder, length unknown
    available_data_bytes: int

    @property
    def is_pcm(self) -> bool:
        return self.format_tag in _WAV_PCM_TAGS

    @property
    def declared_duration_s(self) -> float | None:
        if self.declared_data_bytes is None:
            return None
        return self.declared_data_bytes / self.block_align / self.sample_rate_hz

    @property
    def available_duration_s(self) -> float:
        return (self.available_data_bytes // self.block_align) / self.sample_rate_hz


class _Structure(ValueError):
    """A container whose structure is malformed (message names the problem)."""


def _read_at(handle: BinaryIO, offset: int, n_bytes: int) -> bytes:
    handle.seek(offset)
    return handle.read(n_bytes)


def _parse_wav(handle: BinaryIO, size: int) -> _WavInfo:
    """Walk the RIFF/RF64 chunks up to ``data``; raise :class:`_Structure` if malformed."""
    header = _read_at(handle, 0, 12)
    if len(header) < 12:
        raise _Structure("WAV header is cut short")
    rf64_data_bytes: int | None = None
    offset = 12
    fmt: tuple[int, int, int, int] | None = None
    for _ in range(4096):
        chunk_header = _read_at(handle, offset, 8)
        if len(chunk_header) < 8:
            break
        chunk_id = chunk_header[:4]
        (chunk_size,) = struct.unpack("<I", chunk_header[4:])
        body_offset = offset + 8
        if chunk_id == b"ds64":
            body = _read_at(handle, body_offset, 24)
            if len(body) >= 16:
                rf64_data_bytes = struct.unpack("<Q", body[8:16])[0]
        elif chunk_id == b"fmt ":
            body = _read_at(handle, body_offset, min(chunk_size, 40))
            if len(body) < 16:
                raise _Structure("WAV fmt chunk is shorter than 16 bytes")
            tag, channels, rate, _bytes_per_s, block_align, _bits = struct.unpack(
                "<HHIIHH", body[:16]
            )
            if tag == _WAVE_FORMAT_EXTENSIBLE and len(body) >= 26:
                (tag,) = struct.unpack("<H", body[24:26])
            if channels == 0 or rate == 0 or block_align == 0:
                raise _Structure(
                    f"WAV fmt chunk declares {channels} channels at {rate} Hz with "
                    f"block size {block_align}"
                )
            fmt = (tag, channels, rate, block_align)
        elif chunk_id == b"data":
            if fmt is None:
                raise _Structure("WAV data chunk comes before any fmt chunk")
            tag, channels, rate, block_align = fmt
            available = max(0, size - body_offset)
            declared: int | None = chunk_size
            if header[:4] in (b"RF64", b"BW64") and chunk_size == 0xFFFFFFFF:
                declared = rf64_data_bytes
            elif chunk_size in _WAV_SIZE_PLACEHOLDERS and not (chunk_size == 0 and available == 0):
                declared = None
            return _WavInfo(
                format_tag=tag,
                channels=channels,
                sample_rate_hz=rate,
                block_align=block_align,
                data_offset=body_offset,
                declared_data_bytes=declared,
                available_data_bytes=available if declared is None else min(available, declared),
            )
        offset = body_offset + chunk_size + (chunk_size & 1)
        if offset >= size:
            break
    if fmt is None:
        raise _Structure("WAV file has no fmt chunk")
    raise _Structure("WAV file has no data chunk")


def _ogg_cut(handle: BinaryIO, size: int) -> str | None:
    """Why an Ogg file looks cut short (last page incomplete or not end-of-stream)."""
    tail_start = max(0, size - 65536 - 27 - 255)
    tail = _read_at(handle, tail_start, size - tail_start)
    position = len(tail)
    while True:
        position = tail.rfind(b"OggS", 0, position)
        if position < 0:
            return "the Ogg stream ends inside a page"
        if position + 27 <= len(tail):
            n_segments = tail[position + 26]
            table_end = position + 27 + n_segments
            if table_end <= len(tail):
                page_end = table_end + sum(tail[position + 27 : table_end])
                if page_end == len(tail):
                    if tail[position + 5] & 0x04:
                        return None
                    return "the Ogg stream has no end-of-stream page"
        if position == 0:
            return "the Ogg stream ends inside a page"


def _mp4_cut(handle: BinaryIO, size: int) -> str | None:
    """Why an MP4/M4A file looks cut short (a top-level box runs past the end)."""
    offset = 0
    for _ in range(10000):
        if offset >= size:
            return None
        header = _read_at(handle, offset, 16)
        if len(header) < 8:
            return "the MP4 file ends inside a box header"
        (box_size,) = struct.unpack(">I", header[:4])
        box_type = header[4:8].decode("latin-1")
        if box_size == 1:
            if len(header) < 16:
                return "the MP4 file ends inside a box header"
            (box_size,) = struct.unpack(">Q", header[8:16])
        elif box_size == 0:
            return None  # runs to the end of the file by definition
        if box_size < 8:
            return None  # malformed, not a cut: left to FFmpeg
        if offset + box_size > size:
            return (
                f"MP4 box {box_type!r} declares {box_size} bytes but the file ends after "
                f"{size - offset}"
            )
        offset += box_size
    return None


# --------------------------------------------------------------------------- opening


@dataclass
class _Opened:
    """An input that passed the header checks, with its container open."""

    container: av.container.InputContainer
    stream: av.audio.stream.AudioStream
    kind: str
    size_bytes: int
    path: str | None
    codec: str
    sample_rate_hz: int
    channels: int
    declared_duration_s: float | None
    wav: _WavInfo | None
    cut_reason: str | None
    handle: BinaryIO | None = None

    def close(self) -> None:
        self.container.close()
        if self.handle is not None:
            self.handle.close()


@dataclass
class _Integrity:
    """Evidence gathered while decoding."""

    sample_rate_hz: int
    samples: int = 0
    errors: int = 0
    first_error_s: float | None = None
    frames_after_error: int = 0
    pts_offset_s: float | None = None
    max_gap_s: float = 0.0
    too_long: bool = False
    recent_gaps: deque[float] = field(default_factory=lambda: deque(maxlen=_GAP_PERSIST_FRAMES))

    def error(self) -> None:
        self.errors += 1
        if self.first_error_s is None:
            self.first_error_s = self.samples / self.sample_rate_hz

    def frame(self, pts_s: float | None, n_samples: int) -> None:
        if self.errors:
            self.frames_after_error += 1
        if pts_s is not None:
            position_s = self.samples / self.sample_rate_hz
            if self.pts_offset_s is None:
                self.pts_offset_s = pts_s - position_s
            self.recent_gaps.append(pts_s - self.pts_offset_s - position_s)
            if len(self.recent_gaps) == self.recent_gaps.maxlen:
                self.max_gap_s = max(self.max_gap_s, min(self.recent_gaps))
        self.samples += n_samples

    @property
    def duration_s(self) -> float:
        return self.samples / self.sample_rate_hz


def _describe(source: AudioSource) -> tuple[str | None, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        return None, "input"
    path = os.fspath(source)
    return path, Path(path).name


def _result(
    status: AudioStatus,
    reason: str,
    *,
    size: int,
    path: str | None,
    kind: str | None = None,
    opened: _Opened | None = None,
    declared: float | None = None,
    decoded: float | None = None,
) -> ProbeResult:
    if opened is not None:
        return ProbeResult(
            status=status,
            reason=reason,
            declared_duration_s=opened.declared_duration_s,
            decoded_duration_s=decoded,
            sample_rate_hz=opened.sample_rate_hz,
            channels=opened.channels,
            codec=opened.codec,
            container=opened.kind,
            size_bytes=size,
            path=path,
        )
    return ProbeResult(
        status=status, reason=reason, declared_duration_s=declared, decoded_duration_s=decoded,
        container=kind, size_bytes=size, path=path,
    )


def _limit_text(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.2f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.1f} s"


def _open(source: AudioSource, settings: AudioSettings) -> _Opened | ProbeResult:
    """Header checks and ``av.open``; a :class:`ProbeResult` when the input fails them."""
    path, name = _describe(source)
    handle: BinaryIO
    if isinstance(source, bytes | bytearray | memoryview):
        handle = io.BytesIO(bytes(source))
        size = len(handle.getbuffer())
    else:
        handle = open(os.fspath(source), "rb")  # noqa: SIM115 - closed by _Opened.close or below
        size = os.fstat(handle.fileno()).st_size
    keep_handle = False
    try:
        if size == 0:
            return _result("empty", f"{name} is empty (0 bytes)", size=size, path=path)
        if size > settings.max_file_bytes:
            return _result(
                "too_long",
                f"{name} is {size / 1024**2:.1f} MiB, over the "
                f"{settings.max_file_bytes / 1024**2:.0f} MiB limit (audio.max_file_bytes)",
                size=size, path=path,
            )
        head = _read_at(handle, 0, _HEAD_BYTES)
        kind = _sniff(head, size)
        if kind is None:
            return _result(
                "unsupported",
                f"{name} is not a recognised audio file (no WAV, FLAC, Ogg, MP3, MP4/M4A, "
                "WebM or other audio signature in its first bytes)",
                size=size, path=path,
            )
        wav: _WavInfo | None = None
        cut_reason: str | None = None
        declared: float | None = None
        if kind == "wav":
            try:
                wav = _parse_wav(handle, size)
            except _Structure as exc:
                return _result("corrupt", f"{name}: {exc}", size=size, path=path, kind=kind)
            declared = wav.declared_duration_s
            declared_bytes = wav.declared_data_bytes
            if declared_bytes is not None and declared_bytes > settings.max_file_bytes:
                return _result(
                    "too_long",
                    f"{name} declares {declared_bytes / 1024**2:.1f} MiB of audio, over the "
                    f"{settings.max_file_bytes / 1024**2:.0f} MiB limit (audio.max_file_bytes)",
                    size=size, path=path, kind=kind, declared=declared,
                )
            longest = declared if declared is not None else wav.available_duration_s
            if longest > settings.max_duration_s:
                return _result(
                    "too_long",
                    f"{name} declares {_limit_text(longest)} of audio, over the "
                    f"{_limit_text(settings.max_duration_s)} limit (audio.max_duration_s)",
                    size=size, path=path, kind=kind, declared=declared,
                )
            if (
                declared_bytes is not None
                and wav.available_data_bytes < settings.truncation_tolerance * declared_bytes
            ):
                cut_reason = (
                    f"the WAV data chunk declares {wav.declared_data_bytes} bytes but only "
                    f"{wav.available_data_bytes} follow"
                )
        elif kind == "ogg":
            cut_reason = _ogg_cut(handle, size)
        elif kind == "mp4":
            cut_reason = _mp4_cut(handle, size)

        import av

        target: str | BinaryIO = path if path is not None else handle
        if path is None:
            handle.seek(0)
        try:
            container = av.open(target, mode="r", metadata_errors="ignore")
        except (av.error.FFmpegError, ValueError) as exc:
            if cut_reason is None and isinstance(exc, av.error.EOFError):
                cut_reason = f"the file ends before its {kind} headers are complete"
            if cut_reason is not None:
                return _result("truncated", f"{name} is cut short: {cut_reason}",
                               size=size, path=path, kind=kind, declared=declared)
            return _result("corrupt", f"{name} looks like {kind} but cannot be opened: "
                           f"{_ffmpeg_message(exc)}", size=size, path=path, kind=kind)
        try:
            def refuse(status: AudioStatus, message: str) -> ProbeResult:
                container.close()
                if cut_reason is not None:  # e.g. an M4A cut inside its moov box
                    return _result("truncated", f"{name} is cut short: {cut_reason}",
                                   size=size, path=path, kind=kind, declared=declared)
                return _result(status, message, size=size, path=path, kind=kind)

            if not container.streams.audio:
                return refuse("unsupported", f"{name} ({kind}) holds no audio stream")
            stream = container.streams.audio[0]
            context = stream.codec_context
            if context is None or context.codec is None:
                detail = f" (WAV format tag 0x{wav.format_tag:04X})" if wav is not None else ""
                return refuse("unsupported",
                              f"{name} ({kind}): no decoder for its audio codec{detail}")
            rate = int(context.sample_rate or 0)
            channels = int(context.channels or 0)
            if rate <= 0 or channels <= 0:
                return refuse("corrupt", f"{name}: its audio stream declares {channels} "
                              f"channels at {rate} Hz")
            codec = context.codec.canonical_name
            if kind != "wav":
                declared = _declared_duration(container, stream)
                if declared is not None and declared > settings.max_duration_s:
                    container.close()
                    return _result(
                        "too_long",
                        f"{name} declares {_limit_text(declared)} of audio, over the "
                        f"{_limit_text(settings.max_duration_s)} limit (audio.max_duration_s)",
                        size=size, path=path, kind=kind, declared=declared,
                    )
        except BaseException:
            container.close()
            raise
        keep_handle = path is None
        return _Opened(
            container=container, stream=stream, kind=kind, size_bytes=size, path=path,
            codec=codec, sample_rate_hz=rate, channels=channels, declared_duration_s=declared,
            wav=wav, cut_reason=cut_reason, handle=handle if keep_handle else None,
        )
    finally:
        if not keep_handle:
            handle.close()


def _ffmpeg_message(exc: BaseException) -> str:
    strerror = getattr(exc, "strerror", None)
    return str(strerror) if strerror else type(exc).__name__


def _declared_duration(
    container: av.container.InputContainer, stream: av.audio.stream.AudioStream
) -> float | None:
    if stream.duration is not None and stream.duration > 0 and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None and container.duration > 0:
        return container.duration / 1_000_000  # AV_TIME_BASE
    return None


# --------------------------------------------------------------------------- decoding


def _frames(opened: _Opened, integrity: _Integrity, max_samples: int) -> Iterator[av.AudioFrame]:
    """Decoded frames of the audio stream, recording errors and gaps in ``integrity``.

    A packet that fails to decode is skipped (as FFmpeg's tools do) and counted; if the
    demuxer itself fails, demuxing restarts from where it stopped, a bounded number of times.
    """
    import av

    stream = opened.stream
    seconds_per_tick = float(stream.time_base) if stream.time_base is not None else None
    restarts = 0
    finished = False
    while not finished:
        try:
            for packet in opened.container.demux(stream):
                try:
                    frames = packet.decode()
                except (av.error.FFmpegError, ValueError):
                    integrity.error()
                    continue
                for frame in frames:
                    pts_s = (
                        frame.pts * seconds_per_tick
                        if frame.pts is not None and seconds_per_tick is not None
                        else None
                    )
                    integrity.frame(pts_s, frame.samples)
                    yield frame
                    if integrity.samples > max_samples:
                        integrity.too_long = True
                        return
            finished = True
        except av.error.EOFError:
            finished = True
        except (av.error.FFmpegError, ValueError):
            integrity.error()
            restarts += 1
            if restarts > _MAX_DEMUX_RESTARTS:
                finished = True


def _classify(opened: _Opened, integrity: _Integrity, settings: AudioSettings, name: str
              ) -> tuple[AudioStatus, str]:
    decoded = integrity.duration_s
    declared = opened.declared_duration_s
    if integrity.too_long:
        return "too_long", (
            f"{name} decodes past the {_limit_text(settings.max_duration_s)} limit "
            "(audio.max_duration_s)"
        )
    if integrity.samples == 0:
        if integrity.errors:
            return "corrupt", f"{name} ({opened.kind}/{opened.codec}): no frame decodes"
        declared_text = f" though its header declares {declared:.2f} s" if declared else ""
        return "empty", (
            f"{name} ({opened.kind}/{opened.codec}) holds no audio samples{declared_text}"
        )
    if integrity.errors and integrity.frames_after_error > 0:
        return "corrupt", (
            f"{name} ({opened.kind}/{opened.codec}) has {integrity.errors} undecodable "
            f"packet(s), the first at {integrity.first_error_s:.2f} s"
        )
    if integrity.max_gap_s > _GAP_TOLERANCE_S:
        return "corrupt", (
            f"{name} ({opened.kind}/{opened.codec}) loses {integrity.max_gap_s:.2f} s of audio "
            "inside the stream (timestamps jump ahead)"
        )
    if opened.cut_reason is not None:
        return "truncated", f"{name} is cut short: {opened.cut_reason} ({decoded:.2f} s decode)"
    if (
        declared is not None
        and decoded < settings.truncation_tolerance * declared
        and declared - decoded > _CODEC_DELAY_SLACK_S
    ):
        return "truncated", (
            f"{name} is cut short: {decoded:.2f} s of the {declared:.2f} s its header "
            f"declares decode ({100 * decoded / declared:.1f} %)"
        )
    return "ok", (
        f"{name}: {opened.kind}/{opened.codec}, {opened.sample_rate_hz} Hz, "
        f"{opened.channels} channel(s), {decoded:.2f} s"
    )


def _max_samples(settings: AudioSettings, rate_hz: int) -> int:
    return math.ceil(settings.max_duration_s * rate_hz)


def probe(source: AudioSource, settings: AudioSettings | None = None) -> ProbeResult:
    """Classify an audio file without transcribing it.

    Args:
        source: a path, or the bytes of a whole file.
        settings: limits and tolerance; defaults to ``AudioSettings()``.

    Returns:
        A :class:`ProbeResult`; ``status`` is one of :data:`AUDIO_STATUSES` (the rules
        are in this module's docstring). Never raises for bad audio.

    Raises:
        OSError: the path cannot be read (missing, a directory, no permission).
    """
    settings = settings or AudioSettings()
    path, name = _describe(source)
    opened = _open(source, settings)
    if isinstance(opened, ProbeResult):
        return opened
    try:
        wav = opened.wav
        if wav is not None and wav.is_pcm and opened.codec.startswith("pcm_"):
            # Exact for uncompressed codecs: one block per sample frame, nothing to decode.
            decoded = wav.available_duration_s
            integrity = _Integrity(sample_rate_hz=wav.sample_rate_hz)
            integrity.samples = wav.available_data_bytes // wav.block_align
        else:
            integrity = _Integrity(sample_rate_hz=opened.sample_rate_hz)
            for _frame in _frames(opened, integrity, _max_samples(settings, opened.sample_rate_hz)):
                pass
            decoded = integrity.duration_s
        status, reason = _classify(opened, integrity, settings, name)
        logger.debug("probe %s: %s (%s)", name, status, reason)
        return _result(status, reason, size=opened.size_bytes, path=path, opened=opened,
                       decoded=decoded)
    finally:
        opened.close()


def check(source: AudioSource, settings: AudioSettings | None = None) -> ProbeResult:
    """Probe ``source`` and raise unless it is ``ok``.

    Returns:
        The :class:`ProbeResult` of a usable file.

    Raises:
        AudioFormatError: the file is truncated, corrupt, empty, unsupported or too long;
            ``.status`` says which and the message names the problem in one line.
        OSError: the path cannot be read.
    """
    result = probe(source, settings)
    if not result.ok:
        raise AudioFormatError(result.reason, status=result.status, path=result.path)
    return result


class _TrackBuffer:
    """Growable per-channel float32 storage, preallocated from the declared duration."""

    def __init__(self, channels: int, expected_samples: int) -> None:
        self._data = np.zeros((channels, max(expected_samples, 1)), dtype=np.float32)
        self.length = 0

    def append(self, block: FloatArray) -> None:
        needed = self.length + block.shape[1]
        if needed > self._data.shape[1]:
            grown = np.zeros(
                (self._data.shape[0], max(needed, int(self._data.shape[1] * 1.5))),
                dtype=np.float32,
            )
            grown[:, : self.length] = self._data[:, : self.length]
            self._data = grown
        self._data[:, self.length : needed] = block
        self.length = needed

    def finish(self) -> FloatArray:
        if self.length < 0.9 * self._data.shape[1]:
            return self._data[:, : self.length].copy()
        return self._data[:, : self.length]


def _resampled_blocks(
    opened: _Opened, integrity: _Integrity, settings: AudioSettings
) -> Iterator[FloatArray]:
    """Blocks of shape ``(channels, n)`` at 16 kHz, in order.

    Decoded frames are gathered into blocks of about half a second before resampling, as
    faster-whisper does: per-frame resampling of a long file costs several times more.
    """
    import av

    resampler: av.AudioResampler | None = None
    fifo = av.AudioFifo()
    group = max(4096, opened.sample_rate_hz // 2)

    def convert(frame: av.AudioFrame | None) -> Iterator[FloatArray]:
        if resampler is None:
            return
        try:
            outputs = resampler.resample(frame)
        except (av.error.FFmpegError, ValueError):
            integrity.error()
            return
        for out in outputs:
            yield out.to_ndarray().astype(np.float32, copy=False)

    max_samples = _max_samples(settings, opened.sample_rate_hz)
    for frame in _frames(opened, integrity, max_samples):
        if frame.layout.nb_channels != opened.channels:
            integrity.error()
            continue
        frame.pts = None  # timestamps are checked in _frames; fifo and resampler need none
        if resampler is None:
            resampler = av.AudioResampler(format="fltp", layout=frame.layout, rate=_TARGET_RATE_HZ)
        try:
            fifo.write(frame)
        except ValueError:  # the format changed mid-stream
            integrity.error()
            continue
        if fifo.samples >= group:
            grouped = fifo.read()
            if grouped is not None:
                yield from convert(grouped)
    if resampler is not None:
        if fifo.samples:
            rest = fifo.read()
            if rest is not None:
                yield from convert(rest)
        yield from convert(None)


def _raise_for(result: ProbeResult) -> NoReturn:
    raise AudioFormatError(result.reason, status=result.status, path=result.path)


def decode(
    source: AudioSource,
    *,
    settings: AudioSettings | None = None,
    strict: bool = True,
) -> DecodedAudio:
    """Decode a recording into 16 kHz float32 tracks, one per channel.

    Args:
        source: a path, or the bytes of a whole file.
        settings: limits, tolerance and channel names; defaults to ``AudioSettings()``.
        strict: raise when the audio turns out truncated or corrupt while decoding. With
            ``False`` whatever decodes is returned and ``status``/``reason`` say what is
            wrong. Unsupported, empty and over-long inputs raise either way.

    Raises:
        AudioFormatError: the input cannot be used (``.status`` says why).
        OSError: the path cannot be read.
    """
    settings = settings or AudioSettings()
    path, name = _describe(source)
    opened = _open(source, settings)
    if isinstance(opened, ProbeResult):
        _raise_for(opened)
    try:
        integrity = _Integrity(sample_rate_hz=opened.sample_rate_hz)
        if opened.wav is not None:
            expected_s = opened.wav.available_duration_s
        else:
            expected_s = opened.declared_duration_s or 60.0
        buffer = _TrackBuffer(
            opened.channels, math.ceil(min(expected_s, settings.max_duration_s) * _TARGET_RATE_HZ)
            + _TARGET_RATE_HZ // 10,
        )
        for block in _resampled_blocks(opened, integrity, settings):
            buffer.append(block)
        status, reason = _classify(opened, integrity, settings, name)
        if status in ("too_long", "empty", "unsupported") or (strict and status != "ok"):
            _raise_for(_result(status, reason, size=opened.size_bytes, path=path, opened=opened))
        samples = buffer.finish()
        names = track_names(opened.channels, settings)
        tracks: dict[str, FloatArray] = {}
        for index, track in enumerate(names):
            array = samples[index]
            array.flags.writeable = False
            tracks[track] = array
        return DecodedAudio(
            tracks=_Tracks(tracks),
            sample_rate_hz=_TARGET_RATE_HZ,
            source_sample_rate_hz=opened.sample_rate_hz,
            channels=opened.channels,
            duration_s=samples.shape[1] / _TARGET_RATE_HZ,
            declared_duration_s=opened.declared_duration_s,
            codec=opened.codec,
            container=opened.kind,
            status=status,
            reason=reason,
        )
    finally:
        opened.close()


def iter_windows(
    source: AudioSource,
    window_s: float = 30.0,
    *,
    settings: AudioSettings | None = None,
) -> Iterator[AudioWindow]:
    """Decode ``source`` lazily, yielding consecutive windows of every track.

    Memory stays at about one window per track, whatever the file length. Every window
    but the last is exactly ``window_s`` long. This path is lenient: it yields whatever
    decodes, so run :func:`check` first when a damaged file must be refused.

    Raises:
        AudioFormatError: the input is unsupported, empty, unopenable or too long.
        ValueError: ``window_s`` is not positive.
        OSError: the path cannot be read.
    """
    if window_s <= 0:
        raise ValueError(f"window_s must be positive, got {window_s}")
    settings = settings or AudioSettings()
    path, name = _describe(source)
    opened = _open(source, settings)
    if isinstance(opened, ProbeResult):
        _raise_for(opened)
    try:
        names = track_names(opened.channels, settings)
        window = max(1, round(window_s * _TARGET_RATE_HZ))
        pending: list[FloatArray] = []
        pending_samples = 0
        emitted = 0
        integrity = _Integrity(sample_rate_hz=opened.sample_rate_hz)

        def make(block: FloatArray, start: int) -> AudioWindow:
            tracks = {track: block[index] for index, track in enumerate(names)}
            return AudioWindow(start / _TARGET_RATE_HZ, _Tracks(tracks))

        for block in _resampled_blocks(opened, integrity, settings):
            pending.append(block)
            pending_samples += block.shape[1]
            if pending_samples >= window:
                joined = np.concatenate(pending, axis=1)
                while joined.shape[1] >= window:
                    yield make(joined[:, :window].copy(), emitted)
                    emitted += window
                    joined = joined[:, window:]
                pending = [joined]
                pending_samples = joined.shape[1]
        if integrity.too_long:
            status, reason = _classify(opened, integrity, settings, name)
            _raise_for(_result(status, reason, size=opened.size_bytes, path=path, opened=opened))
        if pending_samples:
            yield make(np.concatenate(pending, axis=1), emitted)
        elif emitted == 0:
            status, reason = _classify(opened, integrity, settings, name)
            _raise_for(_result(status, reason, size=opened.size_bytes, path=path, opened=opened))
    finally:
        opened.close()
