"""Broken variants: the rate limit: X-RateLimit-* headers missing, wrong or not counting."""

from __future__ import annotations

import time

import attrs
from schemathesis.specs.openapi.checks import response_headers_conformance

from devtune_contract import scenarios
from devtune_contract.checks.envelope import error_envelope
from devtune_contract.checks.rate_limit import (
    rate_limit_consistency,
    rate_limit_headers,
    rate_limited_response,
)
from devtune_contract.server.app import ASGIApp, Receive, Scope, Send
from devtune_contract.server.policy import (
    Policy,
    Reply,
    RequestContext,
    RotateRequest,
    ServerConfig,
)
from devtune_contract.server.ratelimit import RateLimitDecision, RateLimiter
from devtune_contract.server.storage import ApiKey, Store
from teeth.policies import RewritingPolicy, with_body
from teeth.registry import Headline, Wrapper, fault


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


# --- a quota renewed by another client name (OWASP API4; WSTG rate-limit bypass) -------------


def _client_named_by(header: bytes) -> Wrapper:
    """The peer address taken from ``header`` when present (leftmost value), as a proxy-aware
    server does when it trusts every hop (Express ``trust proxy: true``'s ``req.ip``, uvicorn
    ``--forwarded-allow-ips='*'``, nginx ``real_ip_header``)."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def named(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                for name, value in scope["headers"]:
                    if name == header:
                        client = value.decode("latin-1").split(",")[0].strip()
                        scope = {**scope, "client": (client, 0)}
            await app(scope, receive, send)

        return named

    return wrap


class LimitedPerKeyAndClient(Policy):
    """The quota is counted per key and client address, so each new address opens a window."""

    def authenticate(self, context: RequestContext) -> ApiKey | None:
        key = super().authenticate(context)
        if key is None:
            return None
        return attrs.evolve(key, id=f"{key.id} from {context.request.client}")


@fault(
    "limit_per_forwarded_for",
    "the rate limit is counted per X-Forwarded-For value: a new value on each request is "
    "never limited",
    (scenarios.SPENT_QUOTA_FORMS,),
    wrap=_client_named_by(b"x-forwarded-for"),
    headline=Headline(
        scenarios.SPENT_QUOTA_FORMS,
        "X-Forwarded-For: 404 where the same request without it got 429",
    ),
)
class LimitPerForwardedFor(LimitedPerKeyAndClient):
    pass


@fault(
    "limit_per_real_ip",
    "the rate limit is counted per X-Real-IP value: a new value on each request is never limited",
    (scenarios.SPENT_QUOTA_FORMS,),
    wrap=_client_named_by(b"x-real-ip"),
    headline=Headline(
        scenarios.SPENT_QUOTA_FORMS, "X-Real-IP: 404 where the same request without it got 429"
    ),
)
class LimitPerRealIp(LimitedPerKeyAndClient):
    pass


# --- Reset values that break the documented window ----------------------------------------

# A window short enough for the run to meet its 429 early and wait it out in seconds.
SHORT = ServerConfig(rate_limit=25, rate_window=3)


class LocalTimeLimiter(RateLimiter):
    """Reset computed from a local time taken for UTC on a server one hour east of UTC."""

    def hit(self, key_id: str) -> RateLimitDecision:
        decision = super().hit(key_id)
        return attrs.evolve(decision, reset=decision.reset + 3600)


@fault(
    "reset_an_hour_ahead",
    "X-RateLimit-Reset is an hour ahead of a 3 s window (local time taken for UTC): the suite "
    "calls the quota spent (exit 9) where the documented 60 s window is broken",
    (scenarios.RATE_LIMIT_ENFORCED,),
    headline=Headline(scenarios.RATE_LIMIT_ENFORCED, "rate_limit_headers: x-ratelimit-reset is"),
)
class ResetAnHourAhead(Policy):
    def __init__(self, store: Store, config: ServerConfig | None = None) -> None:
        super().__init__(store, SHORT)
        self.limiter = LocalTimeLimiter(SHORT.rate_limit, SHORT.rate_window)


class NeverExpiringLimiter(RateLimiter):
    """A counter incremented without ever being given its expiry (Redis INCR without EXPIRE):
    once spent, the key stays limited, and the Reset stays that of the first window."""

    def __init__(self, limit: int, window: float) -> None:
        super().__init__(limit, window)
        self._spent: dict[str, RateLimitDecision] = {}

    def hit(self, key_id: str) -> RateLimitDecision:
        with self._lock:
            spent = self._spent.get(key_id)
        if spent is not None:
            return spent
        decision = super().hit(key_id)
        if not decision.allowed:
            with self._lock:
                self._spent[key_id] = decision
        return decision


@fault(
    "reset_frees_nothing",
    "after its first 429 the key stays limited: waiting past X-RateLimit-Reset gets 429 again "
    "with the same Reset, already in the past: a contract failure (exit 1), not a spent quota",
    (scenarios.ROTATION_RETURNS_A_NEW_SECRET,),
    headline=Headline(
        scenarios.ROTATION_RETURNS_A_NEW_SECRET,
        "rotation 1 with the write key: got 429, expected 200; 429 after waiting past",
    ),
)
class ResetFreesNothing(Policy):
    def __init__(self, store: Store, config: ServerConfig | None = None) -> None:
        super().__init__(store, SHORT)
        self.limiter = NeverExpiringLimiter(SHORT.rate_limit, SHORT.rate_window)
