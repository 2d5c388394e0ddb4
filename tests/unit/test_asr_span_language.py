"""``asr.span_language_check`` of the faster-whisper backend, without a model: where the
speech spans of an input lie in it, how a span's language is read from the input's
encoder output, and when a span decoded in the wrong language (a translation) is
decoded again alone. Encoder, detection and decoding are fakes that record their calls."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import ctranslate2
import numpy as np
import pytest

from langassist.backends import faster_whisper as fw
from langassist.backends.base import Segment
from langassist.events import LanguageDistribution, Word

SR = 16000
ENGLISH = LanguageDistribution((("en", 0.94), ("fr", 0.01)))
FRENCH = LanguageDistribution((("fr", 0.97), ("en", 0.01)))


def words(text: str, start_s: float, p: float = 0.6, step_s: float = 0.5) -> tuple[Word, ...]:
    return tuple(Word(start_s + i * step_s, start_s + (i + 1) * step_s, word, p)
                 for i, word in enumerate(text.split()))


def segment(text: str, start_s: float, language: LanguageDistribution | None = ENGLISH, p: float = 0.6) -> Segment:
    spoken = words(text, start_s, p)
    return Segment(start_s, spoken[-1].end_s, text, words=spoken, language=language)


def test_speech_in_input_maps_spans_into_the_joined_pack() -> None:
    pack = [(2 * SR, 6 * SR), (10 * SR, 20 * SR)]
    speech = [(2 * SR, 5 * SR), (5 * SR + SR // 2, 6 * SR), (11 * SR, 19 * SR)]
    gap = fw.PACK_GAP_S
    # the 0.5 s span is too short to read; the second window starts after the first and a gap
    assert fw._speech_in_input(pack, speech) == [
        (0.0, 3.0, 2 * SR, 5 * SR), (4.0 + gap + 1.0, 4.0 + gap + 9.0, 11 * SR, 19 * SR)
    ]
    # one window with two spans: times from the window's start, no gap
    assert fw._speech_in_input([(1 * SR, 12 * SR)], [(1 * SR, 4 * SR), (5 * SR, 12 * SR)]) == [
        (0.0, 3.0, 1 * SR, 4 * SR), (4.0, 11.0, 5 * SR, 12 * SR)
    ]
    # a lone span is the input's own language: nothing to read
    assert fw._speech_in_input([(0, 10 * SR)], [(1 * SR, 9 * SR)]) == []


def test_without_span_drops_the_words_inside_and_splits_a_segment() -> None:
    spanning = segment("one two three four five six", 0.0)  # words 0-3 s, 0.5 s each
    kept = fw._without_span([spanning, Segment(5.0, 6.0, "plain")], 1.0, 2.0)
    assert [(s.text, s.start_s, s.end_s) for s in kept] == [
        ("one two", 0.0, 1.0), ("five six", 2.0, 3.0), ("plain", 5.0, 6.0)
    ]
    assert fw._without_span([Segment(5.0, 6.0, "plain")], 4.0, 7.0) == []


class FakeExtractor:
    """Log-mel frames of an input (all zeros): one per 160 samples, plus one."""

    hop_length = 160

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        return np.zeros((80, audio.size // self.hop_length + 1), dtype=np.float32)


class FakeSpans:
    """A multilingual transcriber whose encoder, detections and window decode are fakes."""

    def __init__(self, own: LanguageDistribution, heard_p: float = 0.8, heard: str = "l'accident a eu lieu") -> None:
        self.batches: list[np.ndarray] = []
        self.heard_p = heard_p
        self.heard = heard

        def encode(features: np.ndarray) -> np.ndarray:
            return np.full((1, features.shape[-1] // 2, 4), -1.0, dtype=np.float32)  # "silence"

        def detect(view: Any) -> list[list[tuple[str, float]]]:
            batch = np.array(view)
            self.batches.append(batch)
            return [[("<|fr|>", 0.6), ("<|en|>", 0.3)] for _ in range(batch.shape[0])]

        model = SimpleNamespace(model=SimpleNamespace(is_multilingual=True, detect_language=detect),
                                encode=encode, feature_extractor=FakeExtractor())
        self.transcriber = fw.FasterWhisperTranscriber("unused", name="fake", options=fw.DecodeOptions(), model=model)
        self.own = own
        self.detections: list[float] = []
        self.decodes: list[tuple[float, str | None, float]] = []
        self.transcriber.detect_language = self.detect_own  # type: ignore[method-assign]
        self.transcriber._decode_window = self.decode  # type: ignore[method-assign]

    def detect_own(self, audio: np.ndarray) -> LanguageDistribution:
        self.detections.append(audio.size / SR)
        return self.own

    def decode(self, window: np.ndarray, language: str | None, offset_s: float, *rest: Any) -> tuple[list[Segment], list[str]]:
        self.decodes.append((offset_s, language, window.size / SR))
        return [segment(self.heard, offset_s + 1.0, language=None, p=self.heard_p)], []


def test_span_languages_keep_each_span_and_silence_elsewhere() -> None:
    fake = FakeSpans(FRENCH)
    encoded = ctranslate2.StorageView.from_array(np.arange(1 * 500 * 4, dtype=np.float32).reshape(1, 500, 4))
    reads = fake.transcriber._span_languages(encoded, 1000, [(1.0, 2.0), (5.5, 9.99)])
    assert [read.top for read in reads] == ["fr", "fr"] and reads[0].probability("en") == pytest.approx(0.3)
    (batch,) = fake.batches
    assert batch.shape == (2, 500, 4)
    original = np.array(encoded)[0]
    # span 1: frames 50-100 from the input, the rest the encoded silence
    assert np.array_equal(batch[0, 50:100], original[50:100]) and (batch[0, :50] == -1).all()
    assert (batch[0, 100:] == -1).all()
    assert np.array_equal(batch[1, 275:500], original[275:500]) and (batch[1, :275] == -1).all()
    # the silence is encoded once per input length
    fake.transcriber._span_languages(encoded, 1000, [(0.0, 1.0)])
    assert list(fake.transcriber._silence) == [1000]
    # many spans: batches of at most SPAN_BATCH
    fake.batches.clear()
    reads = fake.transcriber._span_languages(encoded, 1000, [(i, i + 0.5) for i in range(fw.SPAN_BATCH + 2)])
    assert len(reads) == fw.SPAN_BATCH + 2 and [b.shape[0] for b in fake.batches] == [fw.SPAN_BATCH, 2]


def three_turns() -> tuple[np.ndarray, list[tuple[int, int]], list[Segment]]:
    """English 0-3 s, French 7-13 s (decoded in English: a translation whose words start
    early and spill into the silence after it), English 16-26 s."""
    speech = [(0, 3 * SR), (7 * SR, 13 * SR), (16 * SR, 26 * SR)]
    segments = [segment("stuff it into you", 0.2), segment("the accident took place in a mountainous area", 6.0),
                segment("to the north", 16.0)]
    return np.zeros(27 * SR, dtype=np.float32), speech, segments


def test_a_span_read_as_another_language_and_confirmed_is_decoded_again() -> None:
    fake = FakeSpans(FRENCH)
    audio, speech, segments = three_turns()
    reads = [(0, 3 * SR, ENGLISH), (7 * SR, 13 * SR, LanguageDistribution((("fr", 0.43), ("en", 0.3)))),
             (16 * SR, 26 * SR, ENGLISH)]
    in_track = [Segment(s.start_s + 100.0, s.end_s + 100.0, s.text, language=s.language, words=tuple(
        Word(w.start_s + 100.0, w.end_s + 100.0, w.text, w.probability) for w in s.words)) for s in segments]
    out = fake.transcriber._decode_foreign_spans(audio, 100.0, speech, in_track, reads, [])
    # one detection and one decode, of the French span with up to 1 s of context each
    # side (within the middle of the silences around it), in French
    assert fake.detections == [pytest.approx(8.0)]
    assert fake.decodes == [(pytest.approx(106.0), "fr", pytest.approx(8.0))]
    assert [s.text for s in out] == ["stuff it into you", "l'accident a eu lieu", "to the north"]
    assert out[1].language is not None and out[1].language.top == "fr"


@pytest.mark.parametrize(("read_p", "own", "heard_p"), [
    (0.2, FRENCH, 0.8),  # the read from the input's encoder is too weak to look again
    (0.5, LanguageDistribution((("en", 0.7), ("fr", 0.2))), 0.8),  # its own audio says English
    (0.5, LanguageDistribution((("fr", 0.45), ("en", 0.4))), 0.8),  # French, but not clearly
    # both say French, but the French words are less probable than the English ones
    # (accented English that its own detection calls another language)
    (0.5, FRENCH, 0.4),
])
def test_a_span_is_kept_unless_both_readings_say_another_language_and_the_words_agree(
    read_p: float, own: LanguageDistribution, heard_p: float
) -> None:
    fake = FakeSpans(own, heard_p)
    audio, speech, segments = three_turns()
    reads = [(7 * SR, 13 * SR, LanguageDistribution((("fr", read_p), ("en", 1 - read_p - 0.1))))]
    assert fake.transcriber._decode_foreign_spans(audio, 0.0, speech, segments, reads, []) == segments
    confirmed = read_p >= fw.SPAN_SCREEN_P and own.top == "fr" and own.top_probability >= fw.SPAN_SWITCH_P
    assert len(fake.decodes) == (1 if confirmed else 0)
    # a span read as the language it was decoded in is not looked at at all
    fake.transcriber._decode_foreign_spans(audio, 0.0, speech, segments, [(0, 3 * SR, ENGLISH)], [])
    assert len(fake.detections) == (1 if read_p >= fw.SPAN_SCREEN_P else 0)


def test_a_failed_span_read_skips_the_check_and_keeps_the_decode(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeSpans(FRENCH)

    def broken(view: Any) -> list[Any]:
        raise RuntimeError("out of memory")

    fake.transcriber._model.model.detect_language = broken
    encoded = np.zeros((1, 500, 4), dtype=np.float32)
    reads = fake.transcriber._span_languages(encoded, 1000, [(1.0, 2.0), (3.0, 4.0)])
    assert reads == (LanguageDistribution(), LanguageDistribution())
    assert "span language check skipped" in caplog.text
    audio, speech, segments = three_turns()
    assert fake.transcriber._decode_foreign_spans(audio, 0.0, speech, segments, [(7 * SR, 13 * SR, reads[0])], []) == segments


class FakeTextLanguage:
    """Text language ID: French for text with an apostrophe, else English with
    ``english_p``; records the texts it is asked about."""

    def __init__(self, english_p: float = 0.95) -> None:
        self.english_p = english_p
        self.texts: list[str] = []

    def identify(self, text: str) -> LanguageDistribution:
        self.texts.append(text)
        if "'" in text:
            return LanguageDistribution((("fr", 0.95), ("en", 0.03)))
        return LanguageDistribution((("en", self.english_p), ("fr", 1 - self.english_p)))


def french_decoded_as_english() -> tuple[np.ndarray, list[tuple[int, int]], list[Segment]]:
    """three_turns, with the pack decoded under the French token: the French turn's words
    are an English translation, the English turns' are English."""
    audio, speech, segments = three_turns()
    return audio, speech, [Segment(s.start_s, s.end_s, s.text, words=s.words, language=FRENCH) for s in segments]


