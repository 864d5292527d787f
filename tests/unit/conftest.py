"""Shared builders for the unit tests: one way to make the :class:`Exchange` a check reads.

Test modules import them as ``unit.conftest`` (``tests`` is on the pytest path): pytest loads
this file as a conftest too, which registers nothing but keeps it beside the tests it serves.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from devtune_contract.checks import Exchange
from devtune_contract.operations import ROTATE_SECRET, Operation, operations_of

PROJECT = "p"
WEBHOOK = "w"

# A made-up contract: a second secret-returning operation under another base path, and a
# plain read. Generic parts must serve it without an edit.
_ENVELOPE = {
    "type": "object",
    "properties": {
        "data": {
            "type": "object",
            "properties": {"secret": {"type": "string"}},
            "required": ["secret"],
        }
    },
}
MADE_UP: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "made up", "version": "1"},
    "servers": [{"url": "https://example.test/api/v9/"}],
    "paths": {
        "/teams/{teamId}/tokens/{tokenId}/reissue": {
            "post": {
                "operationId": "reissueToken",
                "parameters": [
                    {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                    for n in ("teamId", "tokenId")
                ],
                "responses": {"201": {"$ref": "#/components/responses/Reissued"}},
            }
        },
        "/teams/{teamId}": {
            "get": {
                "operationId": "getTeam",
                "parameters": [
                    {"name": "teamId", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "the team",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    },
    "components": {
        "responses": {
            "Reissued": {
                "description": "a new token, shown once",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/S"}}},
            }
        },
        "schemas": {"S": _ENVELOPE},
    },
}
MADE_UP_OPERATIONS = operations_of(MADE_UP)
REISSUE = MADE_UP_OPERATIONS["reissueToken"]
GET_TEAM = MADE_UP_OPERATIONS["getTeam"]


def rotation_body(secret: str, project_id: str = PROJECT) -> dict[str, Any]:
    """The body of a conforming 200: the secret and a fresh ``meta``."""
    return {
        "data": {"secret": secret},
        "meta": {"timestamp": datetime.now(UTC).isoformat(), "projectId": project_id},
    }


def error_body(status: int, message: str = "m", code: str = "not_found") -> dict[str, Any]:
    return {"error": code, "message": message, "status": status}


def exchange(
    status: int = 200,
    body: Any = b"",
    *,
    headers: Mapping[str, str] | None = None,
    authorization: str | None = None,
    project_id: str | None = PROJECT,
    webhook_id: str | None = WEBHOOK,
    operation: Operation = ROTATE_SECRET,
    content_type: str | None = "application/json",
    id: int = 0,
    method: str | None = None,
) -> Exchange:
    """A response of ``operation`` as a check sees it; ``body`` is bytes or JSON-encoded."""
    named = {"projectId": project_id, "webhookId": webhook_id}
    parameters = {name: value for name, value in named.items() if value is not None}
    all_headers = {} if content_type is None else {"content-type": content_type}
    return Exchange(
        operation=operation,
        path_parameters=operation.parameters_of(parameters),
        method=method or operation.method,
        authorization=authorization,
        status=status,
        headers={**all_headers, **(headers or {})},
        body=body if isinstance(body, bytes) else json.dumps(body).encode(),
        id=id,
    )
