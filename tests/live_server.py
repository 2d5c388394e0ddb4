"""A real uvicorn server on 127.0.0.1 for tests: in a thread (app under test) or as a
``langassist serve`` subprocess. Both bind a free port and always stop when the block ends.

    with serve_in_thread(app) as server:      # server.url, server.app
        ...
    with serve_subprocess(["--pipeline", "english-fast"], token=TOKEN) as server:
        ...
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class RunningServer:
    url: str
    port: int
    app: Any = None
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def ws(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"


def _bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.set_inheritable(True)
    return sock


def wait_healthy(url: str, timeout_s: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} before it was healthy")
        try:
            with urllib.request.urlopen(url + "/health", timeout=1.0) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"{url} was not healthy within {timeout_s} s")


@contextlib.contextmanager
def serve_in_thread(app: Any, *, ws_max_size: int = 64 * 1024 + 1024, **config: Any) -> Iterator[RunningServer]:
    """Run ``app`` under uvicorn in a daemon thread; stop it (and wait) at the end."""
    sock = _bound_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws_max_size=ws_max_size,
                                           lifespan="on", access_log=False, **config))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="uvicorn-test")
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        yield RunningServer(f"http://127.0.0.1:{port}", port, app=app)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=5)
        assert not thread.is_alive(), "uvicorn did not stop"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_subprocess(args: Sequence[str], *, token: str, log_dir: Path, startup_s: float = 120.0,
                     env: dict[str, str] | None = None) -> Iterator[RunningServer]:
    """``langassist serve`` in its own process group; SIGTERM (then SIGKILL) at the end."""
    port = free_port()
    log_path = log_dir / "serve.log"
    environment = {**os.environ, "LANGASSIST_API_TOKEN": token, **(env or {})}
    src = str(REPO_ROOT / "src")
    environment["PYTHONPATH"] = src + os.pathsep + environment.get("PYTHONPATH", "")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "langassist.cli.main", "serve", "--port", str(port), *args],
            stdout=log, stderr=subprocess.STDOUT, env=environment, start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, startup_s, process)
        yield RunningServer(url, port, process=process, log_path=log_path)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def english_call_or_skip(customer_text: str, *, tail_s: float = 1.0) -> Any:
    """Skip unless the ``english-fast`` pipeline's model is installed; else a short
    espeak-ng stereo call (the agent asks for a router restart, the customer answers
    ``customer_text``) as :class:`langassist.client.CallAudio`."""
    import pytest

    import audio_factory as af
    from langassist import service
    from langassist.catalog import load_catalog
    from langassist.client import CallAudio

    settings = service.load_settings("english-fast")
    try:
        load_catalog(settings.models).path(settings.asr.model)
    except Exception as error:  # noqa: BLE001 - any "not installed" reason
        pytest.skip(f"{settings.asr.model} is not installed: {error}")
    turns = [
        af.speech_turn("agent", "Please restart the router and wait two minutes.", "en-us", "en"),
        af.speech_turn("customer", customer_text, "en-us", "en", gap_before_s=1.0),
    ]
    call = af.build_stereo_call(turns, 16000, tail_s=tail_s)
    return CallAudio({"agent": call.samples[0], "customer": call.samples[1]})


# --------------------------------------------------------------------------- fakes

TOKEN = "live-test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def burst_stage() -> Any:
    """Streaming ASR over the burst fake transcriber (words named by burst start times)."""
    from langassist.backends.energy_vad import EnergyVad
    from langassist.backends.fake import BurstTranscriber
    from langassist.config import StreamingSettings
    from langassist.stages.streaming_asr import StreamingAsrStage

    settings = StreamingSettings(vad="energy", first_decode_s=0.6, min_chunk_s=1.0)
    return StreamingAsrStage(BurstTranscriber(sentence_every=0), vad=EnergyVad, settings=settings)


def fake_app(**kwargs: Any) -> Any:
    """The real app over the package's fake assessor and the burst ASR stage."""
    from langassist.api.app import create_app
    from langassist.config import load_settings
    from langassist.testing import create_fake_assessor

    kwargs.setdefault("stage_factory", burst_stage)
    return create_app(load_settings(), token=TOKEN, assessor_factory=create_fake_assessor, **kwargs)


