import numpy as np

from langassist.backends.base import Segment
from langassist.backends.fake import ScriptedTranscriber
from langassist.backends.faster_whisper import plan_windows
from langassist.events import LanguageDistribution, Word
from langassist.stages.asr import plan_blocks, transcribe_track

SR = 16000


def test_plan_windows_merges_close_spans_and_splits_long_ones() -> None:
    spans = [(0, SR * 2), (SR * 3, SR * 5), (SR * 20, SR * 22)]
    assert plan_windows(spans, total_samples=SR * 30) == [(0, SR * 5), (SR * 20, SR * 22)]
    long = plan_windows([(0, SR * 70)], total_samples=SR * 70)
    assert len(long) == 3
    assert all(end - start <= 28 * SR for start, end in long)
    assert long[0][0] == 0 and long[-1][1] == SR * 70


def test_plan_windows_widens_by_context_but_not_past_a_pause_middle() -> None:
    spans = [(SR * 2, SR * 5), (SR * 8, SR * 10)]
    windows = plan_windows(spans, total_samples=SR * 11, context_s=1.0)
    # 1 s of lead-in and tail each, but the 3 s pause is split at its middle (6.5 s),
    # and the last window stops at the end of the audio.
    assert windows == [(SR * 1, SR * 6), (SR * 7, SR * 11)]
    tight = plan_windows([(SR * 2, SR * 5), (SR * 8, SR * 10)], total_samples=SR * 10, context_s=2.0)
    assert tight == [(0, int(SR * 6.5)), (int(SR * 6.5), SR * 10)]
    # a full-length window keeps within Whisper's 30 s input
    full = plan_windows([(SR * 5, SR * 33)], total_samples=SR * 40, context_s=5.0)
    assert full == [(SR * 4, SR * 34)]
    assert plan_windows([(0, SR)], total_samples=SR, context_s=1.0) == [(0, SR)]


def test_plan_blocks_cuts_at_quiet_points() -> None:
    rng = np.random.default_rng(0)
    samples = rng.normal(0, 0.3, SR * 250).astype(np.float32)
    samples[SR * 118: SR * 119] = 0.0  # a quiet second near the first boundary
    blocks = plan_blocks(samples, block_s=120)
    assert blocks[0][0] == 0 and blocks[-1][1] == samples.size
    assert SR * 118 <= blocks[0][1] <= SR * 119
    assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:], strict=False))
    assert plan_blocks(np.zeros(0, np.float32)) == []


def test_transcribe_track_applies_guards_and_numbers_utterances() -> None:
    es = LanguageDistribution.from_mapping({"es": 0.9, "it": 0.1})
    script = [
        Segment(0.0, 1.5, "Hola, buenas tardes.", (Word(0.0, 0.5, "Hola,", 0.9),), -0.2, 0.01, 1.1),
        Segment(2.0, 3.0, "Subtitles by Amara.org", (), -0.9, 0.7, 1.0),
        Segment(3.0, 5.0, "No entiendo la factura.", (), -0.3, 0.02, 1.0),
    ]
    fake = ScriptedTranscriber([script], language=es)
    progress: list[float] = []
    track = transcribe_track(fake, np.zeros(SR * 6, np.float32), call_id="c1", track="customer",
                             on_progress=progress.append)
    assert [u.text for u in track.utterances] == ["Hola, buenas tardes.", "No entiendo la factura."]
    assert [u.utterance_id for u in track.utterances] == ["customer-0001", "customer-0002"]
    assert track.language is not None and track.language.top == "es"
    assert any("caption" in note for note in track.notes)
    assert progress == [6.0]


def test_offsets_are_absolute_across_blocks() -> None:
    script = [Segment(1.0, 2.0, "first block words here", (), -0.2, 0.0, 1.0)]
    fake = ScriptedTranscriber([script, script])
    samples = np.zeros(SR * 130, np.float32)
    track = transcribe_track(fake, samples, call_id="c", track="agent", block_s=100)
    starts = [u.start_s for u in track.utterances]
    assert starts[0] == 1.0
    assert 95.0 < starts[1] < 107.0  # second block begins within 5 s of 100 s
