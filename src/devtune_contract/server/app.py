"""The ASGI app: routes each operation of the profile table to its handler; every error is JSON.

A few routes do not need a framework: the app reads the path, the method and the
Authorization field straight from the ASGI scope and answers with two ASGI messages, so a
request costs uvicorn's HTTP cycle and the policy's own work. Each id is one non-empty segment
of the percent-decoded path; a trailing slash is another path (a JSON 404).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from devtune_contract.profiles import PROFILES
from devtune_contract.server.policy import Policy, Reply
from devtune_contract.server.protocol import DropConnection, drop_connection
from devtune_contract.server.routes import Call, Route, routes_of

API_PREFIX = PROFILES.base_path

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("devtune_contract.server")


def authorization(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The Authorization field; several fields are combined as HTTP combines repeated fields
    (comma-joined), which no valid credential matches: two credentials are ambiguous."""
    values = [value.decode("latin-1") for name, value in headers if name == b"authorization"]
    return ", ".join(values) if values else None


def render(outcome: Reply) -> tuple[list[tuple[bytes, bytes]], bytes]:
    body = json.dumps(outcome.body, separators=(",", ":")).encode()
    media_type = outcome.media_type
    if media_type.startswith("text/") and "charset" not in media_type:
        media_type += "; charset=utf-8"
    headers = [
        (b"content-type", media_type.encode("latin-1")),
        (b"content-length", str(len(body)).encode("latin-1")),
    ]
    headers += [
        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in outcome.headers.items()
    ]
    return headers, body


def create_app(policy: Policy, routes: tuple[Route, ...] | None = None) -> ASGIApp:
    """The reference server (or a variant of it, depending on ``policy``), serving ``routes``
    (by default every profile of the contract's table)."""
    table = routes if routes is not None else routes_of()

    async def decide(scope: Scope) -> Reply:
        path, method = scope["path"], scope["method"]
        on_path = [(r, values) for r in table if (values := r.operation.match(path)) is not None]
        if not on_path:
            return policy.error(404)
        allowed = policy.methods or tuple(route.operation.method for route, _ in on_path)
        if method not in allowed:
            return policy.error(405, {"Allow": ", ".join(allowed)})
        # A method the policy answers beyond the spec's goes to the path's first operation.
        route, values = next((m for m in on_path if m[0].operation.method == method), on_path[0])
        client = scope.get("client")
        call = Call(
            route.operation,
            dict(zip(route.operation.path_parameters, values, strict=True)),
            authorization=authorization(scope["headers"]),
            client=client[0] if client else None,
        )
        return await route.handler(policy, call)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # no lifespan work to do, no websockets to serve
            return
        try:
            outcome = await decide(scope)
        except DropConnection:
            drop_connection(scope)
            return
        except Exception as error:
            logger.error("request failed: %s: %s", type(error).__name__, error)
            outcome = policy.error(500)
        headers, body = render(outcome)
        await send({"type": "http.response.start", "status": outcome.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app
