"""The contract's operations, read from ``openapi.json``: the one place a path is spelled.

An :class:`Operation` is what the server routes, the suite builds cases for, the rotation cap
guards and the checks key their applicability on. Everything about it comes from the spec:
the method, the path template under the server URL's base path, its path parameters, and
the 2xx statuses under which it returns a one-time secret (a JSON body whose ``data``
requires ``secret``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from devtune_contract.spec import PATH_PARAMETER, Resolver, path_parameters, pinned_contract


@attrs.frozen
class Operation:
    """One method on one path template, as the spec declares it.

    ``path`` is relative to the server URL (what schemathesis keys operations by);
    ``base_path`` is the server URL's path (``/api/v2``), which the reference server serves
    under.
    """

    operation_id: str
    method: str
    path: str
    base_path: str = ""
    # The statuses the spec declares a one-time secret under ("200", "201", "2XX").
    secret_statuses: frozenset[str] = frozenset()
    # Each path parameter's ``format`` as the spec declares it (``uuid``); absent: none declared.
    parameter_formats: Mapping[str, str] = attrs.field(factory=dict)
    path_parameters: tuple[str, ...] = attrs.field(init=False)
    # The path under the base path split at "/": fixed segments by position, parameter positions.
    _length: int = attrs.field(init=False, repr=False)
    _fixed: tuple[tuple[int, str], ...] = attrs.field(init=False, repr=False)
    _positions: tuple[int, ...] = attrs.field(init=False, repr=False)

    @path_parameters.default
    def _parameters(self) -> tuple[str, ...]:
        return tuple(path_parameters(self.path))

    @_length.default
    def _count(self) -> int:
        return len((self.base_path + self.path).split("/"))

    @_fixed.default
    def _fixed_segments(self) -> tuple[tuple[int, str], ...]:
        parts = (self.base_path + self.path).split("/")
        return tuple(
            (i, part) for i, part in enumerate(parts) if not PATH_PARAMETER.fullmatch(part)
        )

    @_positions.default
    def _parameter_positions(self) -> tuple[int, ...]:
        parts = (self.base_path + self.path).split("/")
        return tuple(i for i, part in enumerate(parts) if PATH_PARAMETER.fullmatch(part))

    @property
    def returns_secret(self) -> bool:
        return bool(self.secret_statuses)

    def returns_secret_with(self, status: int) -> bool:
        """Whether the spec declares a one-time secret in a response of ``status``."""
        code = str(status)
        return code in self.secret_statuses or f"{code[0]}XX" in self.secret_statuses

    def url_path(self, parameters: Mapping[str, object], *, base: bool = False) -> str:
        """The path with ``parameters`` filled in, under the base path when ``base``."""
        missing = [name for name in self.path_parameters if name not in parameters]
        if missing:
            raise KeyError(f"{self.operation_id} needs {', '.join(missing)}")
        path = PATH_PARAMETER.sub(lambda m: str(parameters[m.group(1)]), self.path)
        return self.base_path + path if base else path

    def match(self, path: str) -> tuple[str, ...] | None:
        """The path parameters' values in declaration order when ``path`` (under the base
        path) is this operation's, else ``None``.

        Each parameter is one non-empty segment; a trailing slash does not match.
        """
        segments = path.split("/")
        if len(segments) != self._length:
            return None
        for position, expected in self._fixed:
            if segments[position] != expected:
                return None
        values = tuple(segments[position] for position in self._positions)
        return values if all(values) else None

    def parameters_of(self, path_parameters: Mapping[str, Any] | None) -> dict[str, str]:
        """This operation's path parameters out of a case's, as text; absent ones left out."""
        given = path_parameters or {}
        return {
            name: str(given[name]) for name in self.path_parameters if given.get(name) is not None
        }


def _secret_statuses(resolver: Resolver, operation: Mapping[str, Any]) -> frozenset[str]:
    """The 2xx statuses whose JSON body's ``data`` object requires a ``secret``."""
    found = set()
    for status, response in operation.get("responses", {}).items():
        if not str(status).startswith("2"):
            continue
        content = resolver.target(response).get("content", {})
        schema = resolver.target(content.get("application/json", {}).get("schema", {}))
        data = resolver.target(schema.get("properties", {}).get("data", {}))
        if "secret" in data.get("required", ()):
            found.add(str(status).upper())
    return frozenset(found)


def _parameter_formats(
    resolver: Resolver, item: Mapping[str, Any], operation: Mapping[str, Any]
) -> dict[str, str]:
    """The declared ``format`` of each path parameter, the operation's own over its path's."""
    formats: dict[str, str] = {}
    for declared in (*item.get("parameters", ()), *operation.get("parameters", ())):
        parameter = resolver.target(declared)
        schema = resolver.target(parameter.get("schema", {}))
        if parameter.get("in") == "path" and isinstance(schema.get("format"), str):
            formats[parameter["name"]] = schema["format"]
    return formats


def operations_of(spec: Mapping[str, Any]) -> dict[str, Operation]:
    """Every operation of ``spec`` by operation id."""
    servers = spec.get("servers") or [{"url": ""}]
    base_path = urlsplit(servers[0]["url"]).path.rstrip("/")
    resolver = Resolver(spec)
    found: dict[str, Operation] = {}
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, Mapping) or "responses" not in operation:
                continue
            found[operation["operationId"]] = Operation(
                operation_id=operation["operationId"],
                method=method.upper(),
                path=path,
                base_path=base_path,
                secret_statuses=_secret_statuses(resolver, operation),
                parameter_formats=_parameter_formats(resolver, item, operation),
            )
    return found


def operation_at(
    path: str, method: str, operations: Mapping[str, Operation], *, any_method: bool = False
) -> Operation:
    """The operation declared for ``method`` on the path template ``path``.

    ``any_method``: for a method the path does not declare (schemathesis' unsupported-method
    probes send TRACE or DELETE to it), the path's first operation: the path parameters are
    the same, and no undeclared method returns what the operation does.
    """
    on_path = [operation for operation in operations.values() if operation.path == path]
    for operation in on_path:
        if operation.method == method.upper():
            return operation
    if any_method and on_path:
        return on_path[0]
    raise KeyError(f"the contract declares no {method.upper()} {path}")


OPERATIONS = operations_of(pinned_contract())
ROTATE_SECRET = OPERATIONS["rotateWebhookSecret"]
