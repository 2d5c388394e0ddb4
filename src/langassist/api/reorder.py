"""Per-track ordering of Twilio media by ``chunk``: duplicates dropped, reorders fixed, gaps counted.

Twilio numbers each track's media messages (``chunk`` 1, 2, 3 ...) but platforms that copy
the protocol do not promise order (Telnyx: "media frame order is not guaranteed"). A
:class:`ChunkReorder` holds chunks that arrive early until the missing one comes, for at
most ``window`` later chunks (3 x 20 ms = 60 ms by default); then the missing chunk is
declared lost (a gap: the next chunk's ``media.timestamp`` moves the track clock, and
the streaming stage fills the hole with silence) and a copy arriving after that is
dropped as late. A chunk seen before is a duplicate. Memory is bounded: at most
``window`` held chunks and the last ``MEMORY`` chunk numbers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["ChunkReorder", "ReorderCounts"]

T = TypeVar("T")
MEMORY = 256
"""How many recent chunk numbers are remembered to tell duplicates from late arrivals."""


@dataclass
class ReorderCounts:
    duplicate: int = 0
    gap: int = 0
    """Chunks never received (declared lost once ``window`` later chunks had arrived)."""
    late: int = 0
    """Chunks that arrived after they had been declared lost (dropped)."""


@dataclass
class ChunkReorder(Generic[T]):
    """Releases items of one track in ``chunk`` order (see the module docstring)."""

    window: int = 3
    first_chunk: int = 1
    counts: ReorderCounts = field(default_factory=ReorderCounts)
    _next: int | None = None
    _held: dict[int, T] = field(default_factory=dict)
    _lost: deque[int] = field(default_factory=lambda: deque(maxlen=MEMORY))

    def push(self, chunk: int, item: T) -> list[T]:
        """Add one chunk; returns the items now due, in order (often just ``[item]``)."""
        if self._next is None:
            self._next = min(self.first_chunk, chunk)
        if chunk < self._next or chunk in self._held:
            if chunk in self._lost:
                self.counts.late += 1
            else:
                self.counts.duplicate += 1
            return []
        self._held[chunk] = item
        out = self._release()
        while self._held and len(self._held) > self.window:
            self._skip()
            out.extend(self._release())
        return out

    def drain(self) -> list[T]:
        """Everything still held, in order (end of stream: the holes are gaps)."""
        out = self._release()
        while self._held:
            self._skip()
            out.extend(self._release())
        return out

    def _release(self) -> list[T]:
        out: list[T] = []
        assert self._next is not None
        while self._next in self._held:
            out.append(self._held.pop(self._next))
            self._next += 1
        return out

    def _skip(self) -> None:
        assert self._next is not None
        self._lost.append(self._next)
        self.counts.gap += 1
        self._next += 1

    @property
    def held(self) -> Iterable[int]:
        return tuple(sorted(self._held))
