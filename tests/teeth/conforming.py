"""Legitimate variants of the reference server: the suite must pass every one, leaking nothing.

The mirror of the broken variants (the category modules beside this one). Each variant
differs from the reference in a way the contract allows (a configuration, a
:class:`~devtune_contract.server.policy.Policy` subclass, a wrapper around the ASGI app, or
how the suite is pointed at it), so a check that fails one of them is too strict.
"""

from __future__ import annotations

import base64
import gzip
import math
import re
import secrets
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

import attrs

from devtune_contract.server.app import ASGIApp, Message, Receive, Scope, Send
from devtune_contract.server.policy import (
    Policy,
    Reply,
    RequestContext,
    RotateRequest,
    ServerConfig,
)
from devtune_contract.server.ratelimit import RateLimitDecision, RateLimiter
from devtune_contract.server.storage import ApiKey, Store, Webhook
from teeth.policies import with_authorization
from teeth.registry import Variant, register, variant

# --- configurations of the reference server -------------------------------------------------

register(Variant("reference-defaults", "the reference server as shipped"))
register(
    Variant(
        "headers-only-on-429",
        "X-RateLimit-* only on 429, as the spec declares them",
        config=ServerConfig(rate_limit_headers="on_429"),
    )
)
register(
    Variant(
        "quota-never-reached",
        "a quota the run never reaches (the probe skips)",
        config=ServerConfig(rate_limit=100_000),
    )
)
register(
    Variant(
        "small-quota",
        "25 requests per 4 s: the suite waits for a reset seven times over",
        config=ServerConfig(rate_limit=25, rate_window=4),
    )
)
register(
    Variant("whsec-secrets", "whsec_ + base64 secrets", config=ServerConfig(secret_format="whsec"))
)
register(
    Variant(
        "trailing-slash-base-url",
        "DEVTUNE_BASE_URL given with a trailing slash",
        environment=lambda env: {**env, "DEVTUNE_BASE_URL": env["DEVTUNE_BASE_URL"] + "/"},
    )
)


# --- the wire: compression and connections ----------------------------------------------


def gzip_responses(app: ASGIApp) -> ASGIApp:
    """Compresses every response body for clients that accept gzip, whatever its size."""

    async def compressed(scope: Scope, receive: Receive, send: Send) -> None:
        accepted = b"".join(v for k, v in scope.get("headers", []) if k == b"accept-encoding")
        if scope["type"] != "http" or b"gzip" not in accepted:
            await app(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = gzip.compress(b"".join(chunks))
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers += [
                (b"content-encoding", b"gzip"),
                (b"vary", b"Accept-Encoding"),
                (b"content-length", str(len(body)).encode()),
            ]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await app(scope, receive, capture)

    return compressed


def close_every_connection(app: ASGIApp) -> ASGIApp:
    """Answers ``Connection: close`` on every response, so no connection is ever reused."""

    async def closing(scope: Scope, receive: Receive, send: Send) -> None:
        async def add_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message["headers"], (b"connection", b"close")]}
            await send(message)

        await app(scope, receive, add_header)

    return closing


register(Variant("gzip", "gzip-compressed responses, even tiny ones", wrap=gzip_responses))
register(
    Variant("connection-close", "Connection: close on every response", wrap=close_every_connection)
)


# --- the envelope -------------------------------------------------------------------------


@variant("extra-fields-and-headers", "more fields in every body and more headers than documented")
class ExtraFieldsAndHeaders(Policy):
    extra_headers: ClassVar[dict[str, str]] = {
        "X-Request-Id": "req_7f3a",
        "Server-Timing": "db;dur=1.2",
        "Vary": "Origin",
    }

    def success(self, context: RequestContext, secret: str, headers: dict[str, str]) -> Reply:
        outcome = super().success(context, secret, headers)
        body: dict[str, Any] = {
            "data": {**outcome.body["data"], "rotatedAt": datetime.now(UTC).isoformat()},
            "meta": {**outcome.body["meta"], "requestId": "req_7f3a", "apiVersion": "2"},
            "links": {"docs": "https://docs.example.com/webhooks"},
        }
        return attrs.evolve(outcome, body=body, headers={**outcome.headers, **self.extra_headers})

    def error(self, status: int, headers: dict[str, str] | None = None) -> Reply:
        outcome = super().error(status, headers)
        body = {**outcome.body, "requestId": "req_7f3a", "docs": "https://docs.example.com/errors"}
        return attrs.evolve(outcome, body=body, headers={**outcome.headers, **self.extra_headers})


