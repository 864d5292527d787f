"""The contract as schemathesis sees it: the loaded spec handed over, how it is configured,
which checks run.

Three views of one spec: generated requests with the write key, the same with the key's own
resources pinned (its project), and an unauthenticated one whose cases the scenario tests fill
in themselves.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs
import schemathesis
from schemathesis.checks import CHECKS, load_all_checks, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from devtune_contract.checks import ContractCheck
from devtune_contract.operations import Operation
from devtune_contract.settings import Settings, SettingsError
from devtune_contract.suite.engine.transport import ca_bundle

# Checks that judge a response alone; the other built-ins judge how the request was generated
# (or re-send it) and only make sense for schemathesis-generated cases.
RESPONSE_BUILTINS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)
AfterValidate = Callable[[Any, Any, list[Any]], None]


def builtin_checks() -> tuple[Any, ...]:
    """Every schemathesis check function, registered or not yet loaded."""
    load_all_checks()
    return tuple(CHECKS.get_all())


@attrs.frozen
class CheckSelection:
    """``DEVTUNE_CHECKS`` / ``DEVTUNE_EXCLUDE_CHECKS`` resolved to check objects.

    A name that is no check is a settings error listing the valid names: a typo must not
    quietly run every check, or none.
    """

    contract_checks: tuple[ContractCheck, ...]
    scenario_builtins: tuple[Any, ...]
    excluded_builtin_checks: tuple[Any, ...]

    @classmethod
    def from_settings(
        cls, settings: Settings, contract_checks: Iterable[ContractCheck]
    ) -> CheckSelection:
        contract = tuple(contract_checks)
        builtins = builtin_checks()
        names = {c.name for c in contract} | {c.__name__ for c in builtins}
        unknown = sorted({*settings.checks, *settings.exclude_checks} - names)
        if unknown:
            raise SettingsError(
                f"unknown check {', '.join(unknown)} in DEVTUNE_CHECKS/DEVTUNE_EXCLUDE_CHECKS; "
                f"known: {', '.join(sorted(names))}"
            )
        only, excluded = frozenset(settings.checks), frozenset(settings.exclude_checks)

        def selected(name: str) -> bool:
            return (not only or name in only) and name not in excluded

        return cls(
            contract_checks=tuple(c for c in contract if selected(c.name)),
            scenario_builtins=tuple(c for c in RESPONSE_BUILTINS if selected(c.__name__)),
            excluded_builtin_checks=tuple(c for c in builtins if not selected(c.__name__)),
        )

    def excluded_builtins(self) -> list[Any]:
        return list(self.excluded_builtin_checks)


def load(
    spec: Mapping[str, Any],
    settings: Settings,
    seed: int,
    after_validate: AfterValidate,
    *,
    authenticated: bool,
    pinned: Mapping[str, str] | None = None,
) -> Any:
    """``spec`` (as loaded) with the run's base URL, timeout, TLS trust, seed and budgets.

    ``pinned``: path parameters every generated request keeps at these values.
    """
    config: dict[str, Any] = {
        "base-url": settings.base_url,
        "request-timeout": settings.request_timeout,
        "tls-verify": ca_bundle(),
        "seed": seed,
        "generation": {
            "mode": "all",
            "max-examples": settings.max_examples,
            "database": "none",
            "no-shrink": True,
        },
        "phases": {"stateful": {"enabled": False}},
    }
    if authenticated:
        config["auth"] = {"openapi": {"bearerAuth": {"bearer": settings.api_key}}}
    if pinned:
        config["parameters"] = {f"path.{name}": value for name, value in pinned.items()}
    schema = schemathesis.openapi.from_dict(
        copy.deepcopy(dict(spec)), config=schemathesis.Config.from_dict(config)
    )

    def hook(context: Any, case: Any, response: Any, results: list[Any]) -> None:
        after_validate(case, response, results)

    schema.hook("after_validate")(hook)
    return schema


def build_case(
    schema: Any,
    operation: Operation,
    path_parameters: Mapping[str, object],
    headers: Mapping[str, str],
) -> Any:
    """A scenario request for ``operation`` in ``schema``, with exactly these parameters."""
    return schema[operation.path][operation.method].Case(
        path_parameters=dict(path_parameters), headers=dict(headers)
    )
