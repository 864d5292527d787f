"""Whose requests spent the key's quota, and whether a 429's wait fits the run's patience.

Two pipelines on one key meet the rate limit sooner than either expects. That is neither
client's fault and not the server's: the suite must notice it, say so with numbers, stop its
429 probe from starving the other client, and report a wait it cannot afford as *rate limited*,
never as a contract failure. This module is the pure logic of that (no clock, no I/O: callers
pass the time and the responses), so every limiter kind can be tested on made-up headers.

**Seeing another client.** For each configured key, the run counts the requests it sent with
that key and reads ``X-RateLimit-*`` on every response the key got through (not 401s: a 401's
headers may count per client address; not 429s: they may come from a second, burst limit).
Within one window (the same Limit and Reset) two estimates of what others used are taken, and
the smaller one counts, so that no legitimate limiter (each is tested in
``tests/unit/test_quota.py``) looks like a second client:

- *fallen since the window's first response, minus what the run sent since*. Exact for a fixed
  window. A token bucket refills and a sliding window forgets old requests, so Remaining falls
  less than the run sent, and several nodes counting apart each count only their share: this
  estimate stays at or below zero for them; it never counts a rise as anything.
- *used in the window (Limit minus Remaining), minus every request the run sent since its last
  answer in another window*. This one stays at or below zero when the first answer the run saw
  in a window had not yet counted requests the run sent in it (answers without the headers
  before it, a node that counts late and catches up), where the first estimate would not.

Another client is *seen* when the smaller estimate exceeds :func:`noise` for the window's
Limit: a margin for the run's own concurrent requests (answered in any order), rounding of
fractional tokens, and the preflight's requests, which this module is not shown.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping

import attrs

from devtune_contract.checks.rate_limit import NAMES, header_integer
from devtune_contract.credentials import bearer_token
from devtune_contract.suite.engine.waiting import seconds_until_reset

# Waiting until Reset exactly may meet the old window still open (clocks, whole seconds).
RESET_MARGIN = 0.5
# How often one request waits for a reset before the quota is taken as spent (StillLimited).
MAX_RATE_LIMIT_WAITS = 3
# More requests than the run's own than this, in one window, are another client's: at least
# NOISE_REQUESTS, or NOISE_FRACTION of the window's Limit when that is larger.
NOISE_REQUESTS = 5
NOISE_FRACTION = 0.05
# Statuses whose X-RateLimit-* headers do not show the key's own window.
NOT_THE_KEYS_WINDOW = (401, 429)


def noise(limit: int) -> int:
    """How many requests beyond its own a run may see spent in a window without suspicion."""
    return max(NOISE_REQUESTS, math.ceil(limit * NOISE_FRACTION))


@attrs.frozen
class SharedUse:
    """Another client's share of one window of a key, as far as the run could see it."""

    others: int  # requests the run did not send
    fallen: int  # how far Remaining fell meanwhile
    sent: int  # requests the run sent meanwhile
    limit: int

    def line(self) -> str:
        return (
            f"another client used {self.others} requests of this key's window during the run "
            f"(X-RateLimit-Remaining fell by {self.fallen} while this run sent {self.sent}, "
            f"X-RateLimit-Limit {self.limit})"
        )


@attrs.define
class _Window:
    limit: int
    first_remaining: int
    sent_at_first: int  # the run's requests with this key when the window's first answer came
    sent_before: int  # ... when the key's latest answer in another window came
    seen: SharedUse | None = None  # the largest estimate so far

    def estimate(self, remaining: int, sent: int) -> SharedUse:
        fallen = self.first_remaining - remaining
        since_first = sent - self.sent_at_first
        used_in_window = self.limit - remaining
        since_other_window = sent - self.sent_before
        # The smaller estimate, stated with the numbers that gave it.
        if fallen - since_first <= used_in_window - since_other_window:
            return SharedUse(fallen - since_first, fallen, since_first, self.limit)
        return SharedUse(
            used_in_window - since_other_window, used_in_window, since_other_window, self.limit
        )


