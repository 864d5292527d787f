"""State that checks share across one run of the suite."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import attrs

from devtune_contract.masking import Redactor
from devtune_contract.settings import Settings


@attrs.define
class RunState:
    """Settings, the redactor and what the run has seen so far (thread-safe)."""

    settings: Settings
    redactor: Redactor
    clock: Callable[[], float] = time.time
    _seen_secrets: dict[str, int] = attrs.field(factory=dict)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def remember_secret(self, secret: str, exchange_id: int) -> int | None:
        """Record ``secret``; return the exchange that returned it before, if any.

        Re-validating the same exchange (schemathesis replays and shrinks) is not a repeat.
        """
        self.redactor.add(secret)
        with self._lock:
            first = self._seen_secrets.setdefault(secret, exchange_id)
        return None if first == exchange_id else first
