"""``X-RateLimit-*`` headers: complete, consistent and in Unix seconds wherever they appear."""

from __future__ import annotations

from devtune_contract.checks.exchange import ContractViolation, Exchange
from devtune_contract.checks.run import RunState

LIMIT = "x-ratelimit-limit"
REMAINING = "x-ratelimit-remaining"
RESET = "x-ratelimit-reset"
NAMES = (LIMIT, REMAINING, RESET)
MAX_RESET_AHEAD = 24 * 3600


def _integer(exchange: Exchange, name: str) -> int:
    raw = exchange.headers[name].strip()
    if not raw.lstrip("-").isdigit():
        raise ContractViolation(f"{name} is {raw[:40]!r}, not an integer")
    return int(raw)


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
    if reset > now + MAX_RESET_AHEAD + skew:
        raise ContractViolation(
            f"{RESET} is {reset}, more than 24 h ahead: not a Unix time in seconds"
        )


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
    if code != "rate_limit_exceeded":
        raise ContractViolation(f"429 error code is {code!r}, documented: 'rate_limit_exceeded'")
