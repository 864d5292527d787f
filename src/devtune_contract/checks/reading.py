"""Reading a body strictly: what RFC 8259 makes a MUST fails, what it makes a SHOULD warns.

Python's ``json.loads`` is lenient where browsers and Node are not: it accepts ``NaN`` and
``Infinity``, a byte order mark after decoding, and keeps the last of duplicate member names.
A client in another language may choke on the first two or read another value for the third,
so the suite reads every body that claims to be JSON as RFC 8259 writes it.
"""

from __future__ import annotations

import json
from typing import Any

from devtune_contract.checks.exchange import ContractViolation, Exchange
from devtune_contract.checks.registry import contract_check
from devtune_contract.checks.state import RunState

UTF8_BOM = b"\xef\xbb\xbf"


def claims_json(exchange: Exchange) -> bool:
    return bool(exchange.body) and exchange.is_json


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (RFC 8259 §6 has no NaN or Infinity)")


@contract_check(applies=claims_json)
def strict_json(exchange: Exchange, run: RunState) -> None:
    """A body sent as JSON is RFC 8259 JSON: UTF-8 without a byte order mark, the grammar's
    values only; a repeated member name is a warning (RFC 8259 §4 says SHOULD)."""
    if not claims_json(exchange):
        return
    body = exchange.body
    if body.startswith(UTF8_BOM):
        raise ContractViolation(
            f"{exchange.status} body starts with a byte order mark (RFC 8259 §8.1: MUST NOT)"
        )
    try:  # (a mutant spelling it "UTF-8" is the same codec: equivalent)
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ContractViolation(
            f"{exchange.status} body is not UTF-8 (RFC 8259 §8.1: MUST be UTF-8)"
        ) from None
    repeated: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        names = [name for name, _ in items]
        repeated.extend(sorted({n for n in names if names.count(n) > 1}))
        return dict(items)

    try:
        json.loads(text, parse_constant=_no_constant, object_pairs_hook=pairs)
    except ValueError as error:
        reason = str(error).split(":")[0]  # json's message, without its line and column
        raise ContractViolation(
            f"{exchange.status} body is not JSON by RFC 8259's grammar: {reason}"
        ) from None
    if repeated:
        shown = ", ".join(repr(name[:40]) for name in repeated[:3])
        run.warn(
            f"{exchange.status} body repeats the member name {shown} (RFC 8259 §4: names "
            "SHOULD be unique; readers disagree on which value counts)"
        )
