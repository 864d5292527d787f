"""The operation as the kit's unit: what the spec says of it, the resources it protects, the
settings that name them and its scenarios, one profile per operation, in one table.

The server routes from the table and registers its handler per profile
(:mod:`devtune_contract.server.routes`); the suite's session builds a profile's requests and
guards what it changes. Adding an operation is one profile, one handler: nothing generic changes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from devtune_contract.operations import ROTATE_SECRET, Operation, operation_at, operations_of
from devtune_contract.scenarios import SCENARIOS, Scenario
from devtune_contract.settings import Settings
from devtune_contract.spec import pinned_contract

SETTING_FIELDS = frozenset(field.name for field in attrs.fields(Settings))


class Role(enum.Enum):
    """What a resource is to the operation."""

    OWNER = "owner"  # scopes the key (its project): generated requests keep the key's own
    CHANGED = "changed"  # what the operation changes: a request naming one may change it


def _a_setting(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in SETTING_FIELDS:
        raise ValueError(f"{attribute.name}={value!r} names no setting")


@attrs.frozen
class Resource:
    """An id a path parameter names, and which one belongs to whom: the setting ``own`` names
    the one the write key's owner holds, ``foreign`` the one another owner holds."""

    parameter: str
    own: str = attrs.field(validator=_a_setting)
    foreign: str = attrs.field(validator=_a_setting)
    role: Role


@attrs.frozen
class Profile:
    """One operation: the spec's declaration, its resources and its scenarios."""

    operation: Operation
    resources: tuple[Resource, ...]
    scenarios: tuple[Scenario, ...] = ()

    def __attrs_post_init__(self) -> None:
        named = sorted(r.parameter for r in self.resources)
        if named != sorted(self.operation.path_parameters):
            raise ValueError(
                f"{self.operation.operation_id}: resources name {named}, "
                f"the path {list(self.operation.path_parameters)}"
            )

    def parameters(self, settings: Settings, ids: Mapping[str, str | None]) -> dict[str, str]:
        """The path parameters of a request: each resource's id from ``ids`` (keyed by the
        setting that names it, e.g. ``webhook_id``) or else the key's own from ``settings``."""
        unknown = sorted(set(ids) - {r.own for r in self.resources})
        if unknown:
            raise TypeError(f"{self.operation.operation_id} names no {', '.join(unknown)}")
        return {r.parameter: ids.get(r.own) or getattr(settings, r.own) for r in self.resources}

    def pinned(self, settings: Settings) -> dict[str, str]:
        """What generated requests keep: the key's own id of each owner resource."""
        return {
            r.parameter: getattr(settings, r.own)
            for r in self.resources
            if r.role is Role.OWNER and getattr(settings, r.own)
        }

    def protected_ids(self, settings: Settings) -> tuple[str, ...]:
        """The configured ids of what the operation changes, the key's own and the foreign."""
        return tuple(
            value
            for r in self.resources
            if r.role is Role.CHANGED
            for value in (getattr(settings, r.own), getattr(settings, r.foreign))
            if value
        )


@attrs.frozen
class ProfileTable:
    """Every operation of one spec with its profile."""

    spec: Mapping[str, Any] = attrs.field(repr=False)
    profiles: tuple[Profile, ...]

    def __iter__(self) -> Iterator[Profile]:
        return iter(self.profiles)

    @property
    def base_path(self) -> str:
        """The path the spec's first server URL serves the operations under."""
        return self.profiles[0].operation.base_path

    @property
    def operations(self) -> dict[str, Operation]:
        return {p.operation.operation_id: p.operation for p in self.profiles}

    def at(self, path: str, method: str, *, any_method: bool = False) -> Profile | None:
        """The profile of the operation ``method`` on the template ``path`` names, if any (see
        :func:`~devtune_contract.operations.operation_at` for ``any_method``)."""
        try:
            operation = operation_at(path, method, self.operations, any_method=any_method)
        except KeyError:
            return None
        return next(p for p in self.profiles if p.operation == operation)


def profile_table(spec: Mapping[str, Any], *profiles: Profile) -> ProfileTable:
    """The table of ``spec``; every operation the spec declares needs its profile."""
    missing = sorted(set(operations_of(spec)) - {p.operation.operation_id for p in profiles})
    if missing:
        raise ValueError(f"operations without a profile: {', '.join(missing)}")
    return ProfileTable(spec, profiles)


ROTATE_WEBHOOK_SECRET = Profile(
    ROTATE_SECRET,
    resources=(
        Resource("projectId", own="project_id", foreign="foreign_project_id", role=Role.OWNER),
        Resource("webhookId", own="webhook_id", foreign="foreign_webhook_id", role=Role.CHANGED),
    ),
    scenarios=SCENARIOS,
)
PROFILES = profile_table(pinned_contract(), ROTATE_WEBHOOK_SECRET)
