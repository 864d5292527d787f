"""What checks remember across one run of the suite: secrets seen and rate-limit history.

Checks may be called from several threads at once (a burst of concurrent rotations), so every
record is taken under one lock. Registering secrets with the redactor is not done here: the
suite does it when a response becomes an :class:`~devtune_contract.checks.exchange.Exchange`,
before any check sees it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import attrs

from devtune_contract.settings import Settings


@attrs.frozen
class Quota:
    """The three ``X-RateLimit-*`` values of one response."""

    limit: int
    remaining: int
    reset: int


@attrs.frozen
class QuotaTrend:
    """What a key's history says after one more response was added to it.

    ``first_limit`` is the Limit of the key's first counted response; ``not_decreasing`` counts
    the responses in a row (this one included) that shared this one's Limit and Reset and whose
    Remaining was never lower than the one before.
    """

    first_limit: int
    not_decreasing: int


@attrs.define
class _KeyHistory:
    first_limit: int
    # The latest Remaining and the length of its streak, per (Limit, Reset) window: interleaved
    # windows (several nodes counting separately) each keep their own streak.
    streaks: dict[tuple[int, int], tuple[int, int]] = attrs.field(factory=dict)


@attrs.define
class RunState:
    """Settings, the clock and what the run has seen so far (thread-safe)."""

    settings: Settings
    clock: Callable[[], float] = time.time
    # Where a SHOULD that is not a MUST goes (RFC 8259's unique names): a warning, not a failure.
    warn: Callable[[str], None] = lambda text: None
    _seen_secrets: dict[str, int] = attrs.field(factory=dict)
    _quotas: dict[str, _KeyHistory] = attrs.field(factory=dict)
    _counted_exchanges: dict[int, QuotaTrend] = attrs.field(factory=dict)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def remember_secret(self, secret: str, exchange_id: int) -> int | None:
        """Record ``secret``; return the exchange that returned it before, if any.

        Re-validating the same exchange (schemathesis replays and shrinks) is not a repeat.
        """
        with self._lock:
            first = self._seen_secrets.setdefault(secret, exchange_id)
        return None if first == exchange_id else first

    def secrets_seen(self) -> tuple[str, ...]:
        """Every secret a rotation returned so far: shown anywhere else, each is exposure."""
        with self._lock:
            return tuple(self._seen_secrets)

    def record_quota(self, key: str, exchange_id: int, quota: Quota) -> QuotaTrend:
        """Add one response's quota to ``key``'s history, once per exchange, in call order."""
        with self._lock:
            known = self._counted_exchanges.get(exchange_id)
            if known is not None:
                return known
            history = self._quotas.setdefault(key, _KeyHistory(first_limit=quota.limit))
            window = (quota.limit, quota.reset)
            # Equivalent mutant: another default streak; a window's first response starts at 1.
            previous, streak = history.streaks.get(window, (None, 0))
            streak = streak + 1 if previous is not None and quota.remaining >= previous else 1
            history.streaks[window] = (quota.remaining, streak)
            trend = QuotaTrend(first_limit=history.first_limit, not_decreasing=streak)
            self._counted_exchanges[exchange_id] = trend
            return trend
