"""The contract's checks: one function per concern, each ``check(exchange, run) -> None``,
declared with when it applies (:mod:`~devtune_contract.checks.registry`).

``ALL_CHECKS`` is the order they run in (a response's first failure is its title). A check
returns quietly when the response honours its part of the contract, or raises
:class:`ContractViolation` whose message is the failure title. The suite runs every check on
every response, whether schemathesis generated the request or a scenario test made it.
"""

from devtune_contract.checks.caching import secret_not_cacheable
from devtune_contract.checks.envelope import error_envelope, json_content_type, success_envelope
from devtune_contract.checks.exchange import ContractViolation, Exchange
from devtune_contract.checks.hygiene import error_hygiene
from devtune_contract.checks.rate_limit import (
    rate_limit_consistency,
    rate_limit_headers,
    rate_limited_response,
)
from devtune_contract.checks.registry import ContractCheck
from devtune_contract.checks.secrets import (
    fresh_secret,
    no_credential_echo,
    secret_randomness,
    secret_strength,
)
from devtune_contract.checks.state import RunState

Check = ContractCheck

ALL_CHECKS: tuple[Check, ...] = (
    json_content_type,
    success_envelope,
    error_envelope,
    error_hygiene,
    secret_strength,
    secret_randomness,
    fresh_secret,
    secret_not_cacheable,
    no_credential_echo,
    rate_limit_headers,
    rate_limited_response,
    rate_limit_consistency,
)

__all__ = [
    "ALL_CHECKS",
    "Check",
    "ContractCheck",
    "ContractViolation",
    "Exchange",
    "RunState",
]
