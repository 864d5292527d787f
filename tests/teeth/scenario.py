"""Broken variants the scenario tests must catch: authentication, authorisation, resources."""

from __future__ import annotations

from schemathesis.specs.openapi.checks import ignored_auth

from devtune_contract import scenarios
from devtune_contract.server.policy import (
    Policy,
    Reply,
    RequestContext,
    RotateRequest,
)
from devtune_contract.server.storage import ApiKey
from teeth.policies import RewritingPolicy, unrestricted_key_for_path
from teeth.registry import fault


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
