"""Checks as objects: each check function declared with when it applies, right beside it.

``@contract_check(applies=...)`` turns a ``check(exchange, run)`` function into a
:class:`ContractCheck`. The suite reports a check that never applied in a whole run as
``n/a``, not PASS (no 429 seen means the 429 check proved nothing), so a check without a
declared applicability cannot exist: there is no table to forget it in.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from devtune_contract.checks.exchange import Exchange
from devtune_contract.checks.state import RunState

CheckFunction = Callable[[Exchange, RunState], None]
Applicability = Callable[[Exchange], bool]


def returns_a_secret(exchange: Exchange) -> bool:
    """A response of a status under which the operation's spec declares a one-time secret."""
    return exchange.operation.returns_secret_with(exchange.status)


def rate_limited(exchange: Exchange) -> bool:
    return exchange.status == 429


def an_error(exchange: Exchange) -> bool:
    return exchange.status >= 400


def has_body(exchange: Exchange) -> bool:
    return bool(exchange.body)


def always(exchange: Exchange) -> bool:
    return True


@attrs.frozen
class ContractCheck:
    """A check and when it has something to judge; calling it runs the check where it applies.

    Every check function returns quietly on a response it does not apply to, so skipping
    those changes no verdict; it keeps a check written for one operation quiet on another.
    """

    function: CheckFunction
    applies: Applicability

    @property
    def name(self) -> str:
        return self.function.__name__

    def __call__(self, exchange: Exchange, run: RunState) -> None:
        if self.applies(exchange):
            self.function(exchange, run)


REGISTERED: list[ContractCheck] = []


def contract_check(*, applies: Applicability) -> Callable[[CheckFunction], ContractCheck]:
    """Declare ``function`` a check and register it: the suite runs checks in the order their
    concerns are listed (``CONCERNS`` in ``checks/__init__.py``) and, within a module,
    defined."""

    # Runs when a check module is imported, before any mutant is active: mutation testing
    # cannot change it (its mutants survive as equivalent); every check test relies on it.
    def declare(function: CheckFunction) -> ContractCheck:
        check = ContractCheck(function, applies)
        if any(known.name == check.name for known in REGISTERED):
            raise ValueError(f"two contract checks are called {check.name}")
        REGISTERED.append(check)
        return check

    return declare
