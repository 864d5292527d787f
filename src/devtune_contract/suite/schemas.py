"""The contract as schemathesis sees it: where the spec lives, how it is configured, which
checks run.

Three views of one spec: generated requests with the write key, the same pinned to the key's
project, and an unauthenticated one whose cases the scenario tests fill in themselves.
"""

from __future__ import annotations

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

from devtune_contract.operations import Operation, spec_path
from devtune_contract.settings import Settings, SettingsError
from devtune_contract.suite.transport import ca_bundle

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


def builtin_check_names() -> tuple[str, ...]:
    load_all_checks()
    return tuple(CHECKS.get_all_names())


@attrs.frozen
class CheckSelection:
    """``DEVTUNE_CHECKS`` / ``DEVTUNE_EXCLUDE_CHECKS`` resolved against the known names."""

    only: frozenset[str]
    excluded: frozenset[str]

    @classmethod
    def from_settings(cls, settings: Settings, known: Iterable[str]) -> CheckSelection:
        names = set(known)
        unknown = sorted({*settings.checks, *settings.exclude_checks} - names)
        if unknown:
            raise SettingsError(
                f"unknown check {', '.join(unknown)} in DEVTUNE_CHECKS/DEVTUNE_EXCLUDE_CHECKS; "
                f"known: {', '.join(sorted(names))}"
            )
        return cls(frozenset(settings.checks), frozenset(settings.exclude_checks))

    def __contains__(self, name: object) -> bool:
        return (not self.only or name in self.only) and name not in self.excluded

    def excluded_builtins(self) -> list[Any]:
        load_all_checks()
        return [c for c in CHECKS.get_all() if c.__name__ not in self]


def load(
    settings: Settings,
    seed: int,
    after_validate: AfterValidate,
    *,
    authenticated: bool,
    pin_project: bool = False,
) -> Any:
    """The spec loaded with the run's base URL, timeout, TLS trust, seed and budgets."""
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
    if pin_project:
        config["parameters"] = {"path.projectId": settings.project_id}
    schema = schemathesis.openapi.from_path(
        spec_path(), config=schemathesis.Config.from_dict(config)
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
