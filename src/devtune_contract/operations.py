"""The contract's operations, read from ``openapi.json``: the one place a path is spelled.

An :class:`Operation` is what the server routes, the suite builds cases for, the rotation cap
guards and the checks key their applicability on. Everything about it comes from the spec:
the method, the path template under the server URL's base path, its path parameters, and
whether it returns a one-time secret (a 2xx JSON body whose ``data`` requires ``secret``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs

PARAMETER = re.compile(r"\{([^{}/]+)\}")


def spec_path() -> Path:
    """``openapi.json``: shipped inside the package, or at the root of a source checkout."""
    shipped = Path(str(resources.files("devtune_contract") / "openapi.json"))
    if shipped.is_file():
        return shipped
    return Path(__file__).resolve().parents[2] / "openapi.json"


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
    returns_secret: bool = False
    # Each path parameter's ``format`` as the spec declares it (``uuid``); absent: none declared.
    parameter_formats: Mapping[str, str] = attrs.field(factory=dict)
    path_parameters: tuple[str, ...] = attrs.field(init=False)
    # The path under the base path split at "/": fixed segments by position, parameter positions.
    _length: int = attrs.field(init=False, repr=False)
    _fixed: tuple[tuple[int, str], ...] = attrs.field(init=False, repr=False)
    _positions: tuple[int, ...] = attrs.field(init=False, repr=False)

    @path_parameters.default
    def _parameters(self) -> tuple[str, ...]:
        return tuple(PARAMETER.findall(self.path))

    @_length.default
    def _count(self) -> int:
        return len((self.base_path + self.path).split("/"))

    @_fixed.default
    def _fixed_segments(self) -> tuple[tuple[int, str], ...]:
        parts = (self.base_path + self.path).split("/")
        return tuple((i, part) for i, part in enumerate(parts) if not PARAMETER.fullmatch(part))

    @_positions.default
    def _parameter_positions(self) -> tuple[int, ...]:
        parts = (self.base_path + self.path).split("/")
        return tuple(i for i, part in enumerate(parts) if PARAMETER.fullmatch(part))

    def url_path(self, parameters: Mapping[str, object], *, base: bool = False) -> str:
        """The path with ``parameters`` filled in, under the base path when ``base``."""
        missing = [name for name in self.path_parameters if name not in parameters]
        if missing:
            raise KeyError(f"{self.operation_id} needs {', '.join(missing)}")
        path = PARAMETER.sub(lambda m: str(parameters[m.group(1)]), self.path)
        return self.base_path + path if base else path

    def match(self, path: str) -> tuple[str, ...] | None:
        """The path parameters' values in declaration order when ``path`` (under the base
        path) is this operation's, else ``None``.

        Each parameter is one non-empty segment, as Starlette matched them; a trailing slash
        does not match.
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


def _resolve(spec: Mapping[str, Any], node: Any) -> Any:
    """``node`` with a local ``$ref`` followed (the spec's own ``#/components/...``)."""
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _returns_secret(spec: Mapping[str, Any], operation: Mapping[str, Any]) -> bool:
    """A 2xx JSON body whose ``data`` object requires a ``secret``: a one-time secret."""
    for status, response in operation.get("responses", {}).items():
        if not str(status).startswith("2"):
            continue
        content = _resolve(spec, response).get("content", {})
        schema = _resolve(spec, content.get("application/json", {}).get("schema", {}))
        data = _resolve(spec, schema.get("properties", {}).get("data", {}))
        if "secret" in data.get("required", ()):
            return True
    return False


def _parameter_formats(
    spec: Mapping[str, Any], item: Mapping[str, Any], operation: Mapping[str, Any]
) -> dict[str, str]:
    """The declared ``format`` of each path parameter, the operation's own over its path's."""
    formats: dict[str, str] = {}
    for declared in (*item.get("parameters", ()), *operation.get("parameters", ())):
        parameter = _resolve(spec, declared)
        schema = _resolve(spec, parameter.get("schema", {}))
        if parameter.get("in") == "path" and isinstance(schema.get("format"), str):
            formats[parameter["name"]] = schema["format"]
    return formats


def operations_of(spec: Mapping[str, Any]) -> dict[str, Operation]:
    """Every operation of ``spec`` by operation id."""
    servers = spec.get("servers") or [{"url": ""}]
    base_path = urlsplit(servers[0]["url"]).path.rstrip("/")
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
                returns_secret=_returns_secret(spec, operation),
                parameter_formats=_parameter_formats(spec, item, operation),
            )
    return found


def load_operations(path: Path | None = None) -> dict[str, Operation]:
    return operations_of(json.loads((path or spec_path()).read_text()))


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


OPERATIONS = load_operations()
ROTATE_SECRET = OPERATIONS["rotateWebhookSecret"]
