"""A response that carries a secret must not be storable by a shared cache (RFC 9111).

The rotate request carries ``Authorization``, so by RFC 9111 §3.5 a shared cache may store the
response only when a directive explicitly allows it (``public``, ``s-maxage`` or
``must-revalidate``), and by §3 never when ``no-store`` or an unqualified ``private`` is
present. A qualified ``private="Field"`` only keeps the named fields out of a shared cache
(§5.2.2.7), so it does not protect the secret in the body.
"""

from __future__ import annotations

import re

from devtune_contract.checks.exchange import ContractViolation, Exchange
from devtune_contract.checks.registry import contract_check, returns_a_secret
from devtune_contract.checks.secrets import returned_secret
from devtune_contract.checks.state import RunState

CACHE_CONTROL = "cache-control"
# RFC 9110 §5.6.2 token, then an optional token or quoted-string argument.
DIRECTIVE = re.compile(
    r"""\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^,\s]*))?\s*(?:,|$)"""
)
STORABLE_BY_SHARED_CACHES = ("public", "s-maxage", "must-revalidate")


def cache_directives(value: str) -> dict[str, str | None]:
    """``Cache-Control`` as lower-cased directive names and their (unquoted) arguments.

    Text that is not a directive is skipped up to the next comma, as caches do.
    """
    directives: dict[str, str | None] = {}
    position = 0
    while position < len(value):
        match = DIRECTIVE.match(value, position)
        if match is None or match.end() == position:
            comma = value.find(",", position)
            position = len(value) if comma < 0 else comma + 1
            continue
        name, argument = match.group(1).lower(), match.group(2)
        if argument is not None and argument.startswith('"'):
            argument = re.sub(r"\\(.)", r"\1", argument[1:-1])
        directives.setdefault(name, argument)
        position = match.end()
    return directives


@contract_check(applies=returns_a_secret)
def secret_not_cacheable(exchange: Exchange, run: RunState) -> None:
    """A response carrying a secret says nothing that lets a shared cache store it."""
    if returned_secret(exchange) is None:
        return
    # Equivalent mutant: another default; an unknown directive allows nothing either.
    directives = cache_directives(exchange.headers.get(CACHE_CONTROL, ""))
    if "no-store" in directives or ("private" in directives and not directives["private"]):
        return
    allowing = [name for name in STORABLE_BY_SHARED_CACHES if name in directives]
    if allowing:
        raise ContractViolation(
            f"a response carrying a secret says Cache-Control {', '.join(allowing)} without "
            "no-store or private: a shared cache may store the secret (RFC 9111 §3.5)"
        )
