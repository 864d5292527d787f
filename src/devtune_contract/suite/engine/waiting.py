"""Every pause of the run: client-side pacing and waits for a rate-limit reset.

A wait longer than :data:`ANNOUNCE_AFTER` seconds prints one line first (why, how long), so a
run that pauses is never mistaken for a hung one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from devtune_contract.checks.rate_limit import header_integer
from devtune_contract.settings import Pace

ANNOUNCE_AFTER = 3.0
# When a 429's X-RateLimit-Reset cannot be read, wait this long before trying again.
UNREADABLE_RESET_WAIT = 1.0
Announce = Callable[[str], None]


def wait(seconds: float, why: str, announce: Announce) -> None:
    if seconds <= 0:
        return
    if seconds > ANNOUNCE_AFTER:
        announce(f"waiting {seconds:.0f} s: {why}")
    time.sleep(seconds)


def seconds_until_reset(reset: str, now: float) -> float:
    """How long a 429 asks the client to wait, from its ``X-RateLimit-Reset`` value.

    The checks fail a 429 whose Reset is not ASCII digits; this only has to stay safe on any
    header value a server may send (``"³"``, thousands of digits, a negative number).
    """
    moment = header_integer(reset)
    if moment is None or moment < 0:
        return UNREADABLE_RESET_WAIT
    return max(0.0, moment - now)


class Pacer:
    """Spreads requests evenly so the run stays inside ``DEVTUNE_PACE`` (thread-safe)."""

    def __init__(self, pace: Pace | None, announce: Announce) -> None:
        self._pace = pace
        self._announce = announce
        self._next = 0.0
        self._lock = threading.Lock()

    def before_request(self) -> None:
        if self._pace is None:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self._pace.interval
        wait(start - now, f"pacing requests to DEVTUNE_PACE={self._pace}", self._announce)
