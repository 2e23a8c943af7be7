"""A request to stop a streaming run, set by SIGTERM or Ctrl-C from the moment the CLI starts.

A service manager may send SIGTERM at any time, also while the run is still starting (Beam,
the models and the runner take seconds to load). Python's default for SIGTERM kills the
process on the spot, so the handler is installed first thing, before any of that loads; the
run then sees the request whenever it comes and ends cleanly: before it started, by not
starting; after, by settling what it read (pipeline/streaming.py).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class StopRequest:
    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason: str | None = None

    def set(self, reason: str = "requested") -> None:
        if self.reason is None:
            self.reason = reason
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)

    @contextlib.contextmanager
    def on_signals(self) -> Iterator[StopRequest]:
        """SIGTERM and SIGINT set this request while inside (main thread only; elsewhere the
        caller sets it); the previous handlers come back on leaving."""

        def handle(signum: int, _frame: FrameType | None) -> None:
            self.set(signal.Signals(signum).name)

        previous = {}
        if threading.current_thread() is threading.main_thread():
            previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
