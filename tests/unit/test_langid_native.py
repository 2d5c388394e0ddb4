"""The compiled cascade (langassist.langid._cascade) against the Python cascade.

Both paths must give the same distributions (up to float rounding: py3langid's naive
Bayes sums in float32 in another order) and count the same deciding stages, on fakes and
on the packaged models, for every kind of input the ensemble accepts.
"""

from __future__ import annotations

import os
import shutil
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langassist.config import load_settings
from langassist.events import LanguageDistribution
from langassist.langid.ensemble import BUCKET_LIMITS, TextLanguageEnsemble
from langassist.langid.factory import create_ensemble_identifier
from langassist.langid.lexicon import word_key
from langassist.langid.native import native_module

NATIVE = native_module()
needs_native = pytest.mark.skipif(NATIVE is None, reason="the C extension is not built (no compiler at install)")

TEXTS = [
    "house", "Haus", "casa", "maison", "dom", "huis", "hus", "ev", "nhà", "rumah", "casă", "dům",
    "HOUSE", "ПРИВЕТ", "привіт", "здравствуйте", "بيت", "خانه", "घर", "家", "家族", "うち", "집",
    "the house", "das Haus", "la casa", "le chat noir", "bardzo dobrze", "muito obrigado",
    "tack så mycket", "çok teşekkürler", "terima kasih", "cảm ơn bạn", "děkuji moc",
    "mulțumesc frumos", "grazie mille", "dank je wel", "большое спасибо", "дуже дякую",
    "Sorry, could you repeat that, please?", "No entiendo lo que me está diciendo.",
    "Je n'ai pas compris, pouvez-vous répéter ?", "Ich verstehe das leider nicht ganz.",
    "Nie rozumiem, czy może pan powtórzyć?", "Não entendi, pode repetir por favor?",
    "Non ho capito, può ripetere?", "Ik begrijp het niet, kunt u dat herhalen?",
    "Jag förstår inte, kan du upprepa?", "Anlamadım, tekrar eder misiniz?",
    "Saya tidak mengerti, bisa diulang?", "Tôi không hiểu, bạn có thể nhắc lại không?",
    "Nerozumím, můžete to zopakovat?", "Nu înțeleg, puteți repeta?",
    "Я не понимаю, повторите, пожалуйста.", "Я не розумію, повторіть, будь ласка.",
    "لا أفهم، هل يمكنك التكرار؟", "متوجه نمی‌شوم، لطفا تکرار کنید.", "मुझे समझ नहीं आया, दोबारा बताइए।",
    "我不明白，请再说一遍。", "わかりません、もう一度お願いします。", "이해가 안 돼요, 다시 말씀해 주세요.",
    "我喜欢ポケモン", "該項目於2021年8月完工", "Cafe\u0301 cre\u0300me",  # decomposed accents
    "ŞTIINŢĂ", "İSTANBUL", "ß", "straße", "pass the DHCP lease to the ONT", "ok", "ja", "si",
    "   house   ", "house\nmaison", "e-mail", "3G", "COVID-19", "I'm", "l'homme",
    "word " * 600,  # longer than MAX_CHARS: cut at a space
    "déjà-vu " * 400,
    "1 " * 1200 + "house maison",  # letters only past the cut
]
NO_LETTERS = ["", " ", "\n\t", "12345", "!!!", "🙂🙂", "— … —", "\u0000"]


def _pair() -> tuple[TextLanguageEnsemble, TextLanguageEnsemble]:
    native = create_ensemble_identifier(load_settings(environ={}))
    python = TextLanguageEnsemble(
        native.languages, [entry[0] for entry in native._slot_scorers if entry is not None],
        native.weights, lexicon=native._lexicon, confidence_floor=native.confidence_floor, native=False,
    )
    return native, python


@pytest.fixture(scope="module")
def ensembles() -> tuple[TextLanguageEnsemble, TextLanguageEnsemble]:
    native, python = _pair()
    if NATIVE is not None:
        assert native.native and not python.native
    return native, python


def _assert_same(a: LanguageDistribution, b: LanguageDistribution, text: str) -> None:
    assert a.top == b.top, text
    assert [code for code, _ in a.probabilities] == [code for code, _ in b.probabilities] or (
        # languages under REPORTED_MIN_P by a rounding hair may be in one list and not the other
        {code for code, p in a.probabilities if p > 2e-4} == {code for code, p in b.probabilities if p > 2e-4}
    ), text
    right = dict(b.probabilities)
    for code, probability in a.probabilities:
        if code in right:
            assert probability == pytest.approx(right[code], abs=1e-5), (text, code)


@needs_native
@pytest.mark.parametrize("text", TEXTS + NO_LETTERS)
def test_native_equals_python_on_the_packaged_models(ensembles, text: str) -> None:  # type: ignore[no-untyped-def]
    native, python = ensembles
    before_native, before_python = list(native.stage_counts), list(python.stage_counts)
    _assert_same(native.identify(text), python.identify(text), text)
    native_stage = [a - b for a, b in zip(native.stage_counts, before_native, strict=True)]
    python_stage = [a - b for a, b in zip(python.stage_counts, before_python, strict=True)]
    assert native_stage == python_stage, text


