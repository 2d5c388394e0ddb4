import dataclasses

import numpy as np
import pytest

from langassist.asr_merge import MergeOptions, merge_continuations
from langassist.backends.base import Segment
from langassist.backends.fake import ScriptedTranscriber
from langassist.config import AsrSettings, Settings
from langassist.errors import ConfigError
from langassist.events import LanguageDistribution, Word
from langassist.service import merge_options
from langassist.stages.asr import transcribe_track

SR = 16000
EN = LanguageDistribution.from_mapping({"en": 0.9, "de": 0.1})


def _segment(start: float, end: float, text: str, *, language: LanguageDistribution | None = EN,
             logprob: float = -0.2) -> Segment:
    tokens = text.split()
    step = (end - start) / len(tokens)
    words = tuple(
        Word(start + i * step, start + (i + 1) * step, token, 0.9) for i, token in enumerate(tokens)
    )
    return Segment(start, end, " " + text, words, logprob, 0.05, 1.2, 0.0, language)


def test_a_segment_cut_mid_sentence_is_joined_with_the_next() -> None:
    first = _segment(0.7, 12.8, "wait for the light to go solid green before the", logprob=-0.2)
    second = _segment(12.8, 13.4, "DHCP lease renews.", logprob=-1.0)
    [joined] = merge_continuations([first, second])
    assert joined.text.strip() == "wait for the light to go solid green before the DHCP lease renews."
    assert (joined.start_s, joined.end_s) == (0.7, 13.4)
    assert joined.words == first.words + second.words
    # word-weighted: 10 words at -0.2, 3 at -1.0
    assert joined.avg_logprob == pytest.approx((10 * -0.2 + 3 * -1.0) / 13)
    assert joined.language == EN
    assert joined.compression_ratio is not None and joined.compression_ratio > 0


def test_sentence_ends_long_pauses_and_another_language_keep_segments_apart() -> None:
    done = _segment(0.0, 2.0, "Your order has shipped.")
    question = _segment(2.1, 3.0, "Anything else?")
    assert len(merge_continuations([done, question])) == 2
    open_ = _segment(0.0, 2.0, "so what I would")
    later = _segment(3.0, 4.0, "do is restart it.")
    assert len(merge_continuations([open_, later])) == 2  # 1 s of silence
    es = LanguageDistribution.from_mapping({"es": 0.8, "en": 0.2})
    spanish = _segment(2.1, 3.0, "no entiendo nada", language=es)
    assert len(merge_continuations([open_, spanish])) == 2
    # an ellipsis leaves the thought open: joined
    trailing = _segment(0.0, 2.0, "let me see...")
    assert len(merge_continuations([trailing, _segment(2.2, 3.0, "yes, here it is.")])) == 1


def test_joined_utterances_stop_at_the_duration_cap_and_chains_join() -> None:
    parts = [_segment(i * 5.0, i * 5.0 + 4.9, f"part {i} goes on and") for i in range(10)]
    merged = merge_continuations(parts, MergeOptions(max_duration_s=20.0))
    assert [len(segment.words) for segment in merged] == [20, 20, 10]
    assert all(segment.end_s - segment.start_s <= 20.0 for segment in merged)
    assert merge_continuations(parts, MergeOptions(max_gap_s=None)) == parts


def test_scripts_without_spaces_are_joined_without_one() -> None:
    ja = LanguageDistribution.from_mapping({"ja": 0.9})
    first = Segment(0.0, 1.0, "申し訳ありませんが、", (), -0.3, 0.1, 1.0, 0.0, ja)
    second = Segment(1.0, 2.0, "もう一度お願いします。", (), -0.3, 0.1, 1.0, 0.0, ja)
    [joined] = merge_continuations([first, second])
    assert joined.text == "申し訳ありませんが、もう一度お願いします。"


def test_parts_of_two_windows_mix_their_language_distributions() -> None:
    other = LanguageDistribution.from_mapping({"en": 0.5, "nl": 0.5})
    [joined] = merge_continuations([
        _segment(0.0, 3.0, "the router is", language=EN),
        _segment(3.1, 4.0, "on the shelf.", language=other),
    ])
    assert joined.language is not None and joined.language.top == "en"
    assert joined.language.probability("nl") == pytest.approx(0.5 * 0.9 / 3.9)


def test_words_repeated_across_the_boundary_are_written_once() -> None:
    first = _segment(0.7, 12.8, "wait for it to go solid green before the")
    repeat = Segment(12.8, 13.4, " the DHCP lease.", (
        Word(12.8, 12.9, "the", 0.17), Word(12.9, 13.2, "DHCP", 0.6), Word(13.2, 13.4, "lease.", 0.5),
    ), -1.5, 0.05, 1.0, 0.0, EN)
    [joined] = merge_continuations([first, repeat])
    assert joined.text.strip() == "wait for it to go solid green before the DHCP lease."
    assert [w.text for w in joined.words][-4:] == ["before", "the", "DHCP", "lease."]
    two = _segment(0.0, 2.0, "I will check the router")
    again = _segment(2.05, 3.0, "The router, again, is fine.")
    assert merge_continuations([two, again])[0].text.strip() == "I will check the router again, is fine."
    # the same word after a pause is speech, not an artifact: kept
    spaced = dataclasses.replace(repeat, start_s=13.3, end_s=14.0, words=tuple(
        dataclasses.replace(w, start_s=w.start_s + 0.5, end_s=w.end_s + 0.5) for w in repeat.words))
    assert "the the DHCP" in merge_continuations([first, spaced])[0].text
    # without word timestamps nothing is dropped
    bare = [dataclasses.replace(first, words=()), dataclasses.replace(repeat, words=())]
    assert "the the DHCP" in merge_continuations(bare)[0].text


def test_empty_text_is_never_joined() -> None:
    blank = dataclasses.replace(_segment(0.0, 1.0, "x"), text="  ")
    assert len(merge_continuations([blank, _segment(1.0, 2.0, "hello there.")])) == 2


def test_transcribe_track_joins_continuations_and_numbers_the_utterances() -> None:
    script = [
        _segment(0.0, 5.0, "once that completes you will need to"),
        _segment(5.0, 6.0, "power cycle the gateway."),
        _segment(7.5, 9.0, "Does that make sense?"),
    ]
    fake = ScriptedTranscriber([script], language=EN)
    track = transcribe_track(fake, np.zeros(SR * 10, np.float32), call_id="c", track="agent")
    assert [u.text for u in track.utterances] == [
        "once that completes you will need to power cycle the gateway.",
        "Does that make sense?",
    ]
    assert [u.utterance_id for u in track.utterances] == ["agent-0001", "agent-0002"]
    kept = transcribe_track(ScriptedTranscriber([script], language=EN), np.zeros(SR * 10, np.float32),
                            call_id="c", track="agent", merge=MergeOptions(max_gap_s=None))
    assert len(kept.utterances) == 3


def test_merge_options_follow_the_settings_defaults() -> None:
    defaults = AsrSettings()
    assert MergeOptions() == MergeOptions(defaults.merge_gap_s, defaults.merge_max_s)
    assert merge_options(Settings()) == MergeOptions()
    with pytest.raises(ConfigError, match="asr.merge_gap_s"):
        AsrSettings(merge_gap_s=-1.0)
