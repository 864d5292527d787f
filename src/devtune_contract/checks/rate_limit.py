"""``X-RateLimit-*`` headers: complete, consistent and in Unix seconds wherever they appear."""

from __future__ import annotations

import re

from devtune_contract.checks.exchange import ContractViolation, Exchange
from devtune_contract.checks.registry import contract_check, rate_limited
from devtune_contract.checks.state import Quota, RunState
from devtune_contract.constants import DOCUMENTED_ERROR_CODES
from devtune_contract.credentials import bearer_token
from devtune_contract.masking import mask

LIMIT = "x-ratelimit-limit"
REMAINING = "x-ratelimit-remaining"
RESET = "x-ratelimit-reset"
NAMES = (LIMIT, REMAINING, RESET)
# ASCII digits only: str.isdigit() also accepts "²" and "٣", which int() then rejects or reads
# as a number no HTTP client would. Eighteen digits are far beyond any Unix time or quota.
INTEGER = re.compile(r"-?[0-9]{1,18}")
# A counter that never counts: this many responses of one key in a row, in one window, none
# with a lower Remaining than the one before.
STUCK_RESPONSES = 5


def counted(exchange: Exchange) -> bool:
    """Any ``X-RateLimit-*`` header present: the response says something about the quota."""
    return any(name in exchange.headers for name in NAMES)


def header_integer(value: str) -> int | None:
    """An ``X-RateLimit-*`` value as an integer, or ``None`` unless it is ASCII digits."""
    raw = value.strip()
    return int(raw) if INTEGER.fullmatch(raw) else None


def _integer(exchange: Exchange, name: str) -> int:
    value = header_integer(exchange.headers[name])
    if value is None:
        shown = exchange.headers[name].strip()[:40]
        raise ContractViolation(f"{name} is {shown!r}, not an integer in ASCII digits")
    return value


@contract_check(applies=counted)
def rate_limit_headers(exchange: Exchange, run: RunState) -> None:
    """Wherever one X-RateLimit header appears, all three do, and they agree."""
    present = [name for name in NAMES if name in exchange.headers]
    if not present:
        return
    missing = [name for name in NAMES if name not in exchange.headers]
    if missing:
        raise ContractViolation(f"{', '.join(present)} sent without {', '.join(missing)}")
    limit, remaining, reset = (_integer(exchange, name) for name in NAMES)
    if limit < 1:
        raise ContractViolation(f"{LIMIT} is {limit}, must be at least 1")
    if not 0 <= remaining <= limit:
        raise ContractViolation(f"{REMAINING} is {remaining}, outside 0..{LIMIT} ({limit})")
    now = run.clock()
    skew = run.settings.clock_skew
    if reset < now - skew:
        raise ContractViolation(
            f"{RESET} is {reset}, {now - reset:.0f} s in the past: not a Unix time in seconds"
        )
    window = run.settings.rate_window
    if reset > now + window + skew:
        raise ContractViolation(
            f"{RESET} is {reset}, {reset - now:.0f} s ahead: beyond one {window:g} s window "
            f"(DEVTUNE_RATE_WINDOW) plus DEVTUNE_CLOCK_SKEW ({skew:g} s); a local time sent as "
            "UTC, or not a Unix time in seconds"
        )


@contract_check(applies=rate_limited)
def rate_limited_response(exchange: Exchange, run: RunState) -> None:
    """A 429 carries all three headers with Remaining 0 and the documented error code."""
    if exchange.status != 429:
        return
    missing = [name for name in NAMES if name not in exchange.headers]
    if missing:
        raise ContractViolation(f"429 without {', '.join(missing)}")
    remaining = _integer(exchange, REMAINING)
    if remaining != 0:
        raise ContractViolation(f"429 with {REMAINING} {remaining}, must be 0")
    body = exchange.parsed_body
    code = body.get("error") if isinstance(body, dict) else None
    documented = DOCUMENTED_ERROR_CODES[429]
    if code != documented:
        raise ContractViolation(f"429 error code is {code!r}, documented: {documented!r}")


def _counted_quota(exchange: Exchange) -> Quota | None:
    """The response's quota when all three headers are well-formed integers, else ``None``."""
    # Equivalent mutant: another non-integer default reads as None too.
    limit, remaining, reset = (header_integer(exchange.headers.get(name, "")) for name in NAMES)
    if limit is None or remaining is None or reset is None:
        return None
    return Quota(limit=limit, remaining=remaining, reset=reset)


@contract_check(applies=counted)
def rate_limit_consistency(exchange: Exchange, run: RunState) -> None:
    """Per key, the Limit never changes and Remaining counts down within a window.

    Only responses the key got through count (not 401s, whose headers may count per client,
    nor 429s, which may come from a secondary burst limit). Remaining may rise between windows
    or within one (token buckets, sliding windows), skip values (other clients spending the
    key) and restart (a window rolling over, or several nodes each counting in its own window):
    each (Limit, Reset) window keeps its own streak, and a break is five responses of one
    window in a row of which none has a lower Remaining than the one before. Responses are
    taken in the order checks see them; concurrent requests may be answered in any order,
    which a burst of at most four cannot turn into such a streak.
    """
    key = bearer_token(exchange.authorization)
    if key is None or exchange.status in (401, 429):
        return
    quota = _counted_quota(exchange)
    if quota is None:
        return  # rate_limit_headers reports malformed or partial headers
    trend = run.record_quota(key, exchange.id, quota)
    if quota.limit != trend.first_limit:
        raise ContractViolation(
            f"{LIMIT} changed from {trend.first_limit} to {quota.limit} for key {mask(key)}"
        )
    if trend.not_decreasing >= STUCK_RESPONSES:
        raise ContractViolation(
            f"{REMAINING} never decreased across {trend.not_decreasing} responses in a row to "
            f"key {mask(key)} with the same {LIMIT} and {RESET} (now {quota.remaining}): "
            "the limit does not count requests"
        )