def test_a_span_decoded_in_its_language_but_written_as_a_translation_is_decoded_again() -> None:
    fake = FakeSpans(FRENCH)
    fake.transcriber.text_identifier = FakeTextLanguage()
    audio, speech, segments = french_decoded_as_english()
    out = fake.transcriber._decode_foreign_spans(audio, 0.0, speech, segments, [(7 * SR, 13 * SR, FRENCH)], [])
    assert fake.decodes == [(pytest.approx(6.0), "fr", pytest.approx(8.0))]
    assert [s.text for s in out] == ["stuff it into you", "l'accident a eu lieu", "to the north"]
    assert fake.transcriber.text_identifier.texts[0] == "the accident took place in a mountainous area"


@pytest.mark.parametrize(("read_p", "english_p", "own", "heard", "heard_p", "detected", "decoded"), [
    (0.7, 0.95, FRENCH, "l'accident a eu lieu", 0.8, False, False),  # the span's read is not sure enough
    (0.97, 0.7, FRENCH, "l'accident a eu lieu", 0.8, False, False),  # the words are not surely English
    (0.97, 0.95, LanguageDistribution((("fr", 0.7), ("en", 0.2))), "l'accident a eu lieu", 0.8, True, False),
    (0.97, 0.95, FRENCH, "the accident took place", 0.8, True, True),  # Whisper writes English again
    (0.97, 0.95, FRENCH, "l'accident a eu lieu", 0.5, True, True),  # the new words are less probable
])
def test_a_translation_is_redone_only_when_every_reading_agrees(
    read_p: float, english_p: float, own: LanguageDistribution, heard: str, heard_p: float,
    detected: bool, decoded: bool,
) -> None:
    fake = FakeSpans(own, heard_p, heard)
    fake.transcriber.text_identifier = FakeTextLanguage(english_p)
    audio, speech, segments = french_decoded_as_english()
    reads = [(7 * SR, 13 * SR, LanguageDistribution((("fr", read_p), ("en", 1 - read_p))))]
    assert fake.transcriber._decode_foreign_spans(audio, 0.0, speech, segments, reads, []) == segments
    assert (len(fake.detections), len(fake.decodes)) == (int(detected), int(decoded))


