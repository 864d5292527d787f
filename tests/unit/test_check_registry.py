"""Checks are objects declared with their applicability; scenarios are declared once too."""

from __future__ import annotations

import ast
import importlib
import pkgutil

import pytest
from unit.conftest import GET_TEAM, error_body, exchange, rotation_body

import devtune_contract.checks
from devtune_contract import scenarios
from devtune_contract.checks import ALL_CHECKS, ContractCheck, RunState
from devtune_contract.settings import Settings, SettingsError
from devtune_contract.suite.adapter.runner import tests_directory as contract_tests_directory
from devtune_contract.suite.engine.schemas import CheckSelection, builtin_checks

CONTRACT_TESTS = contract_tests_directory()


def declared_checks() -> set[ContractCheck]:
    found = set()
    for module in pkgutil.iter_modules(devtune_contract.checks.__path__):
        loaded = importlib.import_module(f"devtune_contract.checks.{module.name}")
        found |= {v for v in vars(loaded).values() if isinstance(v, ContractCheck)}
    return found


def test_every_declared_check_runs() -> None:
    assert declared_checks() == set(ALL_CHECKS)
    assert len({check.name for check in ALL_CHECKS}) == len(ALL_CHECKS)


def test_every_scenario_is_a_test_function_of_the_suite() -> None:
    functions = {
        node.name
        for path in CONTRACT_TESTS.glob("test_*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }
    missing = [s.name for s in scenarios.SCENARIOS if s.name not in functions]
    assert not missing, f"declared but no such test: {missing}"


def applying(response: object) -> list[str]:
    return [check.name for check in ALL_CHECKS if check.applies(response)]  # type: ignore[arg-type]


def test_applicability_follows_the_response_and_its_operation() -> None:
    assert applying(exchange(200, rotation_body("s" * 64))) == [
        "strict_json",
        "json_content_type",
        "success_envelope",
        "secret_strength",
        "secret_randomness",
        "fresh_secret",
        "no_credential_echo",
        "secret_only_where_documented",
        "secret_not_cacheable",
    ]
    assert "error_envelope" in applying(exchange(404, error_body(404)))
    limited = exchange(429, error_body(429), headers={"x-ratelimit-limit": "1"})
    assert {"rate_limited_response", "rate_limit_headers", "rate_limit_consistency"} <= set(
        applying(limited)
    )


def test_a_made_up_operation_without_a_secret_gets_no_secret_checks() -> None:
    """Nothing in the checks names an operation: a plain read's 200 is not a rotation."""
    team = exchange(200, {"name": "t"}, operation=GET_TEAM, project_id=None, webhook_id=None)
    assert team.path_parameters == {}
    assert applying(team) == [
        "strict_json",
        "json_content_type",
        "no_credential_echo",
        "secret_only_where_documented",
    ]
    run = RunState(settings=Settings())
    for check in ALL_CHECKS:
        check(team, run)  # success_envelope would call this 200 "no data.secret"
    missing = exchange(404, error_body(404), operation=GET_TEAM)
    assert "error_envelope" in applying(missing)


@pytest.mark.parametrize("variable", ["checks", "exclude_checks"])
def test_an_unknown_check_name_lists_the_valid_ones(variable: str) -> None:
    settings = Settings(**{variable: ("json_content_typo",)})  # type: ignore[arg-type]
    with pytest.raises(SettingsError) as raised:
        CheckSelection.from_settings(settings, ALL_CHECKS)
    message = str(raised.value)
    assert message.startswith("unknown check json_content_typo in DEVTUNE_CHECKS")
    for check in (*ALL_CHECKS, *builtin_checks()):
        name = check.name if isinstance(check, ContractCheck) else check.__name__
        assert name in message


def test_a_selection_holds_check_objects() -> None:
    settings = Settings(checks=("json_content_type", "not_a_server_error"))
    selection = CheckSelection.from_settings(settings, ALL_CHECKS)
    assert [check.name for check in selection.contract_checks] == ["json_content_type"]
    assert [check.__name__ for check in selection.scenario_builtins] == ["not_a_server_error"]
    assert "not_a_server_error" not in {c.__name__ for c in selection.excluded_builtins()}
    assert "status_code_conformance" in {c.__name__ for c in selection.excluded_builtins()}
