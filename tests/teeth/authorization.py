"""Broken variants: another project's webhook (BOLA): lookups that forget the project."""

from __future__ import annotations

import attrs

from devtune_contract import scenarios
from devtune_contract.server.policy import (
    Policy,
    Reply,
    RequestContext,
    RotateRequest,
    canonical_uuid,
)
from devtune_contract.server.storage import ApiKey, Webhook
from teeth.registry import Headline, fault


@fault(
    "webhook_found_by_id_alone",
    "the webhook is looked up by id without checking its project: the foreign webhook "
    "rotates under the key's project",
    (scenarios.FOREIGN_WEBHOOK,),
)
class WebhookFoundByIdAlone(Policy):
    def find_webhook(self, context: RequestContext, key: ApiKey) -> Webhook | None:
        canonical = canonical_uuid(context.request.webhook_id)
        return None if canonical is None else self.store.find_webhook(canonical)


@fault(
    "trusts_path_project",
    "the key's project is never compared with the path's: the foreign project's own webhook "
    "rotates (the key's webhook under it still gets 404)",
    (scenarios.FOREIGN_WEBHOOK,),
)
class TrustsPathProject(Policy):
    def authenticate(self, context: RequestContext) -> ApiKey | None:
        request = context.request
        key = super().authenticate(context)
        if key is None:
            return None
        return attrs.evolve(key, project_id=canonical_uuid(request.project_id) or "")


@fault(
    "not_found_before_authentication",
    "webhooks are looked up before the key: an unknown one gets 404 without any key",
    (scenarios.MISSING_KEY,),
    headline=Headline(scenarios.MISSING_KEY, "answers 404 before checking the key: "),
)
class NotFoundBeforeAuthentication(Policy):
    async def handle(self, request: RotateRequest) -> Reply:
        canonical = canonical_uuid(request.webhook_id)
        if canonical is None or self.store.find_webhook(canonical) is None:
            return self.error(404)
        return await super().handle(request)
