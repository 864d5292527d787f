"""What several broken variants build on: rewriting the reference's outcome."""

from __future__ import annotations

from typing import Any

import attrs

from devtune_contract.server.policy import (
    Policy,
    Reply,
    RequestContext,
    RotateRequest,
    canonical_uuid,
)
from devtune_contract.server.storage import ApiKey


class RewritingPolicy(Policy):
    """A fault that lets the reference decide, then changes the outcome."""

    async def handle(self, request: RotateRequest) -> Reply:
        return self.rewrite(request, await super().handle(request))

    def rewrite(self, request: RotateRequest, outcome: Reply) -> Reply:
        raise NotImplementedError


def with_body(outcome: Reply, **changes: Any) -> Reply:
    """``outcome`` with top-level body fields replaced (``None`` removes a field)."""
    body = {**outcome.body, **changes}
    return attrs.evolve(outcome, body={k: v for k, v in body.items() if v is not None})


def unrestricted_key_for_path(request: RotateRequest, key_id: str) -> ApiKey:
    """The key a careless server imagines: every scope, on whatever project the path names."""
    project = canonical_uuid(request.project_id) or request.project_id
    return ApiKey(id=key_id, project_id=project, scopes=None, expires_at=None)


def with_authorization(context: RequestContext, authorization: str) -> RequestContext:
    """``context`` as if the request had carried ``authorization``: what a lenient parser sees."""
    return attrs.evolve(context, request=attrs.evolve(context.request, authorization=authorization))
