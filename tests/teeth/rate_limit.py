"""Broken variants: the rate limit: X-RateLimit-* headers missing, wrong or not counting."""

from __future__ import annotations

import time

import attrs
from schemathesis.specs.openapi.checks import response_headers_conformance

from devtune_contract.checks.envelope import error_envelope
from devtune_contract.checks.rate_limit import (
    rate_limit_consistency,
    rate_limit_headers,
    rate_limited_response,
)
from devtune_contract.server.policy import (
    Policy,
    Reply,
    RequestContext,
    RotateRequest,
)
from devtune_contract.server.ratelimit import RateLimitDecision
from teeth.policies import RewritingPolicy, with_body
from teeth.registry import fault


@fault(
    "partial_rate_limit_headers",
    "only X-RateLimit-Limit is sent",
    (rate_limit_headers, rate_limited_response, response_headers_conformance),
)
class PartialRateLimitHeaders(Policy):
    def quota_headers(self, context: RequestContext, quota: RateLimitDecision) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(quota.limit)}


@fault(
    "remaining_above_limit",
    "X-RateLimit-Remaining exceeds the limit",
    (rate_limit_headers,),
)
class RemainingAboveLimit(Policy):
    def quota_headers(self, context: RequestContext, quota: RateLimitDecision) -> dict[str, str]:
        return {**quota.headers(), "X-RateLimit-Remaining": str(quota.limit + 5)}


@fault(
    "reset_in_milliseconds",
    "X-RateLimit-Reset is in milliseconds",
    (rate_limit_headers,),
)
class ResetInMilliseconds(Policy):
    def quota_headers(self, context: RequestContext, quota: RateLimitDecision) -> dict[str, str]:
        return {**quota.headers(), "X-RateLimit-Reset": str(quota.reset * 1000)}


@fault(
    "reset_as_seconds_left",
    "X-RateLimit-Reset counts seconds left instead of a Unix time",
    (rate_limit_headers,),
)
class ResetAsSecondsLeft(Policy):
    def quota_headers(self, context: RequestContext, quota: RateLimitDecision) -> dict[str, str]:
        left = max(0, quota.reset - int(time.time()))
        return {**quota.headers(), "X-RateLimit-Reset": str(left)}


@fault(
    "bare_429",
    "429 without any X-RateLimit header",
    (rate_limited_response, response_headers_conformance),
)
class Bare429(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Reply) -> Reply:
        return attrs.evolve(outcome, headers={}) if outcome.status == 429 else outcome


@fault(
    "429_with_remaining",
    "429 says requests remain",
    (rate_limited_response,),
)
class RateLimitedWithRemaining(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Reply) -> Reply:
        if outcome.status != 429:
            return outcome
        return attrs.evolve(outcome, headers={**outcome.headers, "X-RateLimit-Remaining": "1"})


@fault(
    "429_wrong_code",
    "429 body says 'too_many_requests'",
    (rate_limited_response, error_envelope),
)
class RateLimitedWrongCode(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Reply) -> Reply:
        return with_body(outcome, error="too_many_requests") if outcome.status == 429 else outcome


@fault(
    "remaining_never_counts",
    "X-RateLimit-Remaining always equals the limit until the 429",
    (rate_limit_consistency,),
)
class RemainingNeverCounts(Policy):
    def quota_headers(self, context: RequestContext, quota: RateLimitDecision) -> dict[str, str]:
        return {**quota.headers(), "X-RateLimit-Remaining": str(quota.limit)}


@fault(
    "limit_changes",
    "X-RateLimit-Limit is 20 higher on every other response",
    (rate_limit_consistency,),
)
class LimitChanges(Policy):
    def quota_headers(self, context: RequestContext, quota: RateLimitDecision) -> dict[str, str]:
        limit = quota.limit + 20 * (quota.remaining % 2)
        return {**quota.headers(), "X-RateLimit-Limit": str(limit)}
