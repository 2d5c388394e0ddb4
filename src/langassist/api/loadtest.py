"""Load generator for the live API: many native streams at once, paced in real time.

Used by the soak test (T11) and ``benchmarks/live_capacity.py``. Each stream opens the
call's events socket first, then ``/v1/stream``, sends ``frame_s`` frames of PCM16 at
``speed`` times real time, ``stop``, and waits for ``StreamStopped`` and the call's
``CallSummary``. The lag of a final is the wall time it reached the events socket minus
the time the frame holding its ``end_s`` (the end of its last word) was sent: the
end-of-speech-to-final latency a sidebar sees, including the endpointer's silence wait.

Needs the ``websockets`` package (installed with ``uvicorn[standard]``).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["StreamResult", "free_port", "percentile", "play_stream", "run_streams", "scrape_metrics", "serve_subprocess"]


@dataclass
class StreamResult:
    call_id: str
    sent_bytes: int = 0
    acknowledged_bytes: int | None = None
    close_code: int | None = None
    close_reason: str = ""
    events_close_code: int | None = None
    refused: bool = False
    finals: list[dict[str, Any]] = field(default_factory=list)
    final_lags: list[float] = field(default_factory=list)
    partials: int = 0
    summary: bool = False
    errors: list[str] = field(default_factory=list)
    max_send_behind_s: float = 0.0


def percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(np.asarray(values), q)) if values else None


def _pcm_frames(audio: np.ndarray, frame_s: float, rate: int) -> list[bytes]:
    pcm = np.round(np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    step = 2 * max(1, int(rate * frame_s))
    return [b"\x00" + pcm[i:i + step] for i in range(0, len(pcm), step)]


async def play_stream(
    base_url: str,
    token: str,
    call_id: str,
    audio: np.ndarray,
    *,
    rate: int = 16000,
    frame_s: float = 0.1,
    speed: float = 1.0,
    track: str = "agent",
    summary_timeout_s: float = 30.0,
) -> StreamResult:
    """Stream ``audio`` (float32 mono at ``rate``) as call ``call_id``; see the module doc."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    ws_url = base_url.replace("http://", "ws://", 1).rstrip("/")
    headers = {"Authorization": f"Bearer {token}"}
    result = StreamResult(call_id)
    frames = _pcm_frames(audio, frame_s, rate)
    sent_at: list[float] = []
    summary = asyncio.Event()

    async with connect(f"{ws_url}/v1/calls/{call_id}/events", additional_headers=headers,
                       max_size=2**22, open_timeout=30) as events:

        async def listen() -> None:
            try:
                async for raw in events:
                    now = time.perf_counter()
                    message = json.loads(raw)
                    kind = message.get("type")
                    if kind == "TranscriptPartial":
                        result.partials += 1
                    elif kind == "TranscriptFinal":
                        result.finals.append(message)
                        index = min(int(float(message["end_s"]) / frame_s), len(sent_at) - 1)
                        if index >= 0:
                            result.final_lags.append(now - sent_at[index])
                    elif kind == "CallSummary":
                        result.summary = True
                        summary.set()
            except ConnectionClosed:
                pass
            result.events_close_code = events.close_code
            summary.set()

        listener = asyncio.ensure_future(listen())
        try:
            async with connect(f"{ws_url}/v1/stream", additional_headers=headers, max_size=2**22,
                               open_timeout=30) as stream:
                await stream.send(json.dumps({"type": "start", "call_id": call_id, "sample_rate_hz": rate,
                                              "tracks": [track]}))
                started = time.perf_counter()
                try:
                    for index, frame in enumerate(frames):
                        due = started + index * frame_s / speed
                        delay = due - time.perf_counter()
                        if delay > 0:
                            await asyncio.sleep(delay)
                        else:
                            result.max_send_behind_s = max(result.max_send_behind_s, -delay)
                        sent_at.append(time.perf_counter())
                        await stream.send(frame)
                        result.sent_bytes += len(frame) - 1
                    await stream.send(json.dumps({"type": "stop"}))
                    async for raw in stream:
                        message = json.loads(raw)
                        if message.get("type") == "StreamStopped":
                            result.acknowledged_bytes = int(sum(message["received_bytes"].values()))
                except ConnectionClosed:
                    pass
            result.close_code = stream.close_code
            result.close_reason = stream.close_reason or ""
            result.refused = result.close_code == 1013
            if not result.refused:
                await asyncio.wait_for(summary.wait(), summary_timeout_s)
        except (OSError, TimeoutError, ConnectionClosed) as error:
            result.errors.append(f"{type(error).__name__}: {error}")
        finally:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
    return result


async def run_streams(base_url: str, token: str, clips: list[tuple[str, np.ndarray]], *,
                      stagger_s: float = 0.0, **options: Any) -> list[StreamResult]:
    """Play every ``(call_id, audio)`` at once (start times ``stagger_s`` apart)."""

    async def one(index: int, call_id: str, audio: np.ndarray) -> StreamResult:
        await asyncio.sleep(index * stagger_s)
        return await play_stream(base_url, token, call_id, audio, **options)

    return list(await asyncio.gather(*(one(i, cid, audio) for i, (cid, audio) in enumerate(clips))))


def scrape_metrics(base_url: str, token: str, timeout_s: float = 10.0) -> dict[str, float]:
    """``/metrics`` as ``{"name{labels}": value}`` (histogram buckets included)."""
    request = urllib.request.Request(base_url.rstrip("/") + "/metrics",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 - loopback URL
        text = response.read().decode("utf-8")
    values: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        try:
            values[name] = float(value)
        except ValueError:
            continue
    return values


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve_subprocess(command: Sequence[str], port: int, *, env: Mapping[str, str] | None = None,
                     startup_timeout_s: float = 120.0) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run a server command (it must listen on 127.0.0.1:``port``) until ``/health`` answers;
    yields ``(base_url, process)`` and terminates it afterwards (its output on ``process.output``)."""
    process = subprocess.Popen(list(command), env={**os.environ, **(env or {})},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout_s
        while True:
            try:
                urllib.request.urlopen(url + "/health", timeout=1).read()  # noqa: S310 - loopback
                break
            except OSError:
                if process.poll() is not None:
                    output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                    raise RuntimeError(f"server exited with {process.returncode}: {output[-2000:]}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server did not answer /health within {startup_timeout_s} s") from None
                time.sleep(0.2)
        yield url, process
    finally:
        process.terminate()
        try:
            raw = process.communicate(timeout=15)[0]
        except subprocess.TimeoutExpired:
            process.kill()
            raw = process.communicate()[0]
        process.output = raw.decode(errors="replace")  # type: ignore[attr-defined]
