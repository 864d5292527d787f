"""Every schema rule in both directions and on both sides, from drift_fixtures/constraints.yaml.

Each case is one schema change placed wherever a schema can be (a path or query parameter or a
request body: what the client sends; a response body or header: what it receives) and read
both ways. The report must hold exactly the one change the fixture names, at its level.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from devtune_contract.drift import compare
from devtune_contract.drift.model import Side

FIXTURES = Path(__file__).parent / "drift_fixtures"
CASES: list[dict[str, Any]] = yaml.safe_load((FIXTURES / "constraints.yaml").read_text())
EQUIVALENT: list[dict[str, Any]] = yaml.safe_load((FIXTURES / "equivalent.yaml").read_text())
PATH = "/things/{thingId}"
POSITIONS: dict[str, Side] = {
    "path parameter": "request",
    "query parameter": "request",
    "request body": "request",
    "response body": "response",
    "response header": "response",
}


def document(
    schema: Any, position: str, components: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A one-operation OpenAPI 3.1 document with ``schema`` at ``position``."""
    path_parameter = {
        "name": "thingId",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    operation: dict[str, Any] = {
        "operationId": "putThing",
        "parameters": [path_parameter],
        "responses": {"200": {"description": "ok"}},
    }
    if position == "path parameter":
        path_parameter["schema"] = schema
    elif position == "query parameter":
        operation["parameters"].append({"name": "q", "in": "query", "schema": schema})
    elif position == "request body":
        operation["requestBody"] = {"content": {"application/json": {"schema": schema}}}
    elif position == "response body":
        operation["responses"]["200"]["content"] = {"application/json": {"schema": schema}}
    else:
        operation["responses"]["200"]["headers"] = {"X-Probe": {"schema": schema}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "probe", "version": "1"},
        "paths": {PATH: {"put": operation}},
        "components": {"schemas": components or {}},
    }


def found(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c.level.value, c.rule.id) for c in compare(before, after).changes]


def expected(text: str) -> list[tuple[str, str]]:
    level, rule = text.split()
    return [(level, rule)]


@pytest.mark.parametrize("direction", ["forward", "reverse"])
@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_a_change_and_its_reverse(case: dict[str, Any], position: str, direction: str) -> None:
    """``forward``: before -> after; ``reverse``: the same change undone, after -> before."""
    side = POSITIONS[position]
    base, upstream = (case["before"], case["after"])[:: 1 if direction == "forward" else -1]
    changes = found(document(base, position), document(upstream, position))
    assert changes == expected(case[direction][side])


def test_every_schema_rule_has_a_fixture() -> None:
    """A rule without a case could be deleted with no test noticing."""
    from devtune_contract.drift.schemas import EXPLAINED

    covered = {
        key for case in CASES for schema in (case["before"], case["after"]) for key in schema
    }
    assert EXPLAINED - covered == set()


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("case", EQUIVALENT, ids=[c["name"] for c in EQUIVALENT])
def test_equivalent_spellings_report_nothing(case: dict[str, Any], position: str) -> None:
    before = document(case["before"], position, case.get("before_components"))
    after = document(case["after"], position, case.get("after_components"))
    assert compare(before, after).changes == ()
    assert compare(after, before).changes == ()
