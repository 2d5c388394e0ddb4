"""T7: a labelled corpus of good, damaged and odd files, every one classified as labelled.

The corpus is generated in the test (speech from espeak-ng, hold music, noise; encoded by
FFmpeg/SoX; then cut, overwritten or faked at the byte level). Pass figures, from
research/reliability.md section 7: 100 % classified as labelled; no file that decodes to
less than 99 % of its declared duration is ``ok``; no file takes more than 10 s. Also T8's
header guard, and :func:`decode` agreeing with :func:`probe`.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

import audio_factory as af
from langassist import audio
from langassist.errors import AudioFormatError

Corpus = list[tuple[Path, str]]


def _program(rate_hz: int) -> np.ndarray:
    """About 12 s of call-like audio: speech, a pause, hold music, speech."""
    return np.concatenate([
        af.speech("Thank you for calling, please hold while I check your account.", "en-us",
                  rate_hz),
        af.silence(0.5, rate_hz),
        af.hold_music(4.0, rate_hz, amplitude=0.2),
        af.speech("Sorry, can you repeat that please?", "es", rate_hz),
        af.white_noise(1.0, -45.0, rate_hz),
    ])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    folder = tmp_path_factory.mktemp("corpus")
    items: Corpus = []

    def add(path: Path, label: str) -> None:
        items.append((path, label))

    program = _program(16000)
    originals = {
        suffix: af.write_audio(folder / f"original.{suffix}", program, 16000)
        for suffix in ("wav", "mp3", "flac", "ogg", "opus", "m4a")
    }
    for path in originals.values():
        add(path, "ok")

    # Empty, not audio, header only.
    empty = folder / "empty.wav"
    empty.write_bytes(b"")
    add(empty, "empty")
    add(af.random_bytes_file(folder / "random.bin", 65536, seed=1), "unsupported")
    add(af.random_bytes_file(folder / "random.wav", 65536, seed=2), "unsupported")
    add(af.random_bytes_file(folder / "random.mp3", 4096, seed=3), "unsupported")
    text = folder / "transcript.wav"
    text.write_text("agent: hello\ncustomer: hi\n" * 50, encoding="utf-8")
    add(text, "unsupported")
    header_only = folder / "header-only.wav"
    header_only.write_bytes(af.wav_header(sample_rate_hz=16000, channels=1, data_bytes=0))
    add(header_only, "empty")
    declares_but_empty = folder / "header-declares-10s.wav"
    declares_but_empty.write_bytes(
        af.wav_header(sample_rate_hz=16000, channels=1, data_bytes=320_000)
    )
    add(declares_but_empty, "empty")

    # Truncated: interrupted uploads.
    for suffix in ("wav", "mp3", "flac"):
        for fraction in (0.1, 0.5, 0.9):
            cut = folder / f"cut-{int(fraction * 100)}.{suffix}"
            add(af.truncate_copy(originals[suffix], cut, fraction), "truncated")
    for suffix in ("ogg", "opus", "m4a"):
        for fraction in (0.5, 0.9):
            cut = folder / f"cut-{int(fraction * 100)}.{suffix}"
            add(af.truncate_copy(originals[suffix], cut, fraction), "truncated")
    mulaw = af.write_wav(folder / "mulaw-8k.wav", _program(8000), 8000, "mulaw")
    add(af.truncate_copy(mulaw, folder / "mulaw-cut-50.wav", 0.5), "truncated")

    # Damaged inside.
    for suffix in ("mp3", "flac", "ogg"):
        add(af.overwrite_copy(originals[suffix], folder / f"damaged.{suffix}",
                              at_fraction=0.33, n_bytes=2048, seed=4), "corrupt")
    add(af.overwrite_copy(originals["mp3"], folder / "damaged-late.mp3",
                          at_fraction=0.6, n_bytes=512, seed=5), "corrupt")
    id3_then_junk = folder / "id3-junk.mp3"
    id3_then_junk.write_bytes(originals["mp3"].read_bytes()[:10] + bytes(range(256)) * 40)
    add(id3_then_junk, "corrupt")

    # Odd but fine.
    wav_named_mp3 = folder / "really-a-wav.mp3"
    wav_named_mp3.write_bytes(originals["wav"].read_bytes())
    add(wav_named_mp3, "ok")
    mp3_named_wav = folder / "really-an-mp3.wav"
    mp3_named_wav.write_bytes(originals["mp3"].read_bytes())
    add(mp3_named_wav, "ok")
    add(mulaw, "ok")
    add(af.write_wav(folder / "alaw-8k.wav", _program(8000), 8000, "alaw"), "ok")
    add(af.write_wav(folder / "float-44k.wav", _program(44100), 44100, "float32"), "ok")
    add(af.write_wav(folder / "mono-8k.wav", _program(8000), 8000), "ok")
    stereo_48k = np.stack([_program(48000), af.hold_music(len(_program(48000)) / 48000, 48000)])
    add(af.write_wav(folder / "stereo-48k.wav", stereo_48k, 48000), "ok")
    add(af.write_audio(folder / "stereo-48k.flac", stereo_48k, 48000), "ok")
    add(af.write_wav(folder / "clipped.wav", af.clip(program, 8.0), 16000), "ok")
    add(af.write_wav(folder / "dc-offset.wav", af.add_dc_offset(program, 0.3), 16000), "ok")
    add(af.write_silent_wav(folder / "silence-2h-8k.wav", 2 * 3600.0, 8000), "ok")

    # Over the limits (T8): decided from the header.
    five_hours = folder / "declares-5h.wav"
    five_hours.write_bytes(af.wav_header(sample_rate_hz=8000, channels=1,
                                         data_bytes=5 * 3600 * 16000))
    add(five_hours, "too_long")
    return items


def test_corpus_is_big_enough(corpus: Corpus) -> None:
    assert len(corpus) >= 30
    labels = {label for _, label in corpus}
    assert labels == {"ok", "truncated", "corrupt", "empty", "unsupported", "too_long"}


def test_every_file_is_classified_as_labelled_quickly(corpus: Corpus) -> None:
    wrong = []
    slow = []
    for path, label in corpus:
        started = time.perf_counter()
        result = audio.probe(path)
        elapsed = time.perf_counter() - started
        if result.status != label:
            wrong.append(f"{path.name}: expected {label}, got {result.status} ({result.reason})")
        if elapsed > 10.0:
            slow.append(f"{path.name}: {elapsed:.1f} s")
        if label == "too_long":
            assert elapsed <= 1.0, f"{path.name}: too_long took {elapsed:.2f} s"
    assert not wrong, "\n".join(wrong)
    assert not slow, "\n".join(slow)


def test_short_decodes_are_never_ok(corpus: Corpus) -> None:
    for path, _label in corpus:
        result = audio.probe(path)
        declared, decoded = result.declared_duration_s, result.decoded_duration_s
        if declared and decoded is not None and decoded < 0.99 * declared:
            assert result.status != "ok", f"{path.name}: {decoded} of {declared} s is 'ok'"


def test_decode_agrees_with_probe(corpus: Corpus) -> None:
    for path, label in corpus:
        if path.stat().st_size > 50 * 1024**2:
            continue  # the 2 h file: probing it is the point, decoding it costs 460 MB
        if label == "ok":
            decoded = audio.decode(path)
            assert decoded.status == "ok" and decoded.duration_s > 0
            continue
        with pytest.raises(AudioFormatError) as info:
            audio.decode(path)
        assert info.value.status == label, f"{path.name}: {info.value}"
