"""Fixed-window rate limiting per API key, as DevTune documents it (N requests per window).

A key's window opens with its first request and closes ``window`` seconds later; ``reset``
is that moment as whole Unix seconds, rounded up so a client that waits until ``reset``
always finds a fresh window.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

import attrs


@attrs.frozen
class RateLimitDecision:
    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


@attrs.define
class _Window:
    opened_at: float
    used: int


class RateLimiter:
    """Counts requests per key; ``hit`` is atomic, so concurrency never admits extra requests."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.time) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("rate limit and window must be positive")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}

    def hit(self, key_id: str) -> RateLimitDecision:
        now = self._clock()
        with self._lock:
            current = self._windows.get(key_id)
            if current is None or now >= current.opened_at + self.window:
                current = self._windows[key_id] = _Window(opened_at=now, used=0)
            allowed = current.used < self.limit
            if allowed:
                current.used += 1
            return RateLimitDecision(
                allowed=allowed,
                limit=self.limit,
                remaining=self.limit - current.used,
                reset=math.ceil(current.opened_at + self.window),
            )