def test_too_few_words_or_no_text_identifier_leave_a_translation_alone() -> None:
    audio, speech, segments = french_decoded_as_english()
    reads = [(7 * SR, 13 * SR, FRENCH)]
    fake = FakeSpans(FRENCH)  # no text language ID
    assert fake.transcriber._decode_foreign_spans(audio, 0.0, speech, segments, reads, []) == segments
    fake.transcriber.text_identifier = FakeTextLanguage()
    short = [segments[0], Segment(8.0, 9.5, "the accident took", words=words("the accident took", 8.0),
                                  language=FRENCH), segments[2]]
    assert fake.transcriber._decode_foreign_spans(audio, 0.0, speech, short, reads, []) == short
    assert fake.detections == [] and fake.decodes == []


@pytest.mark.parametrize(("heard_p", "replaced"), [(0.45, False), (0.55, True)])
def test_new_words_must_be_probable_in_themselves(heard_p: float, replaced: bool) -> None:
    """A garbled turn (words p 0.3) decoded again as another garble gains, but stays
    under SPAN_SWITCH_MIN_P: kept as it was."""
    fake = FakeSpans(FRENCH, heard_p)
    audio, speech, _ = three_turns()
    garbled = [segment("stuff it into you", 0.2), segment("the axe dent to place in a mountain", 7.0, p=0.3),
               segment("to the north", 16.0)]
    reads = [(7 * SR, 13 * SR, LanguageDistribution((("fr", 0.5), ("en", 0.4))))]
    out = fake.transcriber._decode_foreign_spans(audio, 0.0, speech, garbled, reads, [])
    assert len(fake.decodes) == 1
    assert (out != garbled) is replaced
