import dataclasses

import pytest

from langassist.events import LanguageDistribution, TranscriptFinal, normalize_language


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("EN-us", "en"), ("zh-Hant", "zh"), ("spa", "es"), ("__label__de", "de"), ("", None),
     (None, None), ("unknown", None), ("12", None), ("pt_BR", "pt")],
)
def test_normalize_language(raw: str | None, expected: str | None) -> None:
    assert normalize_language(raw) == expected


def test_distribution_sorted_and_merged() -> None:
    dist = LanguageDistribution.from_mapping([("en", 0.2), ("es", 0.5), ("EN-gb", 0.1), ("??", 0.9)])
    assert dist.top == "es"
    assert dist.probability("en") == pytest.approx(0.3)
    assert dist.head(1).probabilities == (("es", 0.5),)
    assert not LanguageDistribution()
    assert LanguageDistribution().top is None


def test_events_are_frozen() -> None:
    final = TranscriptFinal(call_id="c", track="agent", utterance_id="u", start_s=0, end_s=1, text="hi")
    with pytest.raises(dataclasses.FrozenInstanceError):
        final.text = "changed"  # type: ignore[misc]
