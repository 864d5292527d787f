"""Broken variants: values only lenient parsers (str.isdigit, fromisoformat) accept."""

from __future__ import annotations

from datetime import UTC, datetime

from devtune_contract.checks.envelope import success_envelope
from devtune_contract.checks.rate_limit import rate_limit_headers
from devtune_contract.server.policy import (
    Policy,
    Reply,
    RequestContext,
    RotateRequest,
)
from devtune_contract.server.ratelimit import RateLimitDecision
from teeth.policies import RewritingPolicy, with_body
from teeth.registry import fault

SUPERSCRIPT_DIGITS = str.maketrans("123", "\u00b9\u00b2\u00b3")


@fault(
    "remaining_in_superscript_digits",
    "X-RateLimit-Remaining writes 1, 2 and 3 as the Latin-1 superscripts (str.isdigit() is "
    "true for them)",
    (rate_limit_headers,),
)
class RemainingInSuperscriptDigits(Policy):
    def quota_headers(self, context: RequestContext, quota: RateLimitDecision) -> dict[str, str]:
        remaining = str(quota.remaining).translate(SUPERSCRIPT_DIGITS)
        return {**quota.headers(), "X-RateLimit-Remaining": remaining}


class TimestampFormat(RewritingPolicy):
    """Writes meta.timestamp with a format ``datetime.fromisoformat`` reads."""

    format = ""

    def rewrite(self, request: RotateRequest, outcome: Reply) -> Reply:
        if outcome.status != 200:
            return outcome
        stamp = datetime.now(UTC).strftime(self.format)
        return with_body(outcome, meta={**outcome.body["meta"], "timestamp": stamp})


@fault(
    "timestamp_basic_format",
    "meta.timestamp is ISO 8601 basic format (20261127T061811Z), not RFC 3339",
    (success_envelope,),
)
class TimestampBasicFormat(TimestampFormat):
    format = "%Y%m%dT%H%M%SZ"


@fault(
    "timestamp_offset_without_colon",
    "meta.timestamp ends in +0000, an offset RFC 3339 does not allow",
    (success_envelope,),
)
class TimestampOffsetWithoutColon(TimestampFormat):
    format = "%Y-%m-%dT%H:%M:%S+0000"
