"""The teeth's two catalogues: broken server variants the suite must fail, legitimate ones it
must pass. Test doubles only: nothing here ships in the wheel.

A broken variant is one class in the module of its category (``generated.py``, ``secret.py``,
...; the module's name is the category), decorated with :func:`fault`. A legitimate one is one
class or :func:`register` call in ``conforming.py``. ``tests/integration/test_teeth.py`` runs the
whole contract suite against each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, get_args

import attrs

from devtune_contract.checks import ContractCheck
from devtune_contract.scenarios import Scenario
from devtune_contract.server.app import ASGIApp
from devtune_contract.server.policy import Policy, ServerConfig

Category = Literal[
    "generated",
    "scenario",
    "authentication",
    "authorization",
    "request-forms",
    "envelope",
    "parsing",
    "secret",
    "rate-limit",
    "concurrency",
    "caching",
    "error-hygiene",
    "good-citizen",
    "secrecy",
]
CATEGORIES: tuple[Category, ...] = get_args(Category)


def category_of(policy: type[Policy]) -> Category:
    """The category a fault's module names: ``teeth.rate_limit`` holds the rate-limit faults."""
    name = policy.__module__.rsplit(".", 1)[-1].replace("_", "-")
    for category in CATEGORIES:
        if category == name:
            return category
    raise ValueError(f"{policy.__qualname__} is in {policy.__module__}, not a category module")


# What may catch a fault: a contract check, a scenario test, or one of schemathesis' checks.
Catcher = ContractCheck | Scenario | Callable[..., Any]


def catcher_name(catcher: Catcher) -> str:
    """The name the suite's summary reports the catcher under."""
    if isinstance(catcher, ContractCheck | Scenario):
        return catcher.name
    return catcher.__name__


Wrapper = Callable[[ASGIApp], ASGIApp]


@attrs.frozen
class Headline:
    """What the teeth read first: ``scenario``'s one-line message starts with ``starts``."""

    scenario: Scenario
    starts: str


@attrs.frozen
class Fault:
    name: str
    category: Category
    summary: str
    caught_by: frozenset[Catcher]
    policy: type[Policy]
    environment: Mapping[str, str] = attrs.field(factory=dict)
    wrap: Wrapper | None = None  # a deviation on the wire, around the app
    headline: Headline | None = None

    @property
    def caught_by_names(self) -> frozenset[str]:
        return frozenset(catcher_name(catcher) for catcher in self.caught_by)


FAULTS: dict[str, Fault] = {}


def fault(
    name: str,
    summary: str,
    caught_by: tuple[Catcher, ...],
    environment: Mapping[str, str] | None = None,
    wrap: Wrapper | None = None,
    headline: Headline | None = None,
) -> Callable[[type[Policy]], type[Policy]]:
    """Register the decorated policy as a broken variant of its module's category; a fault
    on the wire (``wrap``) decorates an empty subclass of the reference in that module."""

    def add(policy: type[Policy]) -> type[Policy]:
        if name in FAULTS:
            raise ValueError(f"two broken variants are called {name}")
        FAULTS[name] = Fault(
            name,
            category_of(policy),
            summary,
            frozenset(caught_by),
            policy,
            dict(environment or {}),
            wrap,
            headline,
        )
        return policy

    return add


EnvironmentChange = Callable[[Mapping[str, str]], dict[str, str]]


def _unchanged(environment: Mapping[str, str]) -> dict[str, str]:
    return dict(environment)


@attrs.frozen
class Variant:
    name: str
    summary: str
    policy: type[Policy] = Policy
    config: ServerConfig = attrs.field(factory=ServerConfig)
    wrap: Wrapper | None = None
    environment: EnvironmentChange = _unchanged


VARIANTS: dict[str, Variant] = {}


def register(variant: Variant) -> None:
    if variant.name in VARIANTS:
        raise ValueError(f"two legitimate variants are called {variant.name}")
    VARIANTS[variant.name] = variant


def variant(
    name: str,
    summary: str,
    config: ServerConfig | None = None,
    wrap: Wrapper | None = None,
) -> Callable[[type[Policy]], type[Policy]]:
    """Register the decorated policy as a legitimate variant."""

    def add(policy: type[Policy]) -> type[Policy]:
        register(Variant(name, summary, policy, config or ServerConfig(), wrap))
        return policy

    return add
