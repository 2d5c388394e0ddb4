"""``asr.pack_windows`` and ``asr.encode_once`` of the faster-whisper backend, without a
model: window packing, time mapping back to the track, the re-decode of a window that a
packed decode skipped, and the encoder-output cache."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from langassist.backends import faster_whisper as fw
from langassist.backends.base import Segment
from langassist.events import Word

SR = 16000


def test_pack_windows_fills_inputs_up_to_the_limit() -> None:
    windows = [(0, 5 * SR), (20 * SR, 25 * SR), (40 * SR, 60 * SR), (70 * SR, 72 * SR)]
    packs = fw.pack_windows(windows, max_window_s=28.0, gap_s=0.3)
    assert packs == [[windows[0], windows[1]], [windows[2], windows[3]]]
    # a window longer than the limit stays alone
    assert fw.pack_windows([(0, 30 * SR), (31 * SR, 32 * SR)], max_window_s=28.0) == [
        [(0, 30 * SR)], [(31 * SR, 32 * SR)]
    ]
    assert fw.pack_windows([]) == []


def test_join_and_unpack_map_times_back_to_the_track() -> None:
    audio = np.arange(40 * SR, dtype=np.float32)
    pack = [(2 * SR, 4 * SR), (30 * SR, 33 * SR)]
    joined, pieces = fw._join(audio, pack, offset_s=100.0)
    gap = int(fw.PACK_GAP_S * SR)
    assert joined.size == 2 * SR + gap + 3 * SR
    assert joined[0] == 2 * SR and joined[2 * SR + gap] == 30 * SR and not joined[2 * SR:2 * SR + gap].any()
    second = 2.0 + fw.PACK_GAP_S
    words = (
        Word(0.5, 1.0, "hello", 0.9), Word(1.2, 1.9, "there,", 0.9),
        Word(second + 0.1, second + 0.6, "how", 0.8), Word(second + 0.7, second + 1.2, "are", 0.8),
    )
    spanning = Segment(0.4, second + 1.3, "hello there, how are", words=words, avg_logprob=-0.2)
    plain = Segment(second + 2.0, second + 2.9, "you")
    out = fw._unpack([spanning, plain], pieces)
    assert [(s.start_s, s.end_s, s.text) for s in out] == [
        (102.5, 103.9, "hello there,"), (130.1, 131.2, "how are"), (132.0, 132.9, "you"),
    ]
    assert [w.start_s for w in out[1].words] == [130.1, 130.7]
    assert out[0].avg_logprob == -0.2
    # a word in the gap goes to the nearer window and is clamped into it
    (clamped,) = fw._unpack([Segment(2.05, 2.1, "uh", words=(Word(2.05, 2.1, "uh", 0.5),))], pieces)
    assert (clamped.start_s, clamped.end_s) == (104.0, 104.0)


def test_unheard_lists_windows_without_segments() -> None:
    pack = [(0, 2 * SR), (10 * SR, 14 * SR), (20 * SR, 20 * SR + SR // 4)]
    heard = [Segment(0.5, 1.5, "hi")]
    # the third window is under half a second: not worth a decode of its own
    assert fw._unheard(pack, heard, offset_s=0.0) == [(10 * SR, 14 * SR)]
    assert fw._unheard(pack, [*heard, Segment(12.0, 13.0, "yes")], offset_s=0.0) == []


class FakeWhisper:
    """A stand-in for ``WhisperModel`` (English only) that hears only the first second of
    any input it is given, as Whisper does when it ends a packed input early."""

    def __init__(self) -> None:
        self.model = SimpleNamespace(is_multilingual=False)
        self.inputs: list[int] = []

    def transcribe(self, window: np.ndarray, **options: Any) -> tuple[Any, Any]:
        self.inputs.append(window.size)
        word = SimpleNamespace(start=0.1, end=0.6, word=" word", probability=0.9)
        raw = SimpleNamespace(start=0.1, end=0.6, text=" word", words=[word], avg_logprob=-0.1,
                              no_speech_prob=0.01, compression_ratio=1.0, temperature=0.0)
        return iter([raw]), SimpleNamespace(all_language_probs=None)


def fake_transcriber(pack: bool) -> tuple[fw.FasterWhisperTranscriber, FakeWhisper]:
    model = FakeWhisper()
    options = fw.DecodeOptions(pack_windows=pack, vad_window_context_s=0.0, one_pass=False)  # faster-whisper's loop
    transcriber = fw.FasterWhisperTranscriber("unused", name="fake", options=options, model=model)
    spans = [(1 * SR, 3 * SR), (10 * SR, 12 * SR), (20 * SR, 22 * SR)]
    transcriber._speech_spans = lambda audio: spans  # type: ignore[method-assign]
    return transcriber, model


def test_packed_decode_redoes_the_windows_it_missed() -> None:
    audio = np.zeros(30 * SR, dtype=np.float32)
    unpacked, model = fake_transcriber(pack=False)
    result = unpacked.transcribe(audio, offset_s=5.0)
    assert len(model.inputs) == 3 and [s.start_s for s in result.segments] == [6.1, 15.1, 25.1]
    packed, model = fake_transcriber(pack=True)
    result = packed.transcribe(audio, offset_s=5.0)
    # one packed input (6 s of speech and two gaps); the two windows it did not reach,
    # packed again; the last one, still unheard, alone
    gap = int(fw.PACK_GAP_S * SR)
    assert model.inputs == [3 * 2 * SR + 2 * gap, 2 * 2 * SR + gap, 2 * SR]
    assert [s.start_s for s in result.segments] == [6.1, 15.1, 25.1]
    assert packed.describe()["pack_windows"] is True


def test_encoder_cache_reuses_only_the_held_features() -> None:
    calls: list[np.ndarray] = []

    def encode(features: np.ndarray) -> str:
        calls.append(features)
        return f"encoded {len(calls)}"

    model = SimpleNamespace(encode=encode)
    cache = fw._EncoderCache.install(model)
    assert fw._EncoderCache.install(model) is cache and model.encode is cache
    held = np.ones((80, 3000), dtype=np.float32)
    cache.hold(held, "held output")
    assert model.encode(held.copy()) == "held output" and not calls
    assert model.encode(np.zeros((80, 3000), dtype=np.float32)) == "encoded 1"
    cache.release()
    assert model.encode(held) == "encoded 2"


def test_silent_tail_is_the_window_after_its_last_speech() -> None:
    speech = [(1 * SR, 3 * SR), (5 * SR, 8 * SR), (20 * SR, 21 * SR)]
    assert fw._silent_tail_s((0, 9 * SR), speech) == 1.0
    assert fw._silent_tail_s((0, 7 * SR), speech) == 0.0  # speech runs past the window end
    assert fw._silent_tail_s((9 * SR, 12 * SR), speech) == 0.0  # no speech inside: nothing known
    assert fw._silent_tail_s((0, 9 * SR), None) == 0.0


def one_pass_transcriber(heard_s: list[float]) -> tuple[fw.FasterWhisperTranscriber, list[tuple[int, float]]]:
    """A transcriber whose every encoder pass hears ``heard_s[i]`` seconds of its input
    (one word ending there), recording (input samples, offset) per pass."""
    options = fw.DecodeOptions(one_pass=True, vad_window_context_s=0.0)
    transcriber = fw.FasterWhisperTranscriber("unused", name="fake", options=options, model=FakeWhisper())
    passes: list[tuple[int, float]] = []

    def hear(window: np.ndarray, offset_s: float) -> list[Segment]:
        heard = heard_s[len(passes)]
        passes.append((window.size, offset_s))
        if heard <= 0:
            return []
        word = Word(offset_s + heard - 0.4, offset_s + heard, "word", 0.9)
        return [Segment(offset_s, offset_s + heard, "word", words=(word,))]

    def first(inputs: list[Any]) -> list[tuple[list[Segment], None, str]]:
        assert not passes  # the first pass of each window comes first
        return [(hear(entry.window, entry.offset_s), None, "en", ()) for entry in inputs]

    def fitted(window: np.ndarray, language: Any, offset_s: float, prompt: Any, *,
               full_input: bool = False, pad_s: float | None = None) -> list[Segment]:
        assert passes and not full_input and pad_s == fw.TAIL_PAD_S  # tails: fitted inputs
        return hear(window, offset_s)

    transcriber._first_passes = first  # type: ignore[method-assign]
    transcriber._decode_fitted = fitted  # type: ignore[method-assign]
    return transcriber, passes


def test_one_pass_encodes_a_tail_again_only_when_speech_remains() -> None:
    audio = np.zeros(20 * SR, dtype=np.float32)
    speech = [(2 * SR, 12 * SR)]  # one window, 2-12 s (no context)
    # the first pass hears 7.5 s (to 9.5 s): 2.5 s of speech remain, so a second pass
    # from the last word to the window end, which hears the rest
    transcriber, passes = one_pass_transcriber([7.5, 2.4])
    transcriber._speech_spans = lambda a: speech  # type: ignore[method-assign]
    result = transcriber.transcribe(audio, offset_s=0.0)
    assert passes == [(10 * SR, 2.0), (int(2.5 * SR), 9.5)]
    assert [s.end_s for s in result.segments] == [9.5, 11.9]
    # the pass got within 1 s of the speech end: no second encoder pass
    transcriber, passes = one_pass_transcriber([9.2])
    transcriber._speech_spans = lambda a: speech  # type: ignore[method-assign]
    transcriber.transcribe(audio)
    assert len(passes) == 1
    # nothing heard: no retry
    transcriber, passes = one_pass_transcriber([0.0])
    transcriber._speech_spans = lambda a: speech  # type: ignore[method-assign]
    assert transcriber.transcribe(audio).segments == () and len(passes) == 1


def words_at(spec: list[tuple[str, float, float]]) -> tuple[Word, ...]:
    return tuple(Word(start, end, text, 0.9) for text, start, end in spec)


def test_repeated_phrase_ignores_case_and_punctuation() -> None:
    assert fw.repeated_phrase("ask what you can do. Ask what you can do".split()) == "ask what you can do"
    assert fw.repeated_phrase("we can we can".split()) is None  # under three words
    assert fw.repeated_phrase([]) is None


def test_squeezed_repeat_is_dropped_and_a_spoken_one_kept() -> None:
    said = [("ask", 0.0, 0.7), ("what", 0.7, 1.0), ("you", 1.0, 1.3), ("can", 1.3, 1.5), ("do.", 1.5, 1.8)]
    looped = [("Ask", 2.3, 2.3), ("what", 2.3, 2.3), ("you", 2.3, 2.3), ("can", 2.3, 2.3), ("do.", 2.3, 2.45)]
    segment = Segment(0.0, 2.45, "ask what you can do. Ask what you can do.", words=words_at(said + looped))
    kept, dropped = fw.drop_squeezed_repeats([segment])
    assert dropped == 5 and [s.text for s in kept] == ["ask what you can do."] and kept[0].end_s == 1.8
    # the speaker really said it twice: the copy takes as long as the first
    spoken = [(t, a + 2.0, b + 2.0) for t, a, b in said]
    again = Segment(0.0, 3.8, "ask what you can do. ask what you can do.", words=words_at(said + spoken))
    assert fw.drop_squeezed_repeats([again]) == ([again], 0)
    # a loop of a short phrase, many times over, and a segment of its own
    loop = Segment(1.0, 1.96, "And so and so and so and so",
                   words=words_at([("And", 1.0, 1.7), ("so", 1.7, 1.96)] + [(w, 1.96, 1.96) for w in ["and", "so"] * 3]))
    tail = Segment(1.96, 1.96, "and so", words=words_at([("and", 1.96, 1.96), ("so", 1.96, 1.96)]))
    kept, dropped = fw.drop_squeezed_repeats([loop, tail])
    assert [s.text for s in kept] == ["And so"] and dropped == 8


class _FakeReader:
    """A fake text identifier: ``table`` maps a text to (top language, probability, spans)."""

    name = "fake-reader"

    def __init__(self, table: dict[str, tuple[str, float, tuple[tuple[int, int, str], ...]]], spans: bool) -> None:
        self.table = table
        if not spans:
            self.analyze = None  # type: ignore[assignment]

    def identify(self, text: str) -> object:
        from langassist.events import LanguageDistribution

        top, p, _ = self.table[text]
        return LanguageDistribution(((top, p),))

    def analyze(self, text: str) -> object:  # type: ignore[no-redef]
        from types import SimpleNamespace

        top, p, spans = self.table[text]
        return SimpleNamespace(distribution=self.identify(text), spans=spans)


def test_switched_windows_are_the_texts_in_another_language() -> None:
    from langassist.backends.faster_whisper import switched_windows

    table = {
        "check my order": ("en", 0.99, ()),
        "Los llanto, no,": ("es", 0.99, ()),
        "Los llanto, no endo, no can stand it": ("en", 0.96, ((0, 20, "es"), (21, 36, "en"))),
        "weak": ("es", 0.4, ()),
    }
    texts = list(table)
    with_spans = _FakeReader(table, spans=True)
    assert switched_windows(texts, "en", with_spans) == {1, 2}  # a Spanish span is enough
    assert switched_windows(texts, "es", with_spans) == {0, 2}  # 2's English span, and 0
    assert switched_windows(texts, "en", _FakeReader(table, spans=False)) == {1}  # top language only
    assert switched_windows(["", "  "], "en", with_spans) == set()
    assert switched_windows(texts, None, with_spans) == set()


def test_the_service_gives_packing_transcribers_a_lazy_text_identifier(monkeypatch) -> None:
    from langassist import service
    from langassist.backends import faster_whisper as fw
    from langassist.langid.factory import LazyEnsembleIdentifier

    made: list[dict[str, object]] = []

    class Capture:
        def __init__(self, model_dir: object, **kwargs: object) -> None:
            made.append(kwargs)

    monkeypatch.setattr(fw, "FasterWhisperTranscriber", Capture)
    for packing in (False, True):
        settings = service.load_settings(overrides={"asr.pack_windows": packing}, environ={})
        service.create_transcriber(settings, model_dir="unused")
    assert made[0]["text_identifier"] is None
    identifier = made[1]["text_identifier"]
    assert isinstance(identifier, LazyEnsembleIdentifier) and identifier._identifier is None  # not built yet


def test_unheard_speech_lists_speech_a_heard_window_left_out() -> None:
    window = (0, 30 * SR)
    speech = [(1 * SR, 5 * SR), (8 * SR, 12 * SR), (13 * SR, 19 * SR), (21 * SR, 29 * SR)]
    # Whisper heard the first and the last turn, and skipped the two in between
    heard = [Segment(1.0, 5.0, "first"), Segment(21.2, 28.8, "last")]
    runs = fw._unheard_speech([window], speech, heard, offset_s=0.0)
    pad = fw.UNHEARD_SLACK_S + fw.UNHEARD_PAD_S
    # one stretch (their gap is under 2 s), not counting the slivers at the edges of the
    # last segment (timestamps are not that exact), decoded with some of its surroundings
    assert runs == [(int((8 - pad) * SR), int((19 + pad) * SR))]
    # the input never reaches into a segment
    tight = [Segment(1.0, 7.9, "first"), Segment(19.1, 28.8, "last")]
    assert fw._unheard_speech([window], speech, tight, offset_s=0.0) == [(int(7.9 * SR), int(19.1 * SR))]
    # times in the track: the segments are offset, the spans are not
    shifted = [Segment(s.start_s + 100.0, s.end_s + 100.0, s.text) for s in heard]
    assert fw._unheard_speech([window], speech, shifted, offset_s=100.0) == runs


def test_unheard_speech_ignores_short_gaps_and_windows_with_nothing_heard() -> None:
    speech = [(1 * SR, 6 * SR)]
    # the segment ends 1 s before the speech does: under 1.5 s
    assert fw._unheard_speech([(0, 7 * SR)], speech, [Segment(1.0, 5.0, "x")], offset_s=0.0) == []
    # a window nothing was decoded in is not this check's (silence, or _unheard's)
    assert fw._unheard_speech([(0, 7 * SR), (10 * SR, 20 * SR)], [*speech, (11 * SR, 19 * SR)],
                              [Segment(1.0, 6.0, "x")], offset_s=0.0) == []
    # a segment between two uncovered pieces keeps them apart (2 s, then 1 s: too short)
    segments = [Segment(2.5, 3.5, "a"), Segment(5.5, 6.5, "b")]
    assert fw._unheard_speech([(0, 10 * SR)], [(0, 10 * SR)], segments, offset_s=0.0) == [
        (0, int(2.5 * SR)), (int(6.5 * SR), 10 * SR)
    ]


def test_speech_skipped_mid_window_is_decoded_again_alone() -> None:
    """One window of three turns: Whisper (faked, English only) skips the middle one;
    that stretch is decoded again on its own, and its segment joins the rest."""
    options = fw.DecodeOptions(one_pass=False, vad_window_context_s=0.0)
    transcriber = fw.FasterWhisperTranscriber("unused", name="fake", options=options, model=FakeWhisper())
    speech = [(1 * SR, 5 * SR), (7 * SR, 19 * SR), (21 * SR, 29 * SR)]
    transcriber._speech_spans = lambda audio: speech  # type: ignore[method-assign]
    calls: list[tuple[float, float, Any]] = []

    def decode(window: np.ndarray, language: Any, offset_s: float, prompt: Any = None,
               tail_s: float = 0.0) -> tuple[list[Segment], list[str]]:
        calls.append((offset_s, window.size / SR, language))
        if len(calls) == 1:  # the whole window: the middle turn left out
            return [Segment(51.0, 55.0, "first"), Segment(71.0, 79.0, "last")], []
        return [Segment(offset_s + 0.8, offset_s + 12.5, "the middle")], []

    transcriber._decode_window = decode  # type: ignore[method-assign]
    result = transcriber.transcribe(np.zeros(30 * SR, dtype=np.float32), offset_s=50.0)
    pad = fw.UNHEARD_SLACK_S + fw.UNHEARD_PAD_S
    assert calls[0][:2] == (51.0, 28.0)
    assert calls[1] == (pytest.approx(50.0 + 7 - pad), pytest.approx(12 + 2 * pad), "en")
    assert [s.text for s in result.segments] == ["first", "the middle", "last"]
    assert len(calls) == 2  # the stretch decoded alone is not checked again
