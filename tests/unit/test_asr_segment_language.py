"""``asr.segment_language_check`` of the faster-whisper backend, without a model: which
segments are checked, the audio detected and decoded again, and when the new transcript
replaces the old one. Detection and decoding are fakes that record their calls."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from langassist.backends import faster_whisper as fw
from langassist.backends.base import Segment
from langassist.events import LanguageDistribution, Word

SR = 16000
ENGLISH = LanguageDistribution((("en", 0.81), ("la", 0.10)))
SPANISH = LanguageDistribution((("es", 0.93), ("en", 0.04)))


def segment(text: str, start_s: float, probabilities: list[float], language: LanguageDistribution | None = ENGLISH,
            step_s: float = 0.4) -> Segment:
    words = tuple(
        Word(start_s + i * step_s, start_s + (i + 1) * step_s, word, p)
        for i, (word, p) in enumerate(zip(text.split(), probabilities, strict=True))
    )
    return Segment(start_s, words[-1].end_s, text, words=words, language=language)


class FakeRecheck:
    """A multilingual transcriber whose language detection and window decode are fakes:
    ``detected`` is what any audio is detected as, ``heard`` what a decode hears."""

    def __init__(self, detected: LanguageDistribution, heard_p: float = 0.9, **options: Any) -> None:
        model = SimpleNamespace(model=SimpleNamespace(is_multilingual=True))
        self.transcriber = fw.FasterWhisperTranscriber(
            "unused", name="fake", options=fw.DecodeOptions(**options), model=model
        )
        self.detected = detected
        self.heard_p = heard_p
        self.detections: list[float] = []
        self.decodes: list[tuple[float, str | None, float]] = []
        self.transcriber.detect_language = self.detect  # type: ignore[method-assign]
        self.transcriber._decode_window = self.decode  # type: ignore[method-assign]

    def detect(self, audio: np.ndarray) -> LanguageDistribution:
        self.detections.append(audio.size / SR)
        return self.detected

    def decode(self, window: np.ndarray, language: str | None, offset_s: float, *rest: Any) -> tuple[list[Segment], list[str]]:
        self.decodes.append((offset_s, language, window.size / SR))
        heard = segment("lo siento no entiendo", offset_s + 0.2, [self.heard_p] * 4, language=None)
        return [heard], []


def call(sure_before: bool = True) -> list[Segment]:
    """An English sentence, a garbled (unsure) one, an English one: one detection."""
    out = [segment("Los llanto no endo look", 4.0, [0.26, 0.46, 0.7, 0.2, 0.3])]
    if sure_before:
        out.insert(0, segment("I would like to check", 0.0, [0.9, 0.95, 0.99, 0.97, 0.94]))
    out.append(segment("Can you send me", 7.0, [0.6, 0.93, 0.99, 0.99]))
    return out


def test_an_unsure_segment_in_another_language_is_decoded_again_in_it() -> None:
    fake = FakeRecheck(SPANISH)
    audio = np.zeros(10 * SR, dtype=np.float32)
    out = fake.transcriber._recheck_unsure(audio, 0.0, call())
    # only the unsure segment is checked, on its audio: 0.2 s before its first word, up
    # to the next segment
    assert fake.detections == [pytest.approx(7.0 - 3.8)]
    assert fake.decodes == [(pytest.approx(3.8), "es", pytest.approx(3.2))]
    assert [s.text for s in out] == ["I would like to check", "lo siento no entiendo", "Can you send me"]
    assert out[1].start_s == pytest.approx(4.0) and out[1].language == SPANISH.head(10)
    assert out[0].language == ENGLISH and out[2].language == ENGLISH


def test_track_offsets_are_kept() -> None:
    fake = FakeRecheck(SPANISH)
    audio = np.zeros(10 * SR, dtype=np.float32)
    shifted = [Segment(s.start_s + 100.0, s.end_s + 100.0, s.text, language=s.language,
                       words=tuple(Word(w.start_s + 100.0, w.end_s + 100.0, w.text, w.probability) for w in s.words))
               for s in call()]
    out = fake.transcriber._recheck_unsure(audio, 100.0, shifted)
    assert fake.decodes[0][0] == pytest.approx(103.8) and out[1].start_s == pytest.approx(104.0)


def test_sure_lone_and_short_segments_are_not_checked() -> None:
    fake = FakeRecheck(SPANISH)
    audio = np.zeros(10 * SR, dtype=np.float32)
    sure = [call()[0], call()[2]]
    assert fake.transcriber._recheck_unsure(audio, 0.0, sure) == sure
    # the unsure segment alone: its window's detection heard just this audio
    lone = [call()[1]]
    assert fake.transcriber._recheck_unsure(audio, 0.0, lone) == lone
    # an unsure segment with its own distribution (decoded alone before) is not checked
    other = [call()[0], segment("Los llanto no endo", 4.0, [0.2] * 4, language=SPANISH)]
    assert fake.transcriber._recheck_unsure(audio, 0.0, other) == other
    short = [call()[0], segment("no endo", 4.0, [0.2, 0.2])]
    assert fake.transcriber._recheck_unsure(audio, 0.0, short) == short
    brief = [call()[0], segment("no endo look", 4.0, [0.2] * 3, step_s=0.2)]  # 0.6 s
    assert fake.transcriber._recheck_unsure(audio, 0.0, brief) == brief
    assert fake.detections == []


def test_a_looped_word_counts_once_in_the_confidence() -> None:
    loop = segment("Los llanto no no no no no no", 4.0, [0.26, 0.46, 0.7, 0.33, 0.69, 0.8, 0.8, 0.83])
    assert sum(w.probability for w in loop.words) / 8 > fw.UNSURE_WORD_P
    assert fw._mean_word_probability(loop.words) == pytest.approx((0.26 + 0.46 + 0.7) / 3)
    fake = FakeRecheck(SPANISH)
    out = fake.transcriber._recheck_unsure(np.zeros(10 * SR, dtype=np.float32), 0.0, [call()[0], loop])
    assert [s.text for s in out] == ["I would like to check", "lo siento no entiendo"]


@pytest.mark.parametrize("detected", [
    ENGLISH,  # the same language on its own audio
    LanguageDistribution((("es", 0.45), ("en", 0.40))),  # another one, but not sure enough
    LanguageDistribution(),  # nothing detected
])
def test_the_segment_stays_when_its_own_audio_is_not_surely_another_language(detected: LanguageDistribution) -> None:
    fake = FakeRecheck(detected)
    segments = call()
    assert fake.transcriber._recheck_unsure(np.zeros(10 * SR, dtype=np.float32), 0.0, segments) == segments
    assert len(fake.detections) == 1 and fake.decodes == []


def test_the_new_transcript_must_be_clearly_more_probable() -> None:
    # the unsure segment's words average 0.384; the new ones 0.5 (< 0.384 + 0.15)
    fake = FakeRecheck(SPANISH, heard_p=0.5)
    segments = call()
    assert fake.transcriber._recheck_unsure(np.zeros(10 * SR, dtype=np.float32), 0.0, segments) == segments
    assert len(fake.decodes) == 1


def test_candidate_languages_bound_the_language_decoded_in() -> None:
    # Spanish is detected, but the call's languages are English and French: the most
    # probable candidate is English, the segment's own language, so nothing changes
    fake = FakeRecheck(SPANISH, candidate_languages=("en", "fr"))
    segments = call()
    assert fake.transcriber._recheck_unsure(np.zeros(10 * SR, dtype=np.float32), 0.0, segments) == segments
    assert fake.decodes == []


@pytest.mark.parametrize(("language", "options", "checked"), [
    (None, {}, True),
    ("en", {}, False),  # a forced language is never changed
    (None, {"segment_language_check": False}, False),
    (None, {"detect_language": False}, True),  # that only adds a detection to forced languages
])
def test_decode_pack_checks_only_detected_languages(language: str | None, options: dict[str, Any], checked: bool) -> None:
    fake = FakeRecheck(SPANISH, **options)
    seen: list[int] = []
    fake.transcriber._recheck_unsure = lambda audio, offset_s, segments: seen.append(len(segments)) or segments  # type: ignore[method-assign]
    audio = np.zeros(10 * SR, dtype=np.float32)
    fake.transcriber._decode_pack(audio, [(0, 10 * SR)], language, 0.0, None, decoded=call())
    assert bool(seen) is checked


def test_transcriber_seeds_ctranslate2_sampling(monkeypatch: pytest.MonkeyPatch) -> None:
    """``asr.seed`` reaches CTranslate2 (the temperature fallback samples); ``None``
    leaves CTranslate2's own seeding alone."""
    import ctranslate2

    from langassist.config import AsrSettings, load_settings
    from langassist.errors import ConfigError

    seeds: list[int] = []
    monkeypatch.setattr(ctranslate2, "set_random_seed", seeds.append)
    model = SimpleNamespace(model=SimpleNamespace(is_multilingual=False))
    fw.FasterWhisperTranscriber("unused", model=model, seed=7)
    fw.FasterWhisperTranscriber("unused", model=model)
    assert seeds == [7]
    assert AsrSettings().seed == 0
    assert load_settings(environ={"LANGASSIST_ASR__SEED": "42"}).asr.seed == 42
    with pytest.raises(ConfigError, match="asr.seed"):
        AsrSettings(seed=-1)
