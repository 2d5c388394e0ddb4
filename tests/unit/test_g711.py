"""G.711 tables: bit-exact against the ITU-T formulas and, where present, ``audioop`` (T6)."""

from __future__ import annotations

import base64
import importlib
import warnings
from types import ModuleType

import numpy as np
import pytest

from langassist import g711


def _itu_mulaw(code: int) -> int:
    """ITU-T G.711 mu-law decoding written from the standard's segment formula.

    The complemented code holds sign (bit 7), segment e (bits 4-6) and step m (bits 0-3);
    the 14-bit magnitude is (2m + 33) * 2**e - 33, scaled by 4 to 16 bits.
    """
    inverted = code ^ 0xFF
    sign = -1 if inverted & 0x80 else 1
    exponent = (inverted >> 4) & 0x07
    mantissa = inverted & 0x0F
    return sign * ((2 * mantissa + 33) * 2**exponent - 33) * 4


def _itu_alaw(code: int) -> int:
    """ITU-T G.711 A-law decoding from the standard's formula.

    Even bits are inverted (XOR 0x55); bit 7 set means positive. The 13-bit magnitude is
    2m + 1 in segment 0 and (2m + 33) * 2**(e - 1) above, scaled by 8 to 16 bits.
    """
    value = code ^ 0x55
    sign = 1 if value & 0x80 else -1
    exponent = (value >> 4) & 0x07
    mantissa = value & 0x0F
    magnitude = 2 * mantissa + 1 if exponent == 0 else (2 * mantissa + 33) * 2 ** (exponent - 1)
    return sign * magnitude * 8


def _audioop() -> ModuleType:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return importlib.import_module("audioop")
        except ModuleNotFoundError:
            pytest.skip("audioop is not available on this Python (removed in 3.13)")


def test_mulaw_table_matches_itu_formula_for_all_256_codes() -> None:
    table = g711.mulaw_decode_table()
    assert table.dtype == np.int16 and table.shape == (256,)
    assert [int(v) for v in table] == [_itu_mulaw(code) for code in range(256)]


def test_alaw_table_matches_itu_formula_for_all_256_codes() -> None:
    table = g711.alaw_decode_table()
    assert table.dtype == np.int16 and table.shape == (256,)
    assert [int(v) for v in table] == [_itu_alaw(code) for code in range(256)]


def test_known_table_points() -> None:
    mulaw = g711.mulaw_decode(bytes([0x00, 0x80, 0xFF, 0x7F, 0x0F, 0x8F]))
    assert mulaw.tolist() == [-32124, 32124, 0, 0, -16764, 16764]
    alaw = g711.alaw_decode(bytes([0xD5, 0x55, 0xAA, 0x2A]))
    assert alaw.tolist() == [8, -8, 32256, -32256]


def test_tables_are_read_only() -> None:
    with pytest.raises(ValueError):
        g711.mulaw_decode_table()[0] = 1


def test_decode_matches_audioop() -> None:
    audioop = _audioop()
    codes = bytes(range(256))
    assert np.array_equal(
        np.frombuffer(audioop.ulaw2lin(codes, 2), dtype="<i2"), g711.mulaw_decode(codes)
    )
    assert np.array_equal(
        np.frombuffer(audioop.alaw2lin(codes, 2), dtype="<i2"), g711.alaw_decode(codes)
    )


def test_encode_matches_audioop_for_every_int16_value() -> None:
    audioop = _audioop()
    linear = np.arange(-32768, 32768, dtype="<i2")
    expected_mulaw = np.frombuffer(audioop.lin2ulaw(linear.tobytes(), 2), dtype=np.uint8)
    expected_alaw = np.frombuffer(audioop.lin2alaw(linear.tobytes(), 2), dtype=np.uint8)
    assert np.array_equal(g711.mulaw_encode(linear), expected_mulaw)
    assert np.array_equal(g711.alaw_encode(linear), expected_alaw)


def test_encode_inverts_decode() -> None:
    codes = np.arange(256, dtype=np.uint8)
    mulaw_back = g711.mulaw_encode(g711.mulaw_decode(codes))
    # 0x7F is mu-law's "negative zero": it decodes to 0, which encodes as 0xFF.
    assert np.array_equal(mulaw_back[codes != 0x7F], codes[codes != 0x7F])
    assert np.array_equal(g711.alaw_encode(g711.alaw_decode(codes)), codes)


def test_encode_is_monotonic() -> None:
    linear = np.arange(-32768, 32768, dtype=np.int16)
    for encode, decode in ((g711.mulaw_encode, g711.mulaw_decode),
                           (g711.alaw_encode, g711.alaw_decode)):
        decoded = decode(encode(linear)).astype(np.int32)
        assert np.all(np.diff(decoded) >= 0)
        # Quantization error stays within one step of the coarsest segment (1024 / 2).
        assert np.max(np.abs(decoded - linear.astype(np.int32))) <= 1024


def test_float_input_is_rounded_to_int16() -> None:
    samples = np.array([0.0, 0.5, -0.5, 1.0, -1.0], dtype=np.float32)
    as_int = np.array([0, 16384, -16384, 32767, -32768], dtype=np.int16)
    assert np.array_equal(g711.mulaw_encode(samples), g711.mulaw_encode(as_int))
    assert np.array_equal(g711.alaw_encode(samples), g711.alaw_encode(as_int))


def test_float32_helpers_scale_by_32768() -> None:
    codes = bytes([0x00, 0x80, 0xFF])
    assert np.allclose(g711.mulaw_to_float32(codes), np.array([-32124, 32124, 0]) / 32768)
    assert g711.alaw_to_float32(codes).dtype == np.float32


def test_twilio_payload_round_trip() -> None:
    tone = (0.5 * np.sin(2 * np.pi * 1000 * np.arange(160) / 8000)).astype(np.float32)
    payload = base64.b64encode(g711.mulaw_encode(tone).tobytes()).decode("ascii")
    decoded = g711.mulaw_from_base64(payload)
    assert decoded.dtype == np.float32 and decoded.shape == (160,)
    assert np.max(np.abs(decoded - tone)) < 0.02


def test_bad_inputs_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="base64"):
        g711.mulaw_from_base64("not base64!!")
    with pytest.raises(TypeError, match="uint8"):
        g711.mulaw_decode(np.zeros(4, dtype=np.int16))
    with pytest.raises(TypeError, match="int16"):
        g711.mulaw_encode(np.zeros(4, dtype=np.int64))
