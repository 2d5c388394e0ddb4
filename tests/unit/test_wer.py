"""WER/CER, the text normalizers and the bootstrap helper, on fixed strings."""

from __future__ import annotations

import pytest

from langassist.eval import (
    EditCounts,
    align_tokens,
    bootstrap_ci,
    cer,
    join_digit_runs,
    normalize_basic,
    normalize_english,
    normalizer_for,
    score_clip,
    score_corpus,
    wer,
)

# -- normalizer ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 6 4 8", "2648"),
        ("call 5 5 5 now", "call 555 now"),
        ("one 5 9 9", "1599"),
        ("one one", "11"),
        ("the purple one", "the purple one"),
        ("7", "7"),
        ("room 12 3", "room 12 3"),
        ("7 8 and 9 10", "78 and 9 10"),
        ("  2   4 ", "24"),
        ("", ""),
    ],
)
def test_join_digit_runs(text: str, expected: str) -> None:
    assert join_digit_runs(text) == expected


def test_spoken_and_written_digit_strings_normalize_alike() -> None:
    assert normalize_english("TWO SIX FOUR EIGHT") == "2648"
    assert normalize_english("2-6-4-8.") == "2648"
    assert normalize_english("ONE FIVE NINE NINE") == normalize_english("1, 5, 9, 9")
    assert normalize_english("ONE SEVEN") == normalize_english("1 7") == "17"
    # a lone "one" is a word, not a digit
    assert normalize_english("LYNDA LIKES THE PURPLE ONE") == "lynda likes the purple one"


def test_english_normalizer_contractions_punctuation_case_fillers() -> None:
    assert normalize_english("I won't go, it's late!") == "i will not go it is late"
    assert normalize_english("And so, my fellow Americans:") == "and so my fellow americans"
    assert normalize_english("Um, the colour is uh, grey.") == "the color is gray"
    assert normalize_english("Twenty-five percent") == "25%"
    assert normalize_english("HE COULD WAIT NO LONGER") == "he could wait no longer"


def test_basic_normalizer_keeps_diacritics_and_drops_symbols() -> None:
    assert normalize_basic("Für die besten Aussichten, auf Hongkong!") == (
        "für die besten aussichten auf hongkong"
    )
    assert normalize_basic("  ¿Qué   tal?  ") == "qué tal"


def test_normalizer_for_picks_english_only_for_en() -> None:
    assert normalizer_for("en") is normalize_english
    assert normalizer_for("en-US") is normalize_english
    assert normalizer_for("de") is normalize_basic
    assert normalizer_for(None) is normalize_basic


# -- alignment and rates -------------------------------------------------------------------


def test_align_tokens_counts_each_kind_of_edit() -> None:
    ref = "the cat sat on the mat".split()
    assert align_tokens(ref, ref) == EditCounts(0, 0, 0, 6)
    assert align_tokens(ref, "the cat sit on the mat".split()) == EditCounts(1, 0, 0, 6)
    assert align_tokens(ref, "the cat on the mat".split()) == EditCounts(0, 1, 0, 6)
    assert align_tokens(ref, "the big cat sat on the mat".split()) == EditCounts(0, 0, 1, 6)
    assert align_tokens(ref, []) == EditCounts(0, 6, 0, 6)
    assert align_tokens([], ["hello"]) == EditCounts(0, 0, 1, 0)
    # kitten -> sitting: the classic Levenshtein distance of 3 (2 substitutions, 1 insertion)
    counts = align_tokens(list("kitten"), list("sitting"))
    assert (counts.substitutions, counts.deletions, counts.insertions) == (2, 0, 1)
    assert counts.hits == 4


