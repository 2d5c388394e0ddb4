"""T10 (F-tier): known hallucination patterns are suppressed, real short repeats kept."""

from langassist.asr_guards import apply_guards, collapse_repeats, compression_ratio
from langassist.backends.base import Segment
from langassist.events import Word


def seg(text: str, *, no_speech: float = 0.05, logprob: float = -0.2, start: float = 0.0,
        words: tuple[Word, ...] = ()) -> Segment:
    return Segment(start_s=start, end_s=start + 2.0, text=text, words=words, avg_logprob=logprob,
                   no_speech_prob=no_speech, compression_ratio=compression_ratio(text))


def test_known_hallucinations_are_dropped() -> None:
    hallucinations = [
        seg("Thank you.", no_speech=0.5, logprob=-0.8),
        seg("Subtitles by the Amara.org community"),
        seg("Thanks for watching!"),
        seg("♪ ♪ ♪"),
        seg("...", no_speech=0.9),
        seg("you", no_speech=0.4, logprob=-1.2),
        seg("I will call you back tomorrow", no_speech=0.8, logprob=-1.5),
    ]
    result = apply_guards(hallucinations)
    assert result.segments == ()
    assert len(result.notes) == len(hallucinations)


def test_clear_speech_is_kept() -> None:
    clear = [seg("Thank you.", no_speech=0.01, logprob=-0.1), seg("no, no, no"),
             seg("My router keeps dropping the connection.")]
    result = apply_guards(clear)
    assert [s.text for s in result.segments] == ["Thank you.", "no, no, no",
                                                  "My router keeps dropping the connection."]


def test_trigram_loop_collapsed() -> None:
    text = "I see the " * 10 + "problem now"
    result = apply_guards([seg(text.strip())])
    assert result.segments[0].text == "I see the problem now"
    assert any("repetition" in note for note in result.notes)


def test_loop_collapse_keeps_word_timestamps() -> None:
    words = tuple(Word(i * 0.3, i * 0.3 + 0.2, w, 0.9) for i, w in enumerate(["nene"] * 12 + ["ok"]))
    result = apply_guards([seg(" ".join(w.text for w in words), words=words)])
    kept = result.segments[0]
    assert [w.text for w in kept.words] == ["nene", "ok"]
    assert kept.words[1].start_s == words[-1].start_s


def test_collapse_repeats_limits() -> None:
    assert collapse_repeats(["no", "no", "no"]) == [0, 1, 2]
    assert collapse_repeats(["no"] * 4) == [0]
    assert collapse_repeats([]) == []


def test_repeated_segments_across_windows() -> None:
    repeated = [seg("please hold the line", start=i * 2.0) for i in range(6)]
    result = apply_guards(repeated)
    assert len(result.segments) == 3
