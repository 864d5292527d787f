"""The contract's checks: one function per concern, each ``check(exchange, run) -> None``,
declared with when it applies and registered by that declaration
(:mod:`~devtune_contract.checks.registry`).

``ALL_CHECKS`` is the order they run in (a response's first failure is its title): concern by
concern as :data:`CONCERNS` lists them, then in the order each module defines its checks. A check
returns quietly when the response honours its part of the contract, or raises
:class:`ContractViolation` whose message is the failure title. The suite runs every check on
every response, whether schemathesis generated the request or a scenario test made it.
"""

from devtune_contract.checks import (  # noqa: F401 (importing a check module registers its checks)
    caching,
    envelope,
    http,
    hygiene,
    rate_limit,
    reading,
    secrets,
)
from devtune_contract.checks.exchange import ContractViolation, Exchange
from devtune_contract.checks.registry import REGISTERED, ContractCheck
from devtune_contract.checks.state import RunState

# The body's grammar and shape first, then what it must not hold, then the secret, then the
# headers.
CONCERNS = ("reading", "envelope", "http", "hygiene", "secrets", "caching", "rate_limit")


def _concern(check: ContractCheck) -> int:
    # Runs at import, building ALL_CHECKS: no mutant is active then (equivalent mutants); the
    # order is pinned by tests/unit/test_check_registry.py.
    return CONCERNS.index(check.function.__module__.rsplit(".", 1)[-1])


ALL_CHECKS: tuple[ContractCheck, ...] = tuple(sorted(REGISTERED, key=_concern))

__all__ = [
    "ALL_CHECKS",
    "ContractCheck",
    "ContractViolation",
    "Exchange",
    "RunState",
]