@attrs.define
class _KeyHistory:
    sent: int = 0
    sent_at_last_answer: int = 0
    windows: dict[tuple[int, int], _Window] = attrs.field(factory=dict)


class QuotaWatch:
    """Per configured key: the run's own requests against how far its quota fell (thread-safe).

    Keys the run was not configured with (malformed, derived or random ones) are not watched:
    the server does not count them against the configured key.
    """

    def __init__(self, keys: Iterable[str]) -> None:
        self._keys = {key: _KeyHistory() for key in keys}
        self._lock = threading.Lock()

    def observe(self, authorization: str | None, status: int, headers: Mapping[str, str]) -> None:
        """One request the run sent and the response it got (``headers`` with lower-case names)."""
        history = self._keys.get(bearer_token(authorization) or "")
        if history is None:
            return
        with self._lock:
            history.sent += 1
            if status in NOT_THE_KEYS_WINDOW:
                return
            limit, remaining, reset = (header_integer(headers.get(n, "")) for n in NAMES)
            if limit is None or remaining is None or reset is None or limit < 1:
                return  # the rate-limit checks report malformed headers
            window_id = (limit, reset)
            window = history.windows.get(window_id)
            if window is None:
                window = _Window(limit, remaining, history.sent, history.sent_at_last_answer)
                history.windows[window_id] = window
            estimate = window.estimate(remaining, history.sent)
            if window.seen is None or estimate.others > window.seen.others:
                window.seen = estimate
            history.sent_at_last_answer = history.sent

    def shared(self) -> SharedUse | None:
        """The window in which another client was seen spending the most, if any."""
        with self._lock:
            seen = [
                window.seen
                for history in self._keys.values()
                for window in history.windows.values()
                if window.seen is not None and window.seen.others > noise(window.limit)
            ]
        return max(seen, key=lambda use: use.others, default=None)


@attrs.frozen
class Wait:
    """Wait this long, then send again."""

    seconds: float


@attrs.frozen
class BeyondPatience:
    """The 429 asks for a longer wait than the run may spend: the quota is spent."""

    asked: float
    budget: float
    bound: str  # the setting that set the budget

    def reason(self, shared: SharedUse | None) -> str:
        line = (
            f"429 asks for a {self.asked:.0f} s wait, more than {self.bound}: "
            "the key's quota is spent (the server answered as documented)"
        )
        return line if shared is None else f"{line}; {shared.line()}"


@attrs.frozen
class StillLimited:
    """A 429 again after each of ``waits`` waits for the announced reset.

    Another client taking the quota the moment it frees and a server whose Reset frees nothing
    look the same from here; a run that saw no other client names both, since it could not
    see one that spends only 429s' worth of answers.
    """

    waits: int

    def reason(self, shared: SharedUse | None) -> str:
        line = f"429 again after each of {self.waits} waits for X-RateLimit-Reset"
        if shared is None:
            return (
                f"{line}: another client takes the quota as it frees, or the server's Reset "
                "frees nothing"
            )
        return f"{line}; {shared.line()}"


Refusal = BeyondPatience | StillLimited


def reset_wait(
    reset: str, now: float, *, max_reset_wait: float, before_deadline: float
) -> Wait | BeyondPatience:
    """What to do about a documented 429 whose ``X-RateLimit-Reset`` is ``reset``.

    The budget is ``DEVTUNE_MAX_RESET_WAIT``, or less when fewer seconds are left before
    ``DEVTUNE_DEADLINE``: the deadline bounds the whole run, waits included.
    """
    asked = seconds_until_reset(reset, now) + RESET_MARGIN
    if before_deadline < max_reset_wait:
        budget = max(0.0, before_deadline)
        bound = f"the {budget:.0f} s left before DEVTUNE_DEADLINE"
    else:
        budget, bound = max_reset_wait, f"DEVTUNE_MAX_RESET_WAIT={max_reset_wait:g}"
    if asked > budget:
        return BeyondPatience(asked, budget, bound)
    return Wait(asked)
