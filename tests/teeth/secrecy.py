"""Broken variants: secrecy: responses that repeat the caller's credentials."""

from __future__ import annotations

from devtune_contract.checks.secrets import no_credential_echo
from devtune_contract.server.policy import (
    Reply,
    RotateRequest,
)
from teeth.policies import RewritingPolicy, with_body
from teeth.registry import fault


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
