"""Broken variants: secrecy: responses that repeat the caller's credentials."""

from __future__ import annotations

from devtune_contract import scenarios
from devtune_contract.checks.secrets import no_credential_echo
from devtune_contract.credentials import WEBHOOKS_WRITE
from devtune_contract.server.policy import (
    Reply,
    RequestContext,
    RotateRequest,
    canonical_uuid,
)
from teeth.policies import RewritingPolicy, with_body
from teeth.registry import Headline, fault


@fault(
    "echoes_key_in_errors",
    "error messages repeat the API key the request carried",
    (no_credential_echo,),
)
class EchoesKeyInErrors(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Reply) -> Reply:
        if outcome.status < 400 or not request.authorization:
            return outcome
        return with_body(outcome, message=f"rejected credentials: {request.authorization}")


@fault(
    "forbidden_carries_the_record",
    "the read-only key's 403 carries the webhook's record, its current signing secret in a "
    "member named secret (OWASP API3, excessive data exposure)",
    (scenarios.READ_ONLY_KEY,),
    headline=Headline(
        scenarios.READ_ONLY_KEY, "secret_only_where_documented: 403 response shows a secret"
    ),
)
class ForbiddenCarriesTheRecord(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Reply) -> Reply:
        key = self.authenticate(RequestContext(request))
        webhook_id = canonical_uuid(request.webhook_id)
        if outcome.status != 403 or key is None or key.allows(WEBHOOKS_WRITE) or not webhook_id:
            return outcome
        secret = self.store.current_secret(webhook_id)
        if secret is None:
            return outcome
        # The teeth's leak check (tests/integration/leaks.py) looks for what a server hands out.
        issued: list[str] | None = getattr(self, "issued", None)
        if issued is not None:
            issued.append(secret)
        record = {"id": webhook_id, "url": "https://example.com/hook", "secret": secret}
        return with_body(outcome, webhook=record)
