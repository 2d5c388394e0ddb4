"""Shared pytest fixtures: paths to generated test audio and to the shared data folder.

Audio is synthesized once per session (espeak-ng speech, tones, noise, music; see
``tests/audio_factory.py``) into a pytest temporary folder, and fixtures return paths, as
faster-whisper's ``conftest.py`` does. Nothing is written into the working tree.
Real recordings are never copied into the repository: ``shared_data_dir`` points at
``../shared/data`` (or ``LANGASSIST_DATA_DIR``) and skips the test when it is absent.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
# Make ``import audio_factory`` work under every pytest import mode.
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

import audio_factory as af  # noqa: E402

SAMPLE_CALL = REPO_ROOT / "samples" / "sample-call.flac"

SENTENCES = {
    "en": ("en-us", "The weather is lovely today, so we are going for a walk in the park."),
    "es": ("es", "Hoy hace muy buen tiempo, así que vamos a pasear por el parque."),
    "de": ("de", "Heute ist das Wetter sehr schön, deshalb gehen wir im Park spazieren."),
    "fr": ("fr-fr", "Il fait très beau aujourd'hui, alors nous allons nous promener au parc."),
    "pl": ("pl", "Dzisiaj jest bardzo ładna pogoda, więc idziemy na spacer do parku."),
}
"""Language code -> (espeak-ng voice, a sentence in that language)."""

ACCENTED_ENGLISH = ("fr-fr", SENTENCES["en"][1])
"""English text read by the French voice: English with a strong accent."""


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session-wide folder for generated audio."""
    return tmp_path_factory.mktemp("audio")


@pytest.fixture(scope="session")
def speech_wavs(audio_dir: Path) -> dict[str, Path]:
    """16 kHz mono PCM16 WAVs, one per language in :data:`SENTENCES` (keys en, es, de, fr,
    pl), plus ``en-accented`` (the English sentence read by the French voice). Each has a
    ``.txt`` sidecar with its text."""
    paths: dict[str, Path] = {}
    items = {**SENTENCES, "en-accented": ACCENTED_ENGLISH}
    for key, (voice, text) in items.items():
        path = audio_dir / f"speech-{key}.wav"
        af.write_wav(path, af.speech(text, voice, 16000), 16000)
        path.with_suffix(".txt").write_text(text + "\n", encoding="utf-8")
        paths[key] = path
    return paths


@pytest.fixture(scope="session")
def speech_en_wav(speech_wavs: dict[str, Path]) -> Path:
    """English speech (espeak-ng en-us), 16 kHz mono WAV, with a ``.txt`` sidecar."""
    return speech_wavs["en"]


@pytest.fixture(scope="session")
def tone_8k_mulaw_wav(audio_dir: Path) -> Path:
    """A 1 kHz tone, 3 s, 8 kHz mono G.711 mu-law WAV (telephony format)."""
    return af.write_wav(audio_dir / "tone-1k-8k-mulaw.wav", af.tone(1000, 3.0, 8000), 8000, "mulaw")


@pytest.fixture(scope="session")
def silence_wav(audio_dir: Path) -> Path:
    """10 s of digital silence, 16 kHz mono WAV."""
    return af.write_wav(audio_dir / "silence-10s.wav", af.silence(10.0), 16000)


@pytest.fixture(scope="session")
def noise_wav(audio_dir: Path) -> Path:
    """10 s of white noise at -30 dBFS, 16 kHz mono WAV."""
    return af.write_wav(audio_dir / "noise-10s.wav", af.white_noise(10.0, -30.0), 16000)


@pytest.fixture(scope="session")
def hold_music_wav(audio_dir: Path) -> Path:
    """10 s of hold-music-like chords, 16 kHz mono WAV."""
    return af.write_wav(audio_dir / "hold-music-10s.wav", af.hold_music(10.0), 16000)


@pytest.fixture(scope="session")
def stereo_call_wav(audio_dir: Path) -> Path:
    """A short two-party call, 16 kHz stereo WAV: agent (en-us) left, customer right
    (English with the Spanish voice, then Spanish). Its script (speaker, text, start_s,
    end_s, voice, language per turn) is in the ``.json`` sidecar next to it."""
    turns = [
        af.speech_turn("agent", "Hello, thank you for calling. How can I help you today?",
                       "en-us", "en"),
        af.speech_turn("customer", "My internet is not working.", "es", "en", gap_before_s=0.7),
        af.speech_turn("agent", "Please restart the router and wait two minutes.", "en-us", "en",
                       gap_before_s=0.8),
        af.speech_turn("customer", "No entiendo. ¿Habla español?", "es", "es", gap_before_s=1.0),
    ]
    call = af.build_stereo_call(turns, 16000)
    path = af.write_wav(audio_dir / "stereo-call.wav", call.samples, 16000)
    script = {
        "sample_rate_hz": call.sample_rate_hz,
        "duration_s": call.duration_s,
        "channels": ["agent", "customer"],
        "turns": [asdict(line) for line in call.script],
    }
    path.with_suffix(".json").write_text(json.dumps(script, indent=2, ensure_ascii=False),
                                         encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def sample_call_flac() -> Path:
    """The bundled sample call (``samples/sample-call.flac``; script in ``.json``)."""
    if not SAMPLE_CALL.is_file():
        pytest.skip(f"{SAMPLE_CALL} is missing: run scripts/make_sample_call.py")
    return SAMPLE_CALL


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The shared evaluation data (``LANGASSIST_DATA_DIR``, else ``../shared/data`` next
    to the repository); skips the test when the folder is absent."""
    configured = os.environ.get("LANGASSIST_DATA_DIR")
    path = Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"
    path = path.resolve()
    if not path.is_dir():
        pytest.skip(f"shared data folder {path} is absent (set LANGASSIST_DATA_DIR)")
    return path
