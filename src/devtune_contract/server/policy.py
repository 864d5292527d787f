"""How the reference server answers a rotate request: every decision is one small method.

The order of evaluation follows DevTune's documentation: unknown or expired key (401), spent
rate limit (429), missing ``webhooks.write`` scope (403), another project (403), unknown or
foreign webhook (404), else the rotation (200). Broken server variants
(``tests/teeth/``) subclass :class:`Policy` and override exactly one method.
"""

from __future__ import annotations

import base64
import logging
import secrets
from datetime import UTC, datetime
from typing import Any, Literal

import attrs

from devtune_contract.constants import DOCUMENTED_ERROR_CODES, UUID_PATTERN, WEBHOOK_SECRET_PREFIX
from devtune_contract.credentials import API_KEY_PATTERN, WEBHOOKS_WRITE, bearer_token
from devtune_contract.server.ratelimit import RateLimitDecision, RateLimiter
from devtune_contract.server.storage import ApiKey, Store, StoreError, Webhook

logger = logging.getLogger("devtune_contract.server")

SecretFormat = Literal["hex", "whsec"]
RateLimitHeaders = Literal["always", "on_429"]

ERRORS: dict[int, tuple[str, str]] = {
    401: (DOCUMENTED_ERROR_CODES[401], "Invalid or missing API key"),
    403: (DOCUMENTED_ERROR_CODES[403], "The API key may not rotate this webhook's secret"),
    404: (DOCUMENTED_ERROR_CODES[404], "The requested resource was not found"),
    405: ("method_not_allowed", "The method is not allowed on this path"),
    429: (DOCUMENTED_ERROR_CODES[429], "Rate limit exceeded. Please try again later."),
    500: ("internal_error", "The server failed to handle the request"),
}


@attrs.frozen
class ServerConfig:
    """Legitimate ways a conforming server may differ; none of them breaks the contract."""

    rate_limit: int = 100
    rate_window: float = 60.0
    rate_limit_headers: RateLimitHeaders = "always"
    secret_format: SecretFormat = "hex"  # noqa: S105 (a format name, not a secret)


@attrs.frozen
class Reply:
    """A response before serialisation: status, JSON body and extra headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = attrs.field(factory=dict)
    media_type: str = "application/json"


@attrs.frozen
class RotateRequest:
    project_id: str
    webhook_id: str
    authorization: str | None = attrs.field(repr=False)
    client: str | None = None  # the peer's address, for limits counted per client


def utc_timestamp() -> str:
    """RFC 3339 UTC with milliseconds and a ``Z``, as DevTune's ``meta.timestamp``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def canonical_uuid(value: str) -> str | None:
    """The lower-case 8-4-4-4-12 form of ``value``, or ``None`` for any other text.

    Only the canonical spelling (in either case) names an id: ``urn:uuid:``, braces or 32 bare
    hex digits are unknown ids, as they are to a server that stores ids as text.
    """
    return value.lower() if UUID_PATTERN.fullmatch(value) else None


@attrs.define
class RequestContext:
    """One request as the policy's hooks see it: the request, and notes one hook leaves for a
    later one.

    Hooks of one request may lie on either side of an ``await`` (the storage write), so state
    kept on the policy between them would mix concurrent requests; each request's lives here.
    """

    request: RotateRequest
    notes: dict[str, object] = attrs.field(factory=dict)


class Policy:
    """The reference behaviour. Subclasses (broken or legitimate variants) override one hook
    each; every hook receives the request's :class:`RequestContext`, and a policy keeps only
    state that outlives a request (the store, the limiter)."""

    # Methods answered on every routed path (a variant's); ``None``: those the spec declares.
    methods: tuple[str, ...] | None = None

    def __init__(self, store: Store, config: ServerConfig | None = None) -> None:
        self.store = store
        self.config = config or ServerConfig()
        self.limiter = RateLimiter(self.config.rate_limit, self.config.rate_window)

    async def handle(self, request: RotateRequest) -> Reply:
        context = RequestContext(request)
        key = self.authenticate(context)
        if key is None:
            return self.error(401)
        quota = self.limiter.hit(key.id)
        if not quota.allowed:
            return self.error(429, quota.headers())
        quota_headers = self.quota_headers(context, quota)
        if not self.may_rotate(context, key):
            return self.error(403, quota_headers)
        if not self.owns_project(context, key):
            return self.error(403, quota_headers)
        webhook = self.find_webhook(context, key)
        if webhook is None:
            return self.error(404, quota_headers)
        secret = self.new_secret(context, webhook)
        try:
            await self.store.commit_rotation(webhook.id, key.id, secret)
        except StoreError as error:
            logger.error("rotating the secret of webhook %s failed: %s", webhook.id, error)
            return self.error(500, quota_headers)
        logger.info("rotated the secret of webhook %s with key %s", webhook.id, key.id)
        return self.success(context, secret, quota_headers)

    def authenticate(self, context: RequestContext) -> ApiKey | None:
        token = bearer_token(context.request.authorization)
        if token is None or not API_KEY_PATTERN.fullmatch(token):
            return None
        key = self.store.find_key(token)
        if key is None or key.expired(datetime.now(UTC).timestamp()):
            return None
        return key

    def quota_headers(self, context: RequestContext, quota: RateLimitDecision) -> dict[str, str]:
        return quota.headers() if self.config.rate_limit_headers == "always" else {}

    def may_rotate(self, context: RequestContext, key: ApiKey) -> bool:
        return key.allows(WEBHOOKS_WRITE)

    def owns_project(self, context: RequestContext, key: ApiKey) -> bool:
        return canonical_uuid(context.request.project_id) == key.project_id

    def find_webhook(self, context: RequestContext, key: ApiKey) -> Webhook | None:
        canonical = canonical_uuid(context.request.webhook_id)
        webhook = None if canonical is None else self.store.find_webhook(canonical)
        if webhook is None or webhook.project_id != key.project_id:
            return None
        return webhook

    def new_secret(self, context: RequestContext, webhook: Webhook) -> str:
        if self.config.secret_format == "whsec":  # noqa: S105
            return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
        return secrets.token_hex(32)

    def success(self, context: RequestContext, secret: str, headers: dict[str, str]) -> Reply:
        project_id = context.request.project_id
        body = {
            "data": {"secret": secret},
            "meta": {
                "timestamp": utc_timestamp(),
                "projectId": canonical_uuid(project_id) or project_id,
            },
        }
        return Reply(200, body, {**headers, "Cache-Control": "no-store"})

    def error(self, status: int, headers: dict[str, str] | None = None) -> Reply:
        code, message = ERRORS[status]
        allow = (headers or {}).get("Allow")
        if status == 405 and allow:
            message = f"Only {allow} is allowed on this path"
        return Reply(status, {"error": code, "message": message, "status": status}, headers or {})
