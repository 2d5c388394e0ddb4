"""``--engine ray``: the same audit on Ray Data, over the same per-call function.

Each call is one row of a Ray Dataset; ``map_batches`` runs
:func:`langassist.audit.worker.process_call` in a pool of actors, each of which loads
its resources (one speech model, one assessor) once in its constructor. Results come
back to the driver, which keeps the same SQLite ledger as the local engine, so outputs,
resume and idempotency are identical; retries of crashed calls go through the ledger
too. The per-call timeout is enforced in each actor with ``SIGALRM`` when the actor
runs calls on its main thread (otherwise Ray's own task retries apply).

Pointing at an existing cluster: start one (``ray start --head`` on the head node,
``ray start --address HEAD:6379`` on the others), then run
``langassist audit INPUT... --out DIR --engine ray --ray-address auto`` on a cluster
node, or ``--ray-address ray://HEAD:10001`` (Ray Client) from elsewhere; the
``RAY_ADDRESS`` environment variable works too. Inputs and the output folder must be
visible at the same paths on every node (a shared file system), because actors read
the inputs and publish the per-call files themselves. Without an address a local Ray
instance is started for the run and shut down after it.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from langassist.audit.inputs import CallTask
from langassist.audit.worker import (
    Fatal,
    failure_result,
    limit_threads,
    load_resources,
    process_call,
)
from langassist.config import Settings
from langassist.errors import BackendUnavailable, LangassistError
from langassist.pii import redact_text

__all__ = ["run_on_ray"]

LOCAL_OBJECT_STORE_BYTES = 256 * 2**20
"""Object store of a local Ray instance started for a run: rows are call tasks and small
JSON results (documents go to disk, not through Ray), so Ray's default of 30% of memory
would only slow the start."""
INSTALL_HINT = "--engine ray needs Ray Data: pip install 'langassist[ray]' (or pip install 'ray[data]')"


class _Timeout(Exception):
    pass


class CallActor:
    """A Ray actor: resources loaded once, then one call per row."""

    def __init__(self, resources: str, settings: Settings, out_dir: str, timeout_s: float) -> None:
        from langassist.pii import install_log_redaction

        install_log_redaction()
        limit_threads(settings)
        self.settings = settings
        self.out_dir = Path(out_dir)
        self.timeout_s = timeout_s
        self.fatal: str | None = None
        try:
            self.resources: Any = load_resources(resources)
        except LangassistError as error:
            self.fatal = redact_text(str(error)).text

    def _one(self, task: CallTask) -> dict[str, Any]:
        if self.fatal is not None:
            return {"key": task.key, "status": "fatal", "message": self.fatal}
        alarm = threading.current_thread() is threading.main_thread()
        if alarm:
            def expire(signum: int, frame: Any) -> None:
                raise _Timeout

            signal.signal(signal.SIGALRM, expire)
            signal.setitimer(signal.ITIMER_REAL, self.timeout_s)
        try:
            return process_call(task, self.settings, self.resources, self.out_dir)
        except _Timeout:
            return failure_result(task, "timeout", f"no result within {self.timeout_s:g} s", retryable=True)
        except Fatal as error:
            return {"key": task.key, "status": "fatal", "message": redact_text(str(error)).text}
        finally:
            if alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        return {"result": [json.dumps(self._one(task)) for task in batch["task"]]}


def run_on_ray(
    todo: Sequence[CallTask],
    settings: Settings,
    options: Any,
    out: Path,
    on_start: Callable[[CallTask], None],
    on_result: Callable[[CallTask, dict[str, Any]], bool],
) -> None:
    """Run ``todo`` on Ray; results are reported to ``on_result`` as they arrive."""
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise BackendUnavailable(INSTALL_HINT) from exc
    address = options.ray_address or os.environ.get("RAY_ADDRESS")
    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=max(1, options.workers), include_dashboard=False, log_to_driver=False,
                     configure_logging=False, object_store_memory=LOCAL_OBJECT_STORE_BYTES)
    try:
        with warnings.catch_warnings():  # Ray Data's own deprecation notices at start-up
            warnings.simplefilter("ignore", DeprecationWarning)
            _run(ray, todo, settings, options, out, on_start, on_result)
    finally:
        if started_here:
            ray.shutdown()


def _run(
    ray: Any, todo: Sequence[CallTask], settings: Settings, options: Any, out: Path,
    on_start: Callable[[CallTask], None], on_result: Callable[[CallTask, dict[str, Any]], bool],
) -> None:
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    by_key = {task.key: task for task in todo}
    pending = list(todo)
    while pending:
        for task in pending:
            on_start(task)
        dataset = ray.data.from_items([{"task": task} for task in pending], override_num_blocks=len(pending))
        results = dataset.map_batches(
            CallActor,
            fn_constructor_kwargs={"resources": options.resources, "settings": settings,
                                   "out_dir": str(out), "timeout_s": options.timeout_s},
            batch_size=1,
            batch_format="default",
            concurrency=max(1, options.workers),
            num_cpus=1,
        )
        again: list[CallTask] = []
        for row in results.iter_rows():
            result = json.loads(row["result"])
            if result.get("status") == "fatal":
                raise Fatal(str(result.get("message")))
            task = by_key[result["key"]]
            if on_result(task, result):
                again.append(task)
        pending = again
