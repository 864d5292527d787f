"""HTTP's own rules (RFC 9110) on every answer, documented request or not."""

from __future__ import annotations

from devtune_contract.checks.exchange import ContractViolation, Exchange
from devtune_contract.checks.registry import contract_check
from devtune_contract.checks.state import RunState


def method_not_allowed(exchange: Exchange) -> bool:
    return exchange.status == 405


def allowed_methods(exchange: Exchange) -> list[str]:
    """The methods ``Allow`` names, upper-cased (RFC 9110 §10.2.1: a comma-separated list)."""
    raw = exchange.headers.get("allow", "")
    return [method.strip().upper() for method in raw.split(",") if method.strip()]


@contract_check(applies=method_not_allowed)
def allow_on_405(exchange: Exchange, run: RunState) -> None:
    """A 405 carries ``Allow`` naming the methods the target supports (RFC 9110 §15.5.6: MUST),
    and for an operation of the contract that includes its documented method."""
    if exchange.status != 405:
        return
    allowed = allowed_methods(exchange)
    if "allow" not in exchange.headers:
        raise ContractViolation("405 without Allow (RFC 9110 §15.5.6: MUST)")
    documented = exchange.operation.method.upper()
    if allowed and documented not in allowed:
        raise ContractViolation(
            f"405 with Allow: {', '.join(allowed)[:80]}, which omits the documented {documented}"
        )
