"""The contract's operations come from the spec, and the generic parts serve any operation.

A made-up spec with two operations of its own (a second secret-returning one under another
base path, and a plain read) goes through case building, exchanges and drift without an edit
to any of them.
"""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest
import schemathesis
from unit.conftest import GET_TEAM, MADE_UP, MADE_UP_OPERATIONS, REISSUE, rotation_body
from unit.conftest import exchange as build_exchange

from devtune_contract.checks import ALL_CHECKS, ContractViolation, RunState
from devtune_contract.checks.registry import returns_a_secret
from devtune_contract.checks.secrets import returned_secret, secret_strength
from devtune_contract.drift import compare
from devtune_contract.masking import Redactor
from devtune_contract.operations import (
    OPERATIONS,
    ROTATE_SECRET,
    Operation,
    operation_at,
)
from devtune_contract.settings import Settings
from devtune_contract.spec import pinned_contract
from devtune_contract.suite.engine.exchanges import ExchangeCache
from devtune_contract.suite.engine.schemas import build_case


def test_the_rotate_operation_is_read_from_openapi_json() -> None:
    spec = pinned_contract()
    (path,) = spec["paths"]
    assert (ROTATE_SECRET.method, ROTATE_SECRET.path) == ("POST", path)
    assert ROTATE_SECRET.path_parameters == ("projectId", "webhookId")
    assert ROTATE_SECRET.base_path == "/api/v2"
    assert ROTATE_SECRET.returns_secret
    assert list(OPERATIONS) == ["rotateWebhookSecret"]


def test_a_made_up_spec_declares_its_own_operations() -> None:
    assert REISSUE.method == "POST"
    assert REISSUE.base_path == "/api/v9"
    assert REISSUE.path_parameters == ("teamId", "tokenId")
    assert REISSUE.returns_secret  # through a $ref'd response and a $ref'd schema
    assert not GET_TEAM.returns_secret
    assert operation_at("/teams/{teamId}", "get", MADE_UP_OPERATIONS) is GET_TEAM
    with pytest.raises(KeyError, match="declares no DELETE"):
        operation_at("/teams/{teamId}", "DELETE", MADE_UP_OPERATIONS)
    probed = operation_at("/teams/{teamId}", "TRACE", MADE_UP_OPERATIONS, any_method=True)
    assert probed is GET_TEAM
    with pytest.raises(KeyError, match="declares no GET /teams"):
        operation_at("/teams", "GET", MADE_UP_OPERATIONS, any_method=True)


@pytest.mark.parametrize("operation", [ROTATE_SECRET, REISSUE, GET_TEAM], ids=lambda o: o.path)
def test_paths_are_built_and_matched_from_the_template(operation: Operation) -> None:
    parameters = {name: f"v-{name}" for name in operation.path_parameters}
    path = operation.url_path(parameters, base=True)
    assert path.startswith(operation.base_path + "/")
    assert operation.match(path) == tuple(parameters.values())
    assert operation.match(path + "/") is None  # a trailing slash is another path
    with pytest.raises(KeyError):
        operation.url_path({})


def test_an_empty_parameter_segment_does_not_match() -> None:
    assert REISSUE.match("/api/v9/teams//tokens/t/reissue") is None
    assert REISSUE.match("/api/v9/teams/t/tokens/t/renew") is None
    assert REISSUE.match("/api/v2/teams/t/tokens/t/reissue") is None


def test_cases_and_exchanges_of_a_made_up_operation() -> None:
    schema = schemathesis.openapi.from_dict(MADE_UP)
    case = build_case(schema, REISSUE, {"teamId": "t1", "tokenId": "k1"}, {"X-Trace": "1"})
    assert (case.method, case.path) == ("POST", REISSUE.path)
    assert case.formatted_path == REISSUE.url_path({"teamId": "t1", "tokenId": "k1"})
    response = SimpleNamespace(
        status_code=201,
        headers={"Content-Type": ["application/json"]},
        content=b'{"data": {"secret": "s"}}',
        request=SimpleNamespace(headers={"Authorization": "Bearer x"}),
    )
    exchange = ExchangeCache(Redactor(), MADE_UP_OPERATIONS).view(case, response)
    assert exchange.operation is REISSUE
    assert exchange.path_parameters == {"teamId": "t1", "tokenId": "k1"}
    assert exchange.parameter("teamId") == "t1"
    assert exchange.parameter("projectId") is None


def test_drift_compares_a_made_up_operation() -> None:
    newer = copy.deepcopy(MADE_UP)
    newer["components"]["schemas"]["S"]["properties"]["data"]["required"] = []
    report = compare(MADE_UP, newer)
    reissue = f"POST {REISSUE.path}"
    assert set(report.operations) == {reissue, f"GET {GET_TEAM.path}"}
    assert [change.operation for change in report.changes] == [reissue]


def test_a_secret_returned_with_201_gets_the_secret_checks() -> None:
    """The made-up operation declares its secret under 201: the secret checks judge that
    status (not only 200), and a 2xx the spec declares no secret under stays out of them."""
    weak = build_exchange(201, rotation_body("ab" * 4), operation=REISSUE)
    assert returns_a_secret(weak)
    assert returned_secret(weak) == "ab" * 4
    with pytest.raises(ContractViolation, match="holds 32 bits"):
        secret_strength(weak, RunState(settings=Settings()))
    undeclared = build_exchange(200, rotation_body("ab" * 4), operation=REISSUE)
    assert not returns_a_secret(undeclared)
    assert returned_secret(undeclared) is None
    secret_checks = [c for c in ALL_CHECKS if c.applies is returns_a_secret]
    assert {c.name for c in secret_checks} >= {"secret_strength", "fresh_secret"}