def test_align_tokens_total_equals_levenshtein_distance() -> None:
    def distance(a: list[str], b: list[str]) -> int:
        row = list(range(len(b) + 1))
        for i, x in enumerate(a, 1):
            previous, row[0] = row[0], i
            for j, y in enumerate(b, 1):
                previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
        return row[-1]

    pairs = [("abcdef", "azced"), ("intention", "execution"), ("aaaa", "aa"), ("ab", "ba"),
             ("", "abc"), ("sunday", "saturday")]
    for a, b in pairs:
        counts = align_tokens(list(a), list(b))
        assert counts.errors == distance(list(a), list(b))
        assert counts.reference_length - counts.deletions + counts.insertions == len(b)


def test_wer_and_cer_on_fixed_strings() -> None:
    # normalization removes case and punctuation; one substitution in 4 words
    assert wer("Hello there, General Kenobi!", "hello there general kenobe") == pytest.approx(0.25)
    assert wer("the cat", "") == pytest.approx(1.0)
    assert wer("", "anything") is None
    # CER ignores spaces: "abc" vs "a bc" is perfect, "abcd" vs "abxd" one error in 4
    assert cer("abc", "a bc", language="de") == pytest.approx(0.0)
    assert cer("abcd", "abxd", language="de") == pytest.approx(0.25)
    clip = score_clip("我们去公园", "我们去公圆", language="zh", id="zh-1")
    assert clip.cer == pytest.approx(0.2)
    assert clip.words.reference_length == 1  # no spaces: one "word"


def test_corpus_wer_is_total_edits_over_total_words() -> None:
    clips = [
        score_clip("a b c d e f g h i j", "a b c d e f g h i x", id="long"),  # 1 / 10
        score_clip("yes", "no", id="short"),  # 1 / 1
    ]
    corpus = score_corpus(clips)
    assert corpus.words == EditCounts(2, 0, 0, 11)
    assert corpus.wer == pytest.approx(2 / 11)  # not the mean of 0.1 and 1.0
    data = corpus.as_dict()
    assert data["clips_count"] == 2
    assert [clip["id"] for clip in data["clips"]] == ["long", "short"]  # type: ignore[index]
    assert score_corpus([]).wer is None


# -- bootstrap -----------------------------------------------------------------------------


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    values = [0, 1, 1, 0, 1, 1, 1, 0, 1, 1]
    first = bootstrap_ci(values, seed=7)
    assert first == bootstrap_ci(values, seed=7)
    assert first.value == pytest.approx(0.7)
    assert 0.0 <= first.low <= first.value <= first.high <= 1.0
    assert (first.seed, first.resamples, first.confidence) == (7, 2000, 0.95)


def test_bootstrap_ratio_of_sums_and_degenerate_cases() -> None:
    interval = bootstrap_ci([1, 2, 0], denominators=[10, 10, 10], resamples=500)
    assert interval.value == pytest.approx(0.1)
    assert interval.low <= 0.1 <= interval.high
    constant = bootstrap_ci([0.5, 0.5, 0.5])
    assert (constant.low, constant.high) == (0.5, 0.5)
    wider = bootstrap_ci([0, 1] * 5, confidence=0.99)
    narrower = bootstrap_ci([0, 1] * 5, confidence=0.5)
    assert wider.high - wider.low >= narrower.high - narrower.low


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"per_item_values": []}, "non-empty"),
        ({"per_item_values": [1.0], "confidence": 1.5}, "confidence"),
        ({"per_item_values": [1.0, 2.0], "denominators": [1.0]}, "one entry per value"),
        ({"per_item_values": [1.0], "denominators": [0.0]}, "sum to zero"),
    ],
)
def test_bootstrap_rejects_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        bootstrap_ci(**kwargs)  # type: ignore[arg-type]


def test_corpus_interval_covers_the_point_estimate() -> None:
    clips = [score_clip(f"w{i} x y z", f"w{i} x y q" if i % 3 else f"w{i} x y z", id=str(i))
             for i in range(12)]
    corpus = score_corpus(clips)
    interval = corpus.wer_ci()
    assert interval is not None
    assert interval.low <= corpus.wer <= interval.high  # type: ignore[operator]
    assert corpus.wer_ci() == interval
