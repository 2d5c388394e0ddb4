"""Real Whisper base + the shipped accent model on espeak-ng speech.

The same English text read by espeak-ng's en-us voice and by its French and Spanish
voices (English words with foreign phonetics, a synthetic accent): the foreign voices
must score as more accented than en-us, and the Spanish voice's likely first language
must be Spanish. Needs the whisper-base weights (``model`` marker) and espeak-ng + sox.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from langassist.events import AccentScored

pytestmark = pytest.mark.model

TEXT = (
    "Thank you for calling customer support. I can see that your internet connection "
    "was interrupted yesterday evening. Could you please restart the router and tell me "
    "which lights are on?"
)


def _speak(text: str, voice: str, folder: Path) -> np.ndarray:
    wav = folder / f"{voice}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(wav), text], check=True, capture_output=True)
    raw = subprocess.run(
        ["sox", "-q", str(wav), "-t", "raw", "-e", "floating-point", "-b", "32", "-c", "1", "-r", "16000", "-"],
        check=True, capture_output=True,
    ).stdout
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


@pytest.fixture(scope="module")
def voice_scores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, AccentScored]:
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("espeak-ng and sox are needed")
    from langassist import service
    from langassist.accent import AccentScorer
    from langassist.errors import BackendUnavailable, ModelUnavailable
    from langassist.stages.asr import transcribe_track

    settings = service.load_settings(overrides={"asr.model": "whisper-base"})
    try:
        transcriber = service.create_transcriber(settings)
    except (ModelUnavailable, BackendUnavailable) as exc:
        pytest.skip(f"whisper-base not available: {exc}")
    folder = tmp_path_factory.mktemp("accent-voices")
    scorer = AccentScorer()
    scores = {}
    for voice in ("en-us", "fr-fr", "es"):
        track = transcribe_track(
            transcriber, _speak(TEXT, voice, folder), call_id=voice, track="customer",
            language="en", guards=service.guard_options(settings),
        )
        scores[voice] = scorer.score_speaker(track.utterances, language="en")
    return scores


def test_foreign_voices_score_more_accented_than_en_us(voice_scores: dict[str, AccentScored]) -> None:
    native = voice_scores["en-us"].score.value
    french = voice_scores["fr-fr"].score.value
    spanish = voice_scores["es"].score.value
    assert native is not None and french is not None and spanish is not None
    assert native < french
    assert native < spanish
    assert spanish > 0.5


def test_scores_are_explained_and_spanish_voice_points_to_spanish(
    voice_scores: dict[str, AccentScored],
) -> None:
    for event in voice_scores.values():
        assert event.language == "en"
        assert event.score.reasons and event.score.confidence > 0.0
        assert any(r.feature == "spoken_language_logit" for r in event.score.reasons)
    assert voice_scores["es"].likely_first_language == "es"
    assert voice_scores["en-us"].likely_first_language is None
