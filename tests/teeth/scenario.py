"""Broken variants the scenario tests must catch: authentication, authorisation, resources."""

from __future__ import annotations

from devtune_contract.server.policy import (
    Outcome,
    Policy,
    RequestContext,
    RotateRequest,
)
from devtune_contract.server.storage import ApiKey
from teeth.policies import RewritingPolicy, unrestricted_key_for_path
from teeth.registry import fault


@fault(
    "accepts_missing_key",
    "a request without Authorization rotates as if authorised",
    ("test_missing_key_is_unauthorized", "ignored_auth"),
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
    ("test_unknown_key_is_unauthorized",),
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
    ("test_read_only_key_is_forbidden",),
)
class IgnoresScopes(Policy):
    def may_rotate(self, context: RequestContext, key: ApiKey) -> bool:
        return True


@fault(
    "ignores_path_project",
    "the webhook is found by id alone, whatever project the path names",
    ("test_webhook_under_another_project_is_not_rotated",),
)
class IgnoresPathProject(Policy):
    def owns_project(self, context: RequestContext, key: ApiKey) -> bool:
        return True


@fault(
    "unknown_webhook_is_forbidden",
    "an unknown webhook in the key's own project gets 403 instead of 404",
    ("test_unknown_webhook_is_not_found",),
)
class UnknownWebhookIsForbidden(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Outcome) -> Outcome:
        if outcome.status != 404:
            return outcome
        return self.error(403, outcome.headers)
