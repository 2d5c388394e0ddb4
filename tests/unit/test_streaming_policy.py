"""LocalAgreement commit policy, buffer, prompt and endpointer: exactly what commits when."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from langassist.backends.base import Segment
from langassist.backends.energy_vad import EnergyVad
from langassist.backends.fake import ScriptedTranscriber
from langassist.config import StreamingSettings
from langassist.core.audio_replay import replay_audio
from langassist.events import TranscriptFinal, TranscriptPartial, Word
from langassist.stages.streaming_asr import StreamingAsrStage
from langassist.streaming import (
    AudioBuffer,
    Endpointer,
    EndpointOptions,
    LocalAgreement,
    build_prompt,
    choose_trim_time,
)


def words(text: str, start_s: float = 0.0, step_s: float = 0.5) -> tuple[Word, ...]:
    return tuple(
        Word(start_s=start_s + i * step_s, end_s=start_s + i * step_s + 0.4, text=t, probability=0.9)
        for i, t in enumerate(text.split())
    )


def texts(items: tuple[Word, ...]) -> list[str]:
    return [w.text for w in items]


def test_commits_common_prefix_of_two_consecutive_hypotheses() -> None:
    policy = LocalAgreement(2)
    step = policy.insert(words("hello there"))
    assert step.committed == () and texts(step.tail) == ["hello", "there"]
    step = policy.insert(words("hello their friend"))
    assert texts(step.committed) == ["hello"]
    assert texts(step.tail) == ["their", "friend"]
    step = policy.insert(words("hello their friend how"))
    assert texts(step.committed) == ["their", "friend"]
    assert texts(policy.committed) == ["hello", "their", "friend"]
    assert texts(step.tail) == ["how"]


def test_case_and_punctuation_do_not_block_agreement_and_newest_spelling_wins() -> None:
    policy = LocalAgreement(2)
    policy.insert(words("so you"))
    step = policy.insert(words("So, you, know"))
    assert texts(step.committed) == ["So,", "you,"]


def test_committed_words_repeated_by_the_engine_are_not_committed_twice() -> None:
    policy = LocalAgreement(2)
    policy.insert(words("one two three"))
    policy.insert(words("one two three"))
    assert texts(policy.committed) == ["one", "two", "three"]
    # the buffer still holds that audio: the engine says it again with shifted times
    step = policy.insert(words("one two three four", start_s=0.05))
    assert step.committed == () and texts(step.tail) == ["four"]
    step = policy.insert(words("one two three four five", start_s=0.05))
    assert texts(step.committed) == ["four"]


def test_agreement_one_commits_each_hypothesis_and_three_needs_three() -> None:
    eager = LocalAgreement(1)
    assert texts(eager.insert(words("a b")).committed) == ["a", "b"]
    strict = LocalAgreement(3)
    strict.insert(words("a b"))
    assert strict.insert(words("a b")).committed == ()
    assert texts(strict.insert(words("a c")).committed) == ["a"]


def test_take_keeps_committed_end_and_reset_forgets() -> None:
    policy = LocalAgreement(2)
    policy.insert(words("a b c"))
    policy.insert(words("a b c"))
    assert texts(policy.take(2)) == ["a", "b"]
    assert texts(policy.committed) == ["c"]
    assert policy.committed_end_s == 1.4
    policy.reset()
    assert policy.committed == () and policy.committed_end_s is None


@given(st.lists(st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=6), min_size=1, max_size=8))
def test_committed_text_only_grows_and_is_a_prefix_of_some_hypothesis(hypotheses: list[list[str]]) -> None:
    policy = LocalAgreement(2)
    previous: tuple[Word, ...] = ()
    for tokens in hypotheses:
        policy.insert(words(" ".join(tokens)))
        assert policy.committed[: len(previous)] == previous
        previous = policy.committed
        joined = texts(policy.committed + policy.tail)
        assert joined[: len(policy.committed)] == texts(policy.committed)


def test_stage_with_scripted_engine_states_exactly_what_commits_when() -> None:
    # 1 s silence, 2.5 s "speech" (noise), 1 s silence; chunks of 0.1 s; energy VAD.
    rng = np.random.default_rng(0)
    audio = np.zeros(int(4.5 * 16000), dtype=np.float32)
    audio[16000:56000] = 0.1 * rng.standard_normal(40000).astype(np.float32)

    def segment(text: str) -> Segment:
        ws = words(text, start_s=0.2)  # relative to the buffer; the fake adds offset_s
        return Segment(start_s=ws[0].start_s, end_s=ws[-1].end_s, text=text, words=ws,
                       avg_logprob=-0.2, no_speech_prob=0.01)

    engine = ScriptedTranscriber([
        [segment("please")],                            # 0.6 s of utterance: first decode
        [segment("please restart the")],                # +1.0 s
        [segment("please restart the router")],         # +1.0 s (speech ends at 3.5 s)
        [segment("please restart the router.")],        # eager: 0.2 s of silence heard
    ])
    settings = StreamingSettings(vad="energy", first_decode_s=0.6, min_chunk_s=1.0, interval_growth=0.25,
                                 speech_pad_ms=100, end_silence_ms=400, eager_end_ms=200)
    stage = StreamingAsrStage(engine, vad=lambda: EnergyVad(-40.0), settings=settings)
    result = replay_audio(stage, {"agent": audio}, call_id="call", chunk_s=0.1)
    partials = [(round(t.stream_s, 1), t.event.revision, t.event.text)
                for t in result.events if isinstance(t.event, TranscriptPartial)]
    assert partials == [
        (1.5, 1, "please"),
        (2.5, 2, "please restart the"),
        (3.5, 3, "please restart the router"),
        (3.7, 4, "please restart the router."),
    ]
    # the buffer starts 0.1 s (the pad) before speech at 1.0 s
    assert [round(call[2], 2) for call in engine.calls] == [0.9, 0.9, 0.9, 0.9]
    finals = result.finals
    assert len(finals) == 1 and finals[0].text == "please restart the router."
    assert finals[0].utterance_id == "agent-0001"
    ids = {t.event.utterance_id for t in result.events if isinstance(t.event, TranscriptPartial)}
    assert ids == {"agent-0001"}
    assert finals[0].start_s == 1.1  # absolute: offset 0.9 + 0.2
    # committed after each hypothesis: "" -> "please" -> "please restart the" -> "please
    # restart the router." (the decode at 3.5 s ended with the speech, so its last word may
    # be cut off: the eager decode at 3.7 s hears it out); that hypothesis saw the end of
    # speech, so the final at 3.9 s needs no decode of its own.
    assert len(engine.calls) == 4 and stage.stats.tail_decodes == 0
    assert isinstance(finals[0], TranscriptFinal)


def test_buffer_is_bounded_and_keeps_absolute_times() -> None:
    buffer = AudioBuffer(2.0, start_s=10.0)
    buffer.append(np.ones(16000, dtype=np.float32))
    buffer.append(np.full(24000, 2.0, dtype=np.float32))
    assert len(buffer) == 32000 and buffer.duration_s == 2.0
    assert buffer.start_s == 10.5 and buffer.end_s == 12.5 and buffer.dropped_s == 0.5
    buffer.trim_to(11.5)
    assert buffer.start_s == 11.5 and buffer.samples().size == 16000
    assert float(buffer.samples(12.0, 12.5).mean()) == 2.0


def test_trim_time_prefers_sentence_end() -> None:
    ws = words("we will call you. thank you for")
    assert choose_trim_time(ws) == ws[3].end_s
    assert choose_trim_time(words("no sentence end here")) == 1.9
    assert choose_trim_time(words("none here"), sentences_only=True) is None


def test_prompt_is_the_end_of_committed_text_at_a_word_boundary() -> None:
    assert build_prompt(words("one two three"), max_chars=200) == "one two three"
    assert build_prompt("alpha beta gamma delta", max_chars=11) == "delta"
    assert build_prompt("", max_chars=10) is None
    assert build_prompt("text", max_chars=0) is None


def test_endpointer_hysteresis_and_absolute_times() -> None:
    endpointer = Endpointer(0.1, EndpointOptions(threshold=0.5, min_silence_s=0.3), start_s=5.0)
    boundaries = endpointer.push([0, 0, 1, 1, 0.4, 1, 0, 0, 0, 0])
    assert [(b.kind, round(b.time_s, 2)) for b in boundaries] == [("start", 5.2), ("end", 5.6)]
    endpointer.push([1, 1])
    end = endpointer.finish()
    assert end is not None and round(end.time_s, 2) == 6.2
