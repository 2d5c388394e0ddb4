"""The shared work pool of the live API: admission control and fair scheduling.

One loaded model (transcriber, assessor resources) serves every call; what runs on it is
scheduled here. Each admitted call gets a :class:`Lane`: a FIFO of its jobs (audio
drains, end of stream, chat assessments). A fixed number of worker threads take lanes
round robin: a worker runs **one** job of the lane at the head of the ready ring, then
puts the lane back at the tail if it has more, so a call with a backlog cannot starve
the others and one call's jobs never run concurrently (its stage and assessor are not
thread-safe, and its events stay in order). The event loop only enqueues.

Decodes of different calls are not batched: the streaming stage decodes one call's
buffer at a time through ``Transcriber.transcribe`` (faster-whisper has no batched call
for independent streams of different lengths and prompts), and on CPU CTranslate2's
intra-op threads already use the cores a batch would. Instead a call's queued audio is
coalesced into one feed (see :class:`langassist.api.session.AudioIngest`), so a call that
fell behind pays for one decode, not one per frame.

Admission: at most ``max_calls`` calls hold a lane; :meth:`CallScheduler.admit` raises
:class:`PoolFull` beyond that, and the routes refuse (WebSocket close 1013, HTTP 503).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

__all__ = ["CallScheduler", "Lane", "PoolFull", "default_workers"]


class PoolFull(Exception):
    """Every call slot is taken; the new call is refused (never queued)."""

    def __init__(self, max_calls: int) -> None:
        super().__init__(f"server busy: {max_calls} calls already in progress (live.max_calls)")
        self.max_calls = max_calls


def default_workers(cpu_threads: int) -> int:
    """Workers for ``live.decode_workers = 0``: the cores this process may use divided by
    the transcriber's intra-op threads (at least one)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, cores // max(1, cpu_threads))


@dataclass(eq=False)
class _Job:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    future: Future[Any]
    queued_at: float


@dataclass(eq=False)
class Lane:
    """One admitted call's FIFO of jobs (its handle for :meth:`CallScheduler.submit`)."""

    call_id: str
    refs: int = 1
    jobs: deque[_Job] = field(default_factory=deque)
    running: bool = False
    ready: bool = False
    released: bool = False


class CallScheduler:
    """Admission and round-robin scheduling of every call's work on ``workers`` threads.

    Args:
        workers: worker threads (size them to the cores; see :func:`default_workers`).
        max_calls: calls admitted at once.
        observe_wait / observe_run: called with the seconds a job waited for a worker
            and ran (metrics hooks; called on the worker thread).
    """

    def __init__(
        self,
        workers: int,
        max_calls: int,
        *,
        observe_wait: Callable[[float], None] | None = None,
        observe_run: Callable[[float], None] | None = None,
    ) -> None:
        if workers < 1 or max_calls < 1:
            raise ValueError("the pool needs at least one worker and one call slot")
        self.workers = workers
        self.max_calls = max_calls
        self._observe_wait = observe_wait
        self._observe_run = observe_run
        self._cond = threading.Condition()
        self._lanes: dict[str, Lane] = {}
        self._ready: deque[Lane] = deque()
        self._queued = 0
        self._closing = False
        self.refused = 0
        self._threads = [
            threading.Thread(target=self._work, name=f"langassist-pool-{index}", daemon=True)
            for index in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    # -- admission -------------------------------------------------------------------

    def admit(self, call_id: str) -> Lane:
        """The call's lane (shared by its streams and chat); raises :class:`PoolFull`."""
        with self._cond:
            lane = self._lanes.get(call_id)
            if lane is not None:
                lane.refs += 1
                return lane
            if len(self._lanes) >= self.max_calls:
                self.refused += 1
                raise PoolFull(self.max_calls)
            lane = self._lanes[call_id] = Lane(call_id)
            return lane

    def release(self, lane: Lane) -> None:
        """Give back one reference; the slot frees when the last one goes (queued jobs still run)."""
        with self._cond:
            if lane.released:
                return
            lane.refs -= 1
            if lane.refs <= 0:
                lane.released = True
                if self._lanes.get(lane.call_id) is lane:
                    del self._lanes[lane.call_id]

    @property
    def active_calls(self) -> int:
        with self._cond:
            return len(self._lanes)

    @property
    def queued_jobs(self) -> int:
        """Jobs waiting for a worker (not counting the ones running)."""
        with self._cond:
            return self._queued

    # -- work ------------------------------------------------------------------------

    def submit(self, lane: Lane, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Queue ``fn(*args)`` on the lane; the future holds its result or exception."""
        future: Future[Any] = Future()
        with self._cond:
            if self._closing:
                future.set_exception(RuntimeError("the live API is shutting down"))
                return future
            lane.jobs.append(_Job(fn, args, future, time.perf_counter()))
            self._queued += 1
            if not lane.running and not lane.ready:
                lane.ready = True
                self._ready.append(lane)
                self._cond.notify()
        return future

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._ready and not self._closing:
                    self._cond.wait()
                if not self._ready:
                    return
                lane = self._ready.popleft()
                lane.ready = False
                job = lane.jobs.popleft()
                self._queued -= 1
                lane.running = True
            started = time.perf_counter()
            if self._observe_wait is not None:
                self._observe_wait(started - job.queued_at)
            if job.future.set_running_or_notify_cancel():
                try:
                    job.future.set_result(job.fn(*job.args))
                except BaseException as error:  # handed to whoever awaits the job
                    job.future.set_exception(error)
            if self._observe_run is not None:
                self._observe_run(time.perf_counter() - started)
            with self._cond:
                lane.running = False
                if lane.jobs:
                    lane.ready = True
                    self._ready.append(lane)  # the tail: every other ready call goes first
                    self._cond.notify()

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the workers once the queued jobs are done (or ``timeout_s`` passed)."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        for thread in self._threads:
            if thread.is_alive():
                log.warning("pool worker %s still busy at shutdown", thread.name)