@variant("upper-case-project-id", "meta.projectId in upper case")
class UpperCaseProjectId(Policy):
    def success(self, context: RequestContext, secret: str, headers: dict[str, str]) -> Reply:
        outcome = super().success(context, secret, headers)
        meta = {**outcome.body["meta"], "projectId": outcome.body["meta"]["projectId"].upper()}
        return attrs.evolve(outcome, body={**outcome.body, "meta": meta})


@variant("offset-timestamps", "meta.timestamp with +00:00 and microseconds")
class OffsetTimestamps(Policy):
    def success(self, context: RequestContext, secret: str, headers: dict[str, str]) -> Reply:
        outcome = super().success(context, secret, headers)
        meta = {**outcome.body["meta"], "timestamp": datetime.now(UTC).isoformat()}
        return attrs.evolve(outcome, body={**outcome.body, "meta": meta})


@variant("base64url-secrets", "secrets in unpadded base64url without a prefix")
class Base64UrlSecrets(Policy):
    def new_secret(self, context: RequestContext, webhook: Webhook) -> str:
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


# --- authorization --------------------------------------------------------------------------


@variant("not-found-for-foreign-projects", "404 instead of 403 for another project's resources")
class NotFoundForForeignProjects(Policy):
    def owns_project(self, context: RequestContext, key: ApiKey) -> bool:
        # Hide the project's existence: let the lookup below fail with 404 instead.
        context.notes["hides_project"] = not super().owns_project(context, key)
        return True

    def find_webhook(self, context: RequestContext, key: ApiKey) -> Webhook | None:
        hidden = context.notes["hides_project"]
        return None if hidden else super().find_webhook(context, key)


# --- rate limiters ------------------------------------------------------------------------


@variant(
    "rate-limit-on-401-per-client",
    "X-RateLimit-* also on 401s, counted per client address",
)
class RateLimitOn401PerClient(Policy):
    def __init__(self, store: Store, config: ServerConfig | None = None) -> None:
        super().__init__(store, config)
        self.per_client = RateLimiter(self.config.rate_limit, self.config.rate_window)

    async def handle(self, request: RotateRequest) -> Reply:
        outcome = await super().handle(request)
        if outcome.status != 401:
            return outcome
        quota = self.per_client.hit(request.client or "unknown")
        if not quota.allowed:
            return self.error(429, quota.headers())
        return attrs.evolve(outcome, headers={**outcome.headers, **quota.headers()})


