"""The shipped ensemble on Chinese in both scripts and on Japanese (texts written for
this test): traditional Chinese is Chinese, not Japanese."""

from __future__ import annotations

import pytest

from langassist.config import load_settings
from langassist.langid.factory import create_ensemble_identifier

TEXTS = [
    ("我們今天會處理您的問題", "zh"),  # traditional
    ("該項目於2021年8月完工", "zh"),
    ("請問您的訂單號碼是多少？", "zh"),
    ("我们今天会处理您的问题", "zh"),  # simplified
    ("请问您的订单号码是多少？", "zh"),
    ("今日は天気がいいですね", "ja"),
    ("ご注文番号を教えていただけますか", "ja"),
    ("時間がかかります", "ja"),
]


@pytest.fixture(scope="module")
def ensemble():  # type: ignore[no-untyped-def]
    return create_ensemble_identifier(load_settings(environ={}))


@pytest.mark.parametrize(("text", "language"), TEXTS)
def test_chinese_in_either_script_and_japanese(ensemble, text: str, language: str) -> None:  # type: ignore[no-untyped-def]
    distribution = ensemble.identify(text)
    assert distribution.top == language, distribution
    assert ensemble.identify_many([text]) == [distribution]


@pytest.mark.parametrize("text", ["ゲ", "ヴ", "ぬ", "ー"])
def test_a_single_kana_letter_is_japanese(ensemble, text: str) -> None:  # type: ignore[no-untyped-def]
    """Before, py3langid's Chinese vote decided some lone katakana letters (p 0.9)."""
    assert ensemble.identify(text).top == "ja"
    assert ensemble.analyze(text).language == "ja"
