"""Smoke test of the real ensemble on a slice of langid-lingua (test split)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.data, pytest.mark.model, pytest.mark.slow]

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
FLOORS = {"single-words": 0.80, "word-pairs": 0.92, "sentences": 0.97}


def test_ensemble_accuracy_floors(shared_data_dir: Path) -> None:
    if not (shared_data_dir / "langid-lingua").is_dir():
        pytest.skip("langid-lingua is absent")
    sys.path.insert(0, str(BENCHMARKS))
    from langassist.config import load_settings
    from langassist.langid.factory import create_ensemble_identifier
    from text_langid_common import load_items

    ensemble = create_ensemble_identifier(load_settings())
    for category, items in load_items(shared_data_dir, "test", limit=110).items():
        correct = sum(ensemble.identify(text).top == label for text, label in items)
        assert correct / len(items) >= FLOORS[category], category
