"""The compact wordfreq lexicon and its disk cache (small builds over wordfreq's lists)."""

from __future__ import annotations

import numpy as np
import pytest

from langassist.errors import ConfigError
from langassist.langid.ensemble import LexiconScorer
from langassist.langid.lexicon import (
    HashedVocabulary,
    WordfreqLexicon,
    build_wordfreq_lexicon,
    word_key,
)
from langassist.langid.lexicon_cache import (
    cache_path,
    cached_wordfreq_lexicon,
    load_lexicon,
    save_lexicon,
)

NAN = float("nan")
# Two small lists (Zipf 3 and up): quick to build, yet real wordfreq data.
SMALL = ("vi", "id")


def _hand_made() -> WordfreqLexicon:
    words = {"the": 0, "casa": 1, "haus": 2}
    rows = np.array([[7.7, NAN], [3.0, 5.5], [NAN, NAN]], dtype=np.float32)
    return WordfreqLexicon(("en", "es"), words, rows, np.array([1.0, 3.0], dtype=np.float32), 1.0)


def test_hashed_vocabulary_looks_up_words() -> None:
    vocabulary = HashedVocabulary.from_words(["b", "a", "ç"], [5, 6, 7])
    assert [vocabulary.get(w) for w in ("a", "b", "ç", "zz")] == [6, 5, 7, None]
    assert len(vocabulary) == 3 and "a" in vocabulary and "zz" not in vocabulary
    assert vocabulary.keys.dtype == np.int64 and bool((np.diff(vocabulary.keys) > 0).all())
    assert word_key("casa") == word_key("casa") != word_key("casá")


def test_float_rows_are_quantized() -> None:
    lexicon = _hand_made()
    assert lexicon.rows.dtype == np.uint8
    assert lexicon.zipf("THE", "en") == 7.7 and lexicon.zipf("the", "es") is None
    assert lexicon.zipf("casa", "es") == 5.5 and lexicon.zipf("nope", "en") is None


def test_save_load_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lexicon = _hand_made()
    path = tmp_path / "lexicon.npz"
    save_lexicon(lexicon, path)
    loaded = load_lexicon(path)
    assert loaded.languages == lexicon.languages and loaded.min_zipf == 1.0
    assert isinstance(loaded.vocabulary, HashedVocabulary)
    np.testing.assert_array_equal(loaded.rows, lexicon.rows)
    np.testing.assert_array_equal(loaded.list_floor_zipf, lexicon.list_floor_zipf)
    for word in ("the", "casa", "haus", "missing"):
        for code in lexicon.languages:
            assert loaded.zipf(word, code) == lexicon.zipf(word, code)
    text = "the casa haus"
    for scorer_input in (lexicon, loaded):
        scorer = LexiconScorer(scorer_input, ("en", "es", "de"))
        rows = [row for _, _, row in scorer.token_rows(text)[0] if row is not None]
        assert len(rows) == 3
    a = LexiconScorer(lexicon, ("en", "es", "de"))
    b = LexiconScorer(loaded, ("en", "es", "de"))
    np.testing.assert_allclose(a.score_rows([0, 1]), b.score_rows([0, 1]))


def test_built_lexicon_and_cache(tmp_path) -> None:  # type: ignore[no-untyped-def]
    built = cached_wordfreq_lexicon(SMALL, tmp_path, min_zipf=3.0)
    path = cache_path(SMALL, tmp_path, min_zipf=3.0)
    assert path.is_file()
    assert isinstance(built.vocabulary, HashedVocabulary) and len(built.vocabulary) > 30_000
    assert built.rows.dtype == np.uint8 and built.rows.shape[1] == 2
    yang = built.zipf("yang", "id")
    assert yang is not None and yang > 5
    assert built.zipf("không", "vi") is not None and built.zipf("không", "id") is None
    np.testing.assert_allclose(built.list_floor_zipf, [3.0, 3.0])
    again = cached_wordfreq_lexicon(SMALL, tmp_path, min_zipf=3.0)  # from the file
    np.testing.assert_array_equal(again.rows, built.rows)
    np.testing.assert_array_equal(again.vocabulary.keys, built.vocabulary.keys)  # type: ignore[attr-defined]

    # A corrupt file is rebuilt (and rewritten).
    path.write_bytes(b"PK\x03\x04 not really a zip file")
    rebuilt = cached_wordfreq_lexicon(SMALL, tmp_path, min_zipf=3.0)
    np.testing.assert_array_equal(rebuilt.rows, built.rows)
    assert load_lexicon(path).languages == SMALL
    path.write_bytes(b"garbage")
    assert cached_wordfreq_lexicon(SMALL, tmp_path, min_zipf=3.0).languages == SMALL


def test_cache_key_follows_the_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    base = cache_path(("en", "de"), tmp_path)
    assert cache_path(("en", "de"), tmp_path) == base
    assert cache_path(("de", "en"), tmp_path) != base
    assert cache_path(("en", "de", "fr"), tmp_path) != base
    assert cache_path(("en", "de"), tmp_path, min_zipf=3.0) != base
    assert base.parent == tmp_path / "langid"


