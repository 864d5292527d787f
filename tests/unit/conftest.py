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
from devtune_contract.operations import ROTATE_SECRET, Operation

PROJECT = "p"
WEBHOOK = "w"


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
) -> Exchange:
    """A response of ``operation`` as a check sees it; ``body`` is bytes or JSON-encoded."""
    named = {"projectId": project_id, "webhookId": webhook_id}
    parameters = {name: value for name, value in named.items() if value is not None}
    all_headers = {} if content_type is None else {"content-type": content_type}
    return Exchange(
        operation=operation,
        path_parameters=operation.parameters_of(parameters),
        method=operation.method,
        authorization=authorization,
        status=status,
        headers={**all_headers, **(headers or {})},
        body=body if isinstance(body, bytes) else json.dumps(body).encode(),
        id=id,
    )
