"""Helpers for tests, importable by users too: run stages on lists of events.

``run_stage(stage, events)`` feeds each event and flushes, returning what came out
(pipecat's ``run_test`` idea). Fakes live in :mod:`langassist.backends.fake`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langassist.core.stage import Pipeline, Stage

__all__ = ["run_pipeline", "run_stage"]


def run_stage(stage: Stage, events: Iterable[Any], *, include_inputs: bool = False) -> list[Any]:
    """Feed ``events`` to one stage and flush it; return the produced events."""
    inputs = list(events)
    out = Pipeline([stage]).run(inputs)
    if include_inputs:
        return out
    input_ids = {id(event) for event in inputs}
    return [event for event in out if id(event) not in input_ids]


def run_pipeline(stages: Iterable[Stage], events: Iterable[Any]) -> list[Any]:
    """Run events through a pipeline of stages; return everything (inputs included)."""
    return Pipeline(list(stages)).run(events)
