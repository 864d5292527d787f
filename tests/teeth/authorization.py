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


@fault(
    "ownership_compared_case_sensitively",
    "the foreign webhook's id in upper case rotates (BOLA): the tenant check looks the id up "
    "as sent, case-sensitively, and lets an id it does not know through to the handler, whose "
    "lookup ignores case (a case-insensitive collation)",
    (scenarios.REFUSED_REQUEST_FORMS,),
    headline=Headline(
        scenarios.REFUSED_REQUEST_FORMS, "the foreign webhook as upper-case-id: accepted: 200"
    ),
)
class OwnershipComparedCaseSensitively(Policy):
    def find_webhook(self, context: RequestContext, key: ApiKey) -> Webhook | None:
        as_sent = self.store.find_webhook(context.request.webhook_id)
        if as_sent is not None and as_sent.project_id != key.project_id:
            return None  # the tenant check: only ids it finds as sent
        canonical = canonical_uuid(context.request.webhook_id)
        return None if canonical is None else self.store.find_webhook(canonical)
