"""The rotation cap: a promise about the designated and foreign webhooks, kept by outcome.

A request that could rotate one of them first reserves a slot; its outcome settles the slot.
A 2xx or a lost response spends it (the webhook may have rotated); any other status, or a
request that was never sent, gives it back. So the cap holds whatever the server does, and
refusals a correct server answers with 401/403/404/429 never use it up.
"""

from __future__ import annotations

import threading

import attrs

SPENDING_STATUSES = frozenset(range(200, 300))


class CapReached(Exception):
    """No slot is left; the message says so and names the setting."""


@attrs.define
class RotationCap:
    limit: int
    spent: int = 0
    reserved: int = 0
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    @property
    def reason(self) -> str:
        return f"rotation cap reached (DEVTUNE_MAX_ROTATIONS={self.limit})"

    def reserve(self, count: int = 1) -> None:
        """Hold ``count`` slots or raise :class:`CapReached` without holding any."""
        with self._lock:
            if self.spent + self.reserved + count > self.limit:
                raise CapReached(self.reason)
            self.reserved += count

    def settle(self, status: int | None) -> None:
        """Release one reserved slot; ``None`` means the response was lost."""
        with self._lock:
            self.reserved -= 1
            self.spent += status is None or status in SPENDING_STATUSES

    def release(self, count: int) -> None:
        """Give back slots a burst reserved but never used."""
        with self._lock:
            self.reserved -= count
