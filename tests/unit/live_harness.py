"""In-process ASGI WebSocket driving for the live API's pool tests (no network).

:class:`AsgiSocket` speaks the ASGI WebSocket protocol to the app directly, so a test
controls exactly when the "client" reads (a stalled sidebar is a ``send`` that waits)
and records when the server took each message (the arrival time of audio).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from test_api_fakes import TOKEN

HOST = "127.0.0.1:8765"


@asynccontextmanager
async def running(app: Any) -> AsyncIterator[Any]:
    """Run the app's lifespan (startup/shutdown) around the block; yields the app state."""
    async with app.router.lifespan_context(app):
        yield app.state.langassist


class AsgiSocket:
    """One WebSocket connection to ``app`` at ``path``.

    Args:
        stalled: when set, every ``websocket.send`` waits until :meth:`resume` (a sidebar
            that stopped reading); close messages are never held.
    """

    def __init__(self, app: Any, path: str, *, stalled: bool = False) -> None:
        self.app = app
        self.path = path
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.received: list[dict[str, Any]] = []
        self.taken_at: list[float] = []
        self.arrived: list[float] = []
        self.closed: dict[str, Any] | None = None
        self.accepted = asyncio.Event()
        self.got_message = asyncio.Event()
        self.done = asyncio.Event()
        self._flowing = asyncio.Event()
        if not stalled:
            self._flowing.set()
        self.task: asyncio.Task[None] | None = None

    def start(self) -> AsgiSocket:
        scope = {
            "type": "websocket", "asgi": {"version": "3.0"}, "scheme": "ws", "path": self.path,
            "raw_path": self.path.encode(), "query_string": b"", "root_path": "",
            "headers": [(b"host", HOST.encode()), (b"authorization", f"Bearer {TOKEN}".encode())],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8765), "subprotocols": [],
            "state": {},
        }
        self.inbox.put_nowait({"type": "websocket.connect"})
        self.task = asyncio.ensure_future(self._run(scope))
        return self

    async def _run(self, scope: dict[str, Any]) -> None:
        try:
            await self.app(scope, self._receive, self._send)
        finally:
            self.done.set()

    async def _receive(self) -> dict[str, Any]:
        message = await self.inbox.get()
        self.taken_at.append(time.perf_counter())
        return message

    async def _send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "websocket.accept":
            self.accepted.set()
        elif kind == "websocket.close":
            self.closed = message
            self.inbox.put_nowait({"type": "websocket.disconnect", "code": message.get("code", 1000)})
        elif kind == "websocket.send":
            await self._flowing.wait()
            import json

            self.received.append(json.loads(message["text"]) if message.get("text") else {"bytes": message["bytes"]})
            self.arrived.append(time.perf_counter())
            self.got_message.set()

    def stall(self) -> None:
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    def send_json(self, body: dict[str, Any]) -> None:
        import json

        self.inbox.put_nowait({"type": "websocket.receive", "text": json.dumps(body)})

    def send_bytes(self, data: bytes) -> None:
        self.inbox.put_nowait({"type": "websocket.receive", "bytes": data})

    def disconnect(self, code: int = 1006) -> None:
        self.inbox.put_nowait({"type": "websocket.disconnect", "code": code})

    async def wait_done(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self.done.wait(), timeout)

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout} s on {self.path}")
            await asyncio.sleep(0.01)