class SlidingWindowLimiter(RateLimiter):
    """At most ``limit`` requests in any ``window`` seconds (a log of request times)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.time) -> None:
        super().__init__(limit, window, clock)
        self._log: dict[str, deque[float]] = {}

    def hit(self, key_id: str) -> RateLimitDecision:
        now = self._clock()
        with self._lock:
            log = self._log.setdefault(key_id, deque())
            while log and log[0] <= now - self.window:
                log.popleft()
            allowed = len(log) < self.limit
            if allowed:
                log.append(now)
            return RateLimitDecision(
                allowed=allowed,
                limit=self.limit,
                remaining=self.limit - len(log),
                reset=math.ceil((log[0] if log else now) + self.window),
            )


class TokenBucketLimiter(RateLimiter):
    """A bucket of ``limit`` tokens refilled at ``limit / window`` per second.

    Reset is when the bucket is full again; on a 429, when the next token arrives.
    """

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.time) -> None:
        super().__init__(limit, window, clock)
        self.rate = limit / window
        self._buckets: dict[str, tuple[float, float]] = {}

    def hit(self, key_id: str) -> RateLimitDecision:
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.get(key_id, (float(self.limit), now))
            tokens = min(float(self.limit), tokens + (now - then) * self.rate)
            allowed = tokens >= 1
            if allowed:
                tokens -= 1
            self._buckets[key_id] = (tokens, now)
            missing = self.limit - tokens if allowed else 1 - tokens
            return RateLimitDecision(
                allowed=allowed,
                limit=self.limit,
                remaining=math.floor(tokens),
                reset=math.ceil(now + missing / self.rate),
            )


@variant("sliding-window", "a sliding-window limiter (a log of the last window's requests)")
class SlidingWindow(Policy):
    def __init__(self, store: Store, config: ServerConfig | None = None) -> None:
        super().__init__(store, config)
        self.limiter = SlidingWindowLimiter(self.config.rate_limit, self.config.rate_window)


@variant("token-bucket", "a token-bucket limiter: Remaining rises as tokens refill")
class TokenBucket(Policy):
    def __init__(self, store: Store, config: ServerConfig | None = None) -> None:
        super().__init__(store, config)
        self.limiter = TokenBucketLimiter(self.config.rate_limit, self.config.rate_window)


# --- what RFCs allow around credentials and responses (issue 16) ----------------------------

SPACED_BEARER = re.compile(r"bearer +(\S+)", re.IGNORECASE)


@variant("bearer-scheme-any-case", "the scheme compared case-insensitively (RFC 7235 §2.1)")
class BearerSchemeAnyCase(Policy):
    """Says so explicitly; the suite must never send ``bearer <key>`` expecting a 401."""

    def authenticate(self, context: RequestContext) -> ApiKey | None:
        scheme, _, token = (context.request.authorization or "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        return super().authenticate(with_authorization(context, f"Bearer {token}"))


@variant("spaces-before-token", "several spaces between Bearer and the token (RFC 6750 1*SP)")
class SpacesBeforeToken(Policy):
    def authenticate(self, context: RequestContext) -> ApiKey | None:
        match = SPACED_BEARER.fullmatch((context.request.authorization or "").strip())
        if match is None:
            return None
        return super().authenticate(with_authorization(context, f"Bearer {match[1]}"))


@variant("retry-after-on-429", "Retry-After (seconds to the reset) on every 429")
class RetryAfterOn429(Policy):
    def error(self, status: int, headers: dict[str, str] | None = None) -> Reply:
        outcome = super().error(status, headers)
        reset = (headers or {}).get("X-RateLimit-Reset")
        if status != 429 or reset is None:
            return outcome
        seconds = max(0, int(reset) - int(time.time()))
        return attrs.evolve(outcome, headers={**outcome.headers, "Retry-After": str(seconds)})


@variant("www-authenticate-on-401", "WWW-Authenticate: Bearer on every 401 (RFC 6750 §3)")
class WwwAuthenticateOn401(Policy):
    def error(self, status: int, headers: dict[str, str] | None = None) -> Reply:
        outcome = super().error(status, headers)
        if status != 401:
            return outcome
        challenge = 'Bearer realm="devtune"'
        return attrs.evolve(outcome, headers={**outcome.headers, "WWW-Authenticate": challenge})


@variant("request-id-header", "a random Request-Id: req_... header on every response")
class RequestIdHeader(Policy):
    async def handle(self, request: RotateRequest) -> Reply:
        outcome = await super().handle(request)
        request_id = "req_" + secrets.token_hex(12)
        return attrs.evolve(outcome, headers={**outcome.headers, "Request-Id": request_id})


def chunked_responses(app: ASGIApp) -> ASGIApp:
    """Every body in two parts without Content-Length, so the server sends it chunked."""

    async def chunked(scope: Scope, receive: Receive, send: Send) -> None:
        async def split(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message["headers"] if k != b"content-length"]
                await send({**message, "headers": headers})
                return
            body = message.get("body", b"")
            half = len(body) // 2
            await send({"type": "http.response.body", "body": body[:half], "more_body": True})
            await send({**message, "body": body[half:]})

        await app(scope, receive, split)

    return chunked


register(Variant("chunked-responses", "every body chunked", wrap=chunked_responses))
