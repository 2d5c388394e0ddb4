"""G.711 μ-law and A-law codecs as NumPy lookup tables, bit-exact to ITU-T G.711.

Telephony audio (Twilio Media Streams, most contact-centre recordings) arrives as 8-bit
G.711 codes at 8 kHz. Python 3.11's ``audioop`` does the same job but is deprecated and
removed in 3.13 (PEP 594), so this module keeps its own tables.

Decoding maps each 8-bit code to the 16-bit linear value of the reference implementation
(Sun Microsystems' ``g711.c``, which ``audioop``, FFmpeg and SoX share): μ-law spans
±32124 and A-law ±32256. Encoding quantizes 16-bit linear samples the same way
``audioop.lin2ulaw`` / ``lin2alaw`` do (μ-law from the top 14 bits, A-law from the top 13).

Tables are built on first use and cached; nothing happens at import time.
"""

from __future__ import annotations

import base64
import functools

import numpy as np
import numpy.typing as npt

__all__ = [
    "alaw_decode",
    "alaw_decode_table",
    "alaw_encode",
    "alaw_to_float32",
    "mulaw_decode",
    "mulaw_decode_table",
    "mulaw_encode",
    "mulaw_from_base64",
    "mulaw_to_float32",
]

_BIAS = 0x84  # μ-law bias (132) on the 16-bit scale
_MULAW_CLIP = 8159  # largest 14-bit magnitude μ-law can represent before the bias
_SEG_MASK = 0x70
_SEG_SHIFT = 4
_QUANT_MASK = 0x0F
_SIGN_BIT = 0x80

CodeInput = bytes | bytearray | memoryview | npt.NDArray[np.uint8]


@functools.cache
def mulaw_decode_table() -> npt.NDArray[np.int16]:
    """The 256 μ-law codes as 16-bit linear values (read-only array, index = code)."""
    codes = np.arange(256, dtype=np.int32)
    inverted = ~codes & 0xFF
    exponent = (inverted & _SEG_MASK) >> _SEG_SHIFT
    mantissa = inverted & _QUANT_MASK
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    values = np.where(inverted & _SIGN_BIT, -magnitude, magnitude).astype(np.int16)
    values.flags.writeable = False
    return values


@functools.cache
def alaw_decode_table() -> npt.NDArray[np.int16]:
    """The 256 A-law codes as 16-bit linear values (read-only array, index = code)."""
    codes = np.arange(256, dtype=np.int32) ^ 0x55
    exponent = (codes & _SEG_MASK) >> _SEG_SHIFT
    mantissa = (codes & _QUANT_MASK) << 4
    magnitude = np.where(
        exponent == 0,
        mantissa + 8,
        (mantissa + 0x108) << np.maximum(exponent - 1, 0),
    )
    values = np.where(codes & _SIGN_BIT, magnitude, -magnitude).astype(np.int16)
    values.flags.writeable = False
    return values


@functools.cache
def _mulaw_encode_table() -> npt.NDArray[np.uint8]:
    """μ-law code for every int16 value, indexed by ``value + 32768``."""
    linear = np.arange(-32768, 32768, dtype=np.int32) >> 2  # 14-bit
    negative = linear < 0
    mask = np.where(negative, 0x7F, 0xFF)
    magnitude = np.minimum(np.where(negative, -linear, linear), _MULAW_CLIP) + (_BIAS >> 2)
    # Segment = number of bits above the lowest six (0x3F, 0x7F, ... 0x1FFF bounds).
    segment = np.searchsorted(
        np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]), magnitude
    )
    code = (segment << 4) | ((magnitude >> (segment + 1)) & _QUANT_MASK)
    code = np.where(segment >= 8, 0x7F, code)
    table = (code ^ mask).astype(np.uint8)
    table.flags.writeable = False
    return table


@functools.cache
def _alaw_encode_table() -> npt.NDArray[np.uint8]:
    """A-law code for every int16 value, indexed by ``value + 32768``."""
    linear = np.arange(-32768, 32768, dtype=np.int32) >> 3  # 13-bit
    negative = linear < 0
    mask = np.where(negative, 0x55, 0xD5)
    magnitude = np.where(negative, -linear - 1, linear)
    segment = np.searchsorted(
        np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]), magnitude
    )
    shift = np.where(segment < 2, 1, segment)
    code = (segment << _SEG_SHIFT) | ((magnitude >> shift) & _QUANT_MASK)
    code = np.where(segment >= 8, 0x7F, code)
    table = (code ^ mask).astype(np.uint8)
    table.flags.writeable = False
    return table


def _as_codes(data: CodeInput) -> npt.NDArray[np.uint8]:
    if isinstance(data, np.ndarray):
        if data.dtype != np.uint8:
            raise TypeError(f"G.711 codes must be uint8, got an array of {data.dtype}")
        return data
    return np.frombuffer(data, dtype=np.uint8)


def _as_int16(samples: npt.ArrayLike) -> npt.NDArray[np.int16]:
    array = np.asarray(samples)
    if array.dtype == np.int16:
        return array
    if np.issubdtype(array.dtype, np.floating):
        scaled = np.clip(np.round(array.astype(np.float64) * 32768.0), -32768, 32767)
        return scaled.astype(np.int16)
    raise TypeError(f"expected int16 PCM or float samples in [-1, 1], got {array.dtype}")


def mulaw_decode(data: CodeInput) -> npt.NDArray[np.int16]:
    """Decode μ-law codes (bytes or a uint8 array) to int16 linear PCM."""
    return mulaw_decode_table()[_as_codes(data)]


def alaw_decode(data: CodeInput) -> npt.NDArray[np.int16]:
    """Decode A-law codes (bytes or a uint8 array) to int16 linear PCM."""
    return alaw_decode_table()[_as_codes(data)]


def mulaw_to_float32(data: CodeInput) -> npt.NDArray[np.float32]:
    """Decode μ-law codes to float32 in [-1, 1) (linear value / 32768)."""
    return mulaw_decode(data).astype(np.float32) / np.float32(32768.0)


def alaw_to_float32(data: CodeInput) -> npt.NDArray[np.float32]:
    """Decode A-law codes to float32 in [-1, 1) (linear value / 32768)."""
    return alaw_decode(data).astype(np.float32) / np.float32(32768.0)


def mulaw_encode(samples: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """Encode int16 PCM (or float in [-1, 1], rounded to int16) to μ-law codes."""
    linear = _as_int16(samples).astype(np.int32) + 32768
    return _mulaw_encode_table()[linear]


def alaw_encode(samples: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """Encode int16 PCM (or float in [-1, 1], rounded to int16) to A-law codes."""
    linear = _as_int16(samples).astype(np.int32) + 32768
    return _alaw_encode_table()[linear]


def mulaw_from_base64(payload: str | bytes) -> npt.NDArray[np.float32]:
    """Decode one Twilio ``media.payload`` (base64 μ-law, 8 kHz mono) to float32 samples.

    Raises:
        ValueError: the payload is not valid base64.
    """
    try:
        raw = base64.b64decode(payload, validate=True)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"media payload is not valid base64: {exc}") from exc
    return mulaw_to_float32(raw)
