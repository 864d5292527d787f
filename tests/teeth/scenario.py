"""Broken variants the scenario tests must catch: authentication, authorisation, resources."""

from __future__ import annotations

from schemathesis.specs.openapi.checks import ignored_auth

from devtune_contract import scenarios
from devtune_contract.operations import ROTATE_SECRET
from devtune_contract.server.app import ASGIApp, Receive, Scope, Send
from devtune_contract.server.policy import (
    Policy,
    Reply,
    RequestContext,
    RotateRequest,
)
from devtune_contract.server.storage import ApiKey
from teeth.policies import RewritingPolicy, unrestricted_key_for_path
from teeth.registry import Headline, fault


@fault(
    "accepts_missing_key",
    "a request without Authorization rotates as if authorised",
    (scenarios.MISSING_KEY, ignored_auth),
)
class AcceptsMissingKey(Policy):
    def authenticate(self, context: RequestContext) -> ApiKey | None:
        request = context.request
        if request.authorization is None:
            return unrestricted_key_for_path(request, "anonymous")
        return super().authenticate(context)


@fault(
    "accepts_unknown_keys",
    "any well-formed key is accepted, issued or not",
    (scenarios.UNKNOWN_KEY,),
)
class AcceptsUnknownKeys(Policy):
    def authenticate(self, context: RequestContext) -> ApiKey | None:
        request = context.request
        key = super().authenticate(context)
        if key is None and request.authorization:
            return unrestricted_key_for_path(request, "unknown")
        return key


@fault(
    "ignores_scopes",
    "a key without webhooks.write may rotate",
    (scenarios.READ_ONLY_KEY,),
)
class IgnoresScopes(Policy):
    def may_rotate(self, context: RequestContext, key: ApiKey) -> bool:
        return True


@fault(
    "ignores_path_project",
    "the webhook is found by id alone, whatever project the path names",
    (scenarios.WEBHOOK_UNDER_ANOTHER_PROJECT,),
)
class IgnoresPathProject(Policy):
    def owns_project(self, context: RequestContext, key: ApiKey) -> bool:
        return True


@fault(
    "unknown_webhook_is_forbidden",
    "an unknown webhook in the key's own project gets 403 instead of 404",
    (scenarios.UNKNOWN_WEBHOOK,),
)
class UnknownWebhookIsForbidden(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Reply) -> Reply:
        if outcome.status != 404:
            return outcome
        return self.error(403, outcome.headers)


MOVED_BASE = "/api/v2.1"


def _moved_permanently(app: ASGIApp) -> ASGIApp:
    """The route moved: 308 to the same path under ``MOVED_BASE`` on the same origin, where
    the application serves it (a request re-sent there with the key rotates)."""
    base = ROTATE_SECRET.base_path

    async def moved(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        raw = scope["raw_path"].decode("latin-1")  # still percent-encoded: fit for a header
        if ROTATE_SECRET.match(scope["path"]) is not None:
            location = (MOVED_BASE + raw[len(base) :]).encode("latin-1")
            headers = [(b"location", location), (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 308, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        if scope["path"].startswith(MOVED_BASE + "/"):
            path, raw = base + scope["path"][len(MOVED_BASE) :], base + raw[len(MOVED_BASE) :]
            scope = {**scope, "path": path, "raw_path": raw.encode("latin-1")}
        await app(scope, receive, send)

    return moved


@fault(
    "route_moved_with_308",
    "every request to the route gets 308 to the same path under /api/v2.1 on the same origin, "
    "where the rotation happens: a client that follows re-sends the key there",
    (scenarios.MISSING_KEY,),
    wrap=_moved_permanently,
    headline=Headline(scenarios.MISSING_KEY, "the server redirects the documented request (308"),
)
class RouteMovedWith308(Policy):
    """The reference behind a permanent redirect."""
