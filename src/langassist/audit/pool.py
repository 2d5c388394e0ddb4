"""A small process pool for poison isolation: one call at a time per worker process.

Unlike :class:`concurrent.futures.ProcessPoolExecutor`, a worker that hangs is killed
when its call passes the per-call timeout, and a worker that dies (a native crash, the
OOM killer) costs only its own call: the pool records the failure and starts a new
worker. Workers load their resources once (a ``"module:attribute"`` factory, see
:mod:`langassist.audit.worker`) and the load time does not count against a call's
timeout. Workers are started with ``forkserver`` on Linux, so the driver's threads
(the progress bar) are never forked, and they die with the driver
(``PR_SET_PDEATHSIG``), so a ``kill -9`` of the driver leaves no orphans.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from langassist.audit.inputs import CallTask
from langassist.audit.worker import Fatal, failure_result, worker_main
from langassist.config import Settings

__all__ = ["ProcessPool"]

logger = logging.getLogger(__name__)

OnStart = Callable[[CallTask], None]
OnResult = Callable[[CallTask, dict[str, Any]], bool]
"""Called with each result; returns True to run the task again (a retry)."""


@dataclass(eq=False)
class _Slot:
    process: Any
    connection: Connection
    ready: bool = False
    task: CallTask | None = None
    started: float = 0.0
    spawned: float = 0.0


class ProcessPool:
    """Run tasks on ``workers`` processes with a per-call timeout.

    Args:
        workers: number of worker processes (at least 1).
        resources: the ``"module:attribute"`` resources factory each worker builds.
        timeout_s: per-call wall-clock limit; the worker is killed past it.
        load_timeout_s: limit on a worker's resource loading.
        max_spawn_failures: workers dying before they are ready, in a row, before the
            run is declared broken (:class:`~langassist.audit.worker.Fatal`).
    """

    def __init__(
        self,
        workers: int,
        resources: str,
        settings: Settings,
        out_dir: Path,
        *,
        timeout_s: float,
        load_timeout_s: float = 900.0,
        max_spawn_failures: int = 3,
        start_method: str | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        method = start_method or ("forkserver" if sys.platform.startswith("linux") else "spawn")
        self._context = multiprocessing.get_context(method)
        if method == "forkserver":
            self._context.set_forkserver_preload(["langassist.audit.preload"])
        self.workers = workers
        self.resources = resources
        self.settings = settings
        self.out_dir = str(out_dir)
        self.timeout_s = timeout_s
        self.load_timeout_s = load_timeout_s
        self.max_spawn_failures = max_spawn_failures
        self.respawned = 0

    def _spawn(self) -> _Slot:
        parent, child = self._context.Pipe(duplex=True)
        process = self._context.Process(  # type: ignore[attr-defined]
            target=worker_main,
            args=(child, self.resources, self.settings, self.out_dir),
            daemon=True,
            name="langassist-audit-worker",
        )
        process.start()
        child.close()
        return _Slot(process=process, connection=parent, spawned=time.monotonic())

    @staticmethod
    def _kill(slot: _Slot) -> None:
        if slot.process.is_alive():
            slot.process.kill()
        slot.process.join(5.0)
        slot.connection.close()

    def run(self, tasks: Iterable[CallTask], on_start: OnStart, on_result: OnResult) -> None:
        """Run every task; returns when all are finished (or raises :class:`Fatal`)."""
        queue: deque[CallTask] = deque(tasks)
        if not queue:
            return
        slots: list[_Slot] = [self._spawn() for _ in range(min(self.workers, len(queue)))]
        spawn_failures = 0
        try:
            while queue or any(slot.task is not None for slot in slots):
                for slot in slots:
                    if slot.ready and slot.task is None and queue:
                        task = queue.popleft()
                        on_start(task)
                        slot.task, slot.started = task, time.monotonic()
                        slot.connection.send(task)
                waitables: list[Any] = []
                for slot in slots:
                    waitables.extend((slot.connection, slot.process.sentinel))
                wait(waitables, timeout=self._next_deadline(slots))
                removed: list[_Slot] = []
                for index, slot in enumerate(list(slots)):
                    died = False
                    while not slot.connection.closed and slot.connection.poll():
                        try:
                            kind, payload = slot.connection.recv()
                        except (EOFError, OSError):
                            died = True
                            break
                        if kind == "ready":
                            slot.ready, spawn_failures = True, 0
                        elif kind == "fatal":
                            raise Fatal(str(payload))
                        elif kind == "result" and slot.task is not None:
                            task, slot.task = slot.task, None
                            if on_result(task, payload):
                                queue.append(task)
                    now = time.monotonic()
                    if died or not slot.process.is_alive():
                        slot.process.join(1.0)
                        code = slot.process.exitcode
                        if slot.task is not None:
                            task, slot.task = slot.task, None
                            logger.warning("worker died on call %s (exit code %s)", task.call_id, code)
                            result = failure_result(
                                task, "worker_crashed", f"the worker process died (exit code {code})",
                                retryable=True, processing_s=now - slot.started,
                            )
                            if on_result(task, result):
                                queue.append(task)
                        elif not slot.ready:
                            spawn_failures += 1
                            if spawn_failures >= self.max_spawn_failures:
                                raise Fatal(f"audit workers die while loading (exit code {code})")
                        self._kill(slot)
                        self._replace(slots, index, queue, removed)
                    elif slot.task is not None and now - slot.started > self.timeout_s:
                        task, slot.task = slot.task, None
                        logger.warning("call %s passed the %.0f s timeout", task.call_id, self.timeout_s)
                        self._kill(slot)
                        result = failure_result(
                            task, "timeout", f"no result within {self.timeout_s:g} s",
                            retryable=True, processing_s=now - slot.started,
                        )
                        if on_result(task, result):
                            queue.append(task)
                        self._replace(slots, index, queue, removed)
                    elif not slot.ready and now - slot.spawned > self.load_timeout_s:
                        raise Fatal(f"an audit worker did not load its models within {self.load_timeout_s:g} s")
                slots = [slot for slot in slots if slot not in removed]
        finally:
            for slot in slots:
                if slot.process.is_alive() and not slot.connection.closed:
                    try:
                        slot.connection.send(None)
                    except (OSError, BrokenPipeError):
                        pass
                slot.process.join(2.0)
                self._kill(slot)

    def _replace(self, slots: list[_Slot], index: int, queue: deque[CallTask], removed: list[_Slot]) -> None:
        """Start a new worker in place of a dead or killed one while work is left."""
        if not queue:
            removed.append(slots[index])
            return
        self.respawned += 1
        slots[index] = self._spawn()

    def _next_deadline(self, slots: list[_Slot]) -> float:
        now = time.monotonic()
        deadlines = [slot.started + self.timeout_s - now for slot in slots if slot.task is not None]
        deadlines.extend(slot.spawned + self.load_timeout_s - now for slot in slots if not slot.ready)
        return max(0.05, min(deadlines, default=1.0))
