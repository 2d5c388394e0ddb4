"""A virtual clock for drivers: time moves only when someone says so.

The real-time driver takes a clock and a sleep function. With ``time.perf_counter`` and
``time.sleep`` it runs against the wall; with a :class:`VirtualClock` (its ``sleep``
jumps ahead, and a fake transcriber can ``advance`` it by a modelled decode cost) the
same driver is a deterministic simulation of a live call: no sleeps, no threads.
"""

from __future__ import annotations

__all__ = ["VirtualClock"]


class VirtualClock:
    """Seconds that pass only through :meth:`sleep` / :meth:`advance`. Call it to read."""

    def __init__(self, start_s: float = 0.0) -> None:
        self.now_s = start_s

    def __call__(self) -> float:
        return self.now_s

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass (negative values are ignored)."""
        if seconds > 0:
            self.now_s += seconds

    def sleep(self, seconds: float) -> None:
        """Same as :meth:`advance`: waiting costs no real time."""
        self.advance(seconds)
