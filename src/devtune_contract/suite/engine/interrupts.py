"""SIGTERM and SIGINT, which CI sends on a job timeout or a cancel: reports first, then exit.

The first signal stops the run the way Ctrl-C stops pytest (a ``KeyboardInterrupt`` in the main
thread, wherever it waits: a socket read, a rate-limit wait, a thread join), so pytest still
writes its JUnit and the plugin its summary, both saying ``interrupted: SIGTERM``. A second
signal means "now": the process exits at once, reports or not.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Interrupts:
    """Installed around one run; ``reason`` says which signal stopped it, if one did."""

    def __init__(self) -> None:
        self.received: str | None = None
        self._previous: dict[int, Any] = {}

    @property
    def reason(self) -> str | None:
        return None if self.received is None else f"interrupted: {self.received}"

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            for number in SIGNALS:
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def _handle(self, number: int, frame: FrameType | None) -> None:
        if self.received is not None:
            os._exit(128 + number)
        self.received = signal.Signals(number).name
        raise KeyboardInterrupt(self.reason)
