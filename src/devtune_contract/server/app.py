"""The ASGI app: routes rotate-secret to a :class:`Policy` and keeps every error JSON."""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from devtune_contract.server.policy import ERRORS, Outcome, Policy, RotateRequest

API_PREFIX = "/api/v2"
ROTATE_PATH = API_PREFIX + "/projects/{project_id}/webhooks/{webhook_id}/rotate-secret"


def render(outcome: Outcome) -> Response:
    content = json.dumps(outcome.body, separators=(",", ":"))
    return Response(
        content, status_code=outcome.status, headers=outcome.headers, media_type=outcome.media_type
    )


def create_app(policy: Policy) -> Starlette:
    """The reference server (or a variant of it, depending on ``policy``)."""

    async def rotate_secret(request: Request) -> Response:
        outcome = await policy.handle(
            RotateRequest(
                project_id=request.path_params["project_id"],
                webhook_id=request.path_params["webhook_id"],
                authorization=request.headers.get("authorization"),
                client=request.client.host if request.client else None,
            )
        )
        return render(outcome)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        status = exc.status_code if exc.status_code in ERRORS else 404
        return render(policy.error(status, dict(exc.headers or {})))

    async def server_error(request: Request, exc: Exception) -> Response:
        return render(policy.error(500))

    return Starlette(
        routes=[Route(ROTATE_PATH, rotate_secret, methods=list(policy.methods))],
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