@needs_native
def test_native_agrees_with_the_matrix_path(ensembles) -> None:  # type: ignore[no-untyped-def]
    native, python = ensembles
    assert native.identify_many(TEXTS) == [native.identify(text) for text in TEXTS]
    for one, many in zip(native.identify_many(TEXTS), python.identify_matrix(TEXTS), strict=True):
        _assert_same(one, many, "")


@needs_native
def test_native_reaches_every_stage(ensembles) -> None:  # type: ignore[no-untyped-def]
    native, _ = ensembles
    before = list(native.stage_counts)
    for text in TEXTS:
        native.identify(text)
    assert all(after > start for after, start in zip(native.stage_counts, before, strict=True)), native.stage_counts


BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@needs_native
def test_native_equals_python_on_langid_lingua(ensembles, shared_data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    if not (shared_data_dir / "langid-lingua").is_dir():
        pytest.skip("langid-lingua is absent")
    sys.path.insert(0, str(BENCHMARKS))
    from text_langid_common import load_items

    native, python = ensembles
    checked = 0
    for items in load_items(shared_data_dir, "test", limit=300).values():
        for text, _ in items:
            _assert_same(native.identify(text), python.identify(text), text)
            checked += 1
    assert checked > 700


@needs_native
def test_sources_only_python_computes_are_asked_for() -> None:
    """A fake backend (not py3langid) in a later stage: the compiled cascade asks for its
    vector, and only when the stage before it did not decide."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_langid_ensemble import _cascade

    for margin in (0.0, 0.5, 0.99):
        native, cheap, expensive = _cascade(margin)
        python, _, _ = _cascade(margin)
        python._native = None
        assert native.native
        for text in ("the house", "casa", "unknownword", "das Haus ist sehr gross", "la casa es muy grande"):
            _assert_same(native.identify(text), python.identify(text), text)
        assert native.stage_counts == python.stage_counts


@needs_native
def test_setting_turns_the_native_path_off() -> None:
    settings_off = load_settings(environ={"LANGASSIST_LANGUAGE_ID__NATIVE": "false"})
    assert settings_off.language_id.native is False
    assert not create_ensemble_identifier(settings_off).native
    assert create_ensemble_identifier(load_settings(environ={})).native


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_word_keys_match_the_python_hash(word: str) -> None:
    word = unicodedata.normalize("NFC", word)
    try:
        word.encode("utf-8")
    except UnicodeEncodeError:
        return  # lone surrogates are never word tokens
    assert NATIVE.word_key(word) == word_key(word)  # type: ignore[union-attr]


@needs_native
def test_bad_arrays_are_refused() -> None:
    assert NATIVE is not None
    languages = ("en", "de")
    stage = ((0,), [[1.0]] * 4, [[0.0, 0.0]] * 4, (0.0,) * 4)
    table = np.zeros((2, 2), dtype=np.float32)
    good = (0, table, np.array([1, 5], dtype=np.int64), np.array([0, 1], dtype=np.int32))
    NATIVE.Cascade(languages, [stage], good, None, BUCKET_LIMITS, -13.8, 1e-4, 10)
    for lexicon, message in [
        ((0, table, np.array([5, 1], dtype=np.int64), np.array([0, 1], dtype=np.int32)), "ascend"),
        ((0, table, np.array([1, 5], dtype=np.int64), np.array([0, 7], dtype=np.int32)), "row id"),
        ((0, table, np.array([1, 5], dtype=np.int32), np.array([0, 1], dtype=np.int32)), "8 bytes"),
        ((0, np.zeros((2, 3), dtype=np.float32), np.array([1], dtype=np.int64), np.array([0], dtype=np.int32)),
         "fit"),
    ]:
        with pytest.raises(ValueError, match=message):
            NATIVE.Cascade(languages, [stage], lexicon, None, BUCKET_LIMITS, -13.8, 1e-4, 10)
    cascade = NATIVE.Cascade(languages, [stage], good, None, BUCKET_LIMITS, -13.8, 1e-4, 10)
    with pytest.raises(TypeError):
        cascade.run("x", ["x", 3], [None], None)
    with pytest.raises(ValueError, match="bias"):
        cascade.run("x", ["x"], [None], np.zeros(3))


def test_extension_is_built_where_a_compiler_is() -> None:
    """The editable install compiles the extension (hatch_build.py) when a C compiler is
    found; this machine's test run must then use it."""
    if os.environ.get("LANGASSIST_NO_NATIVE", "") not in ("", "0"):
        pytest.skip("LANGASSIST_NO_NATIVE is set: built without the extension on purpose")
    if not any(shutil.which(name) for name in ("cc", "gcc", "clang")):
        pytest.skip("no C compiler on this machine: the Python cascade runs")
    assert NATIVE is not None, "reinstall with `pip install -e .` to build langassist.langid._cascade"


@needs_native
def test_threads_share_one_compiled_cascade(ensembles) -> None:  # type: ignore[no-untyped-def]
    """The live server's pool threads share one ensemble: run() keeps no state between
    calls, so concurrent calls give the single-threaded answers."""
    from concurrent.futures import ThreadPoolExecutor

    native, _ = ensembles
    expected = [native.identify(text).probabilities for text in TEXTS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            got = list(pool.map(lambda text: native.identify(text).probabilities, TEXTS * 4))
            assert got == expected * 4


@needs_native
@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_native_equals_python_on_any_text(ensembles, text: str) -> None:  # type: ignore[no-untyped-def]
    native, python = ensembles
    _assert_same(native.identify(text), python.identify(text), text)