def test_min_zipf_cuts_every_list() -> None:
    import wordfreq

    high = build_wordfreq_lexicon(SMALL, min_zipf=4.0)
    low = build_wordfreq_lexicon(SMALL, min_zipf=3.0)
    assert len(high.vocabulary) < len(low.vocabulary)
    np.testing.assert_allclose(high.list_floor_zipf, [4.0, 4.0])
    word = next(
        w for w in wordfreq.top_n_list("id", 500)
        if (low.zipf(w, "id") or 0) >= 4.0 and 3.0 <= (low.zipf(w, "vi") or 0) < 4.0
    )
    assert high.zipf(word, "id") == low.zipf(word, "id") and high.zipf(word, "vi") is None


def test_keys_and_canonical_forms_match_the_bulk_versions() -> None:
    from langassist.langid.lexicon import _line_keys
    from langassist.langid.text import canonical_text as _canonical_text
    from langassist.langid.text import canonical_word

    words = ["İstanbul", "Şcoală", "ȘTIINȚĂ", "Straße", "ΣΊΣΥΦΟΣ", "e\u0301te", "東京", "a", "x" * 64]
    assert _canonical_text("\n".join(words)).split("\n") == [canonical_word(w) for w in words]
    canonical = [canonical_word(w) for w in words]
    keys = _line_keys("\n".join(canonical).encode("utf-8"))
    assert keys.tolist() == [word_key(w) for w in canonical]
    assert len(set(keys.tolist())) == len(words)


def test_bulk_keys_match_word_key_at_every_length(monkeypatch: pytest.MonkeyPatch) -> None:
    import langassist.langid.lexicon as lexicon_module
    from langassist.langid.lexicon import word_keys

    # 1 to 70 bytes: one and several 8-byte chunks, and past the chunked limit (64).
    words = ["x" * n for n in range(1, 71)] + ["é" * n for n in (1, 4, 5, 31, 32, 33)]
    words += ["東" * n for n in (1, 2, 3, 21, 22)] + ["a", "ab", "aé東"]
    expected = [word_key(w) for w in words]
    assert word_keys(words).tolist() == expected
    assert word_keys([]).tolist() == []
    monkeypatch.setattr(lexicon_module, "_KEY_BLOCK_WORDS", 7)  # several blocks
    assert word_keys(words).tolist() == expected


def test_many_keys_are_found_as_one_by_one() -> None:
    words = [f"w{i}" for i in range(600)]
    vocabulary = HashedVocabulary.from_words(words, range(600))
    wanted = [word_key(w) for w in reversed(words)] + [word_key("absent"), word_key("w3")]
    rows = vocabulary.rows_of_keys(wanted).tolist()  # more than 256: the sorted search
    assert rows == [vocabulary.row_of_key(key) for key in wanted]
    assert rows[-2:] == [-1, 3]


def test_bad_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        build_wordfreq_lexicon(())
    with pytest.raises(ConfigError):
        build_wordfreq_lexicon(("en",), min_zipf=9.5)
    with pytest.raises(ConfigError):
        build_wordfreq_lexicon(("xx",))


@pytest.mark.parametrize("text", [
    "The HOUSE is big!", "İstanbul'da Şcoală ȘTIINȚĂ", "Straße und MASSE", "e\u0301te café",
    "東京に行きます and back", "Привет, мир", "नमस्ते दुनिया", "", "🙂 42", "x" * 50,
    "ab東cd", "東\u0301京ーカタカナ", "日本語のテキストです。Straße", "東 京",
])
def test_fast_tokenizers_agree_with_the_per_token_path(text: str) -> None:
    from langassist.langid.text import (
        canonical_tokens,
        canonical_word,
        iter_word_tokens,
        word_tokens,
    )

    reference = [(s, e, canonical_word(w)) for s, e, w in iter_word_tokens(text)]
    assert canonical_tokens(text) == reference
    assert word_tokens(text) == [w for _, _, w in reference]


def test_traditional_chinese_characters_get_their_simplified_frequency() -> None:
    """wordfreq's Chinese list is simplified; each traditional form is listed with it,
    so traditional text is not taken for Japanese (which lists many of those forms)."""
    lexicon = build_wordfreq_lexicon(("zh", "ja"), min_zipf=4.0)
    for traditional, simplified in (("該", "该"), ("於", "于"), ("現", "现"), ("們", "们")):
        assert lexicon.zipf(simplified, "zh") is not None
        assert lexicon.zipf(traditional, "zh") == lexicon.zipf(simplified, "zh")
    assert lexicon.zipf("気", "zh") is None  # a Japanese-only form gains nothing
    assert lexicon.zipf("気", "ja") is not None


@pytest.mark.parametrize(
    ("text", "language"),
    [("ゲーム", "ja"), ("ひらがな", "ja"), ("ｶﾀｶﾅ", "ja"), ("OK です", "ja"), ("한국어", "ko"),
     ("ㅋㅋ", "ko"), ("東京", None), ("列奥纳多・达・芬奇", None), ("hello", None), ("", None),
     ("ゲーム 한국어", None), ("Привет", None)],
)
def test_exclusive_script_language(text: str, language: str | None) -> None:
    from langassist.langid.text import exclusive_script_language

    assert exclusive_script_language(text) == language
