"""The ASGI app: routes the contract's operation to a :class:`Policy`; every error is JSON.

One route does not need a framework: the app reads the path, the method and the
Authorization field straight from the ASGI scope and answers with two ASGI messages, so a
request costs uvicorn's HTTP cycle and the policy's own work, no routing table, request or
response objects. Paths match as Starlette matched them (each id one non-empty segment of the
percent-decoded path), except that a trailing slash is now a JSON 404 where Starlette
redirected (307, a status the contract does not document).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from devtune_contract.operations import ROTATE_SECRET
from devtune_contract.server.policy import Policy, Reply, RotateRequest
from devtune_contract.server.protocol import DropConnection, drop_connection

API_PREFIX = ROTATE_SECRET.base_path
# Where the request's ids stand among the matched path parameters.
PROJECT_ID = ROTATE_SECRET.path_parameters.index("projectId")
WEBHOOK_ID = ROTATE_SECRET.path_parameters.index("webhookId")

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


def create_app(policy: Policy) -> ASGIApp:
    """The reference server (or a variant of it, depending on ``policy``)."""
    allow = ", ".join(policy.methods)

    async def decide(scope: Scope) -> Reply:
        values = ROTATE_SECRET.match(scope["path"])
        if values is None:
            return policy.error(404)
        if scope["method"] not in policy.methods:
            return policy.error(405, {"Allow": allow})
        client = scope.get("client")
        return await policy.handle(
            RotateRequest(
                project_id=values[PROJECT_ID],
                webhook_id=values[WEBHOOK_ID],
                authorization=authorization(scope["headers"]),
                client=client[0] if client else None,
            )
        )

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
