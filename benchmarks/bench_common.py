"""Helpers shared by the translation, rewrite and suggestion-latency benchmarks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile by nearest rank (``nan`` for no values)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def write_result(result: dict[str, Any], output: str | Path) -> Path:
    """Write ``result`` as indented UTF-8 JSON to ``output`` (folders created)."""
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
