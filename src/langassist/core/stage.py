"""The stage protocol and a pipeline that routes typed events through stages.

A stage has three verbs: ``feed`` one event and get zero or more new events back,
``flush`` at the end of a stream, ``reset`` for reuse. It declares the event types it
``accepts``; the pipeline hands it only those and passes every event on to the stages
after it, so no stage has to remember to pass events through. Stages are synchronous,
keep only their own state, do no I/O and read no clock (time comes from events).

A stage that raises :class:`~langassist.errors.LangassistError` does not stop the
pipeline: the error becomes a :class:`~langassist.events.StageFailed` event, once, and
the event that caused it still flows on. Any other exception is a bug and propagates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

from langassist.errors import LangassistError
from langassist.events import StageFailed

__all__ = ["Pipeline", "Stage"]


@runtime_checkable
class Stage(Protocol):
    name: str
    accepts: tuple[type, ...]

    def feed(self, event: Any) -> list[Any]:
        raise NotImplementedError

    def flush(self) -> list[Any]:
        raise NotImplementedError

    def reset(self) -> None:
        raise NotImplementedError


def _failure(stage: Stage, event: Any, error: LangassistError) -> StageFailed:
    return StageFailed(
        call_id=str(getattr(event, "call_id", "")),
        track=str(getattr(event, "track", "")),
        time_s=float(getattr(event, "end_s", getattr(event, "time_s", 0.0)) or 0.0),
        stage=stage.name,
        message=str(error),
        recoverable=True,
    )


class Pipeline:
    """Stages in order; events flow from the first to the last."""

    def __init__(self, stages: Sequence[Stage]) -> None:
        self.stages = tuple(stages)

    def _run_from(self, index: int, events: Iterable[Any]) -> list[Any]:
        pending = list(events)
        for stage in self.stages[index:]:
            produced: list[Any] = []
            for event in pending:
                produced.append(event)
                if isinstance(event, stage.accepts):
                    try:
                        produced.extend(stage.feed(event))
                    except LangassistError as error:
                        produced.append(_failure(stage, event, error))
            pending = produced
        return pending

    def feed(self, event: Any) -> list[Any]:
        """Run one event through every stage; return it and everything it caused."""
        return self._run_from(0, [event])

    def flush(self) -> list[Any]:
        """End of stream: flush each stage in order, routing its output downstream."""
        out: list[Any] = []
        for index, stage in enumerate(self.stages):
            try:
                flushed = stage.flush()
            except LangassistError as error:
                flushed = [_failure(stage, None, error)]
            out.extend(self._run_from(index + 1, flushed))
        return out

    def reset(self) -> None:
        for stage in self.stages:
            stage.reset()

    def run(self, events: Iterable[Any]) -> list[Any]:
        """Feed every event, then flush: the replay of a whole transcript."""
        out: list[Any] = []
        for event in events:
            out.extend(self.feed(event))
        out.extend(self.flush())
        return out
