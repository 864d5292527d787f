"""Broken variants that schemathesis' own checks must catch in generated requests."""

from __future__ import annotations

import uuid

import attrs
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    status_code_conformance,
    unsupported_method,
)

from devtune_contract import scenarios
from devtune_contract.server.policy import (
    Policy,
    Reply,
    RequestContext,
    RotateRequest,
)
from devtune_contract.server.storage import ApiKey, Webhook
from teeth.policies import RewritingPolicy, with_body
from teeth.registry import fault


@fault(
    "server_error_on_malformed_id",
    "a webhook id that is not a UUID crashes the handler (500)",
    (not_a_server_error, scenarios.MALFORMED_IDS),
)
class ServerErrorOnMalformedId(Policy):
    def find_webhook(self, context: RequestContext, key: ApiKey) -> Webhook | None:
        # Raises ValueError: the unhandled exception becomes a 500.
        uuid.UUID(context.request.webhook_id)
        return super().find_webhook(context, key)


@fault(
    "get_is_routed",
    "GET on the rotate path is handled (and rotates) instead of answered 405",
    (unsupported_method, allow_header_conformance, scenarios.UNDOCUMENTED_METHOD),
)
class GetIsRouted(Policy):
    methods = ("POST", "GET")


@fault(
    "undocumented_status_for_unknown_webhook",
    "an unknown webhook gets 422, a status the contract does not document",
    (status_code_conformance, scenarios.UNKNOWN_WEBHOOK),
)
class UndocumentedStatusForUnknownWebhook(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Reply) -> Reply:
        if outcome.status != 404:
            return outcome
        return attrs.evolve(with_body(outcome, status=422), status=422)
