"""Compare openapi.json with a newer published document: what changed, does it break clients?

    python scripts/spec_drift.py https://docs.example.com/openapi.json
    python scripts/spec_drift.py newer.yaml --format json

Only the operations present in ``openapi.json`` are compared, with every ``$ref`` they use
resolved, so DevTune's full document (many more operations) can be passed as it is. Each change
is classified oasdiff-style as ``breaking`` (a client built from the old contract can fail) or
``compatible``. Exit status: 0 no breaking change, 1 breaking change found, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import attrs
import yaml

ROOT = Path(__file__).resolve().parent.parent
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
FETCH_TIMEOUT = 15
Severity = Literal["breaking", "compatible"]
# Which side of the exchange a schema describes: it decides which way an enum change breaks.
Side = Literal["request", "response"]


class DriftError(Exception):
    """Bad input: the message is the one line the user sees."""


@attrs.frozen
class Change:
    severity: Severity
    operation: str
    message: str

    def line(self) -> str:
        return f"{self.severity.upper():10} {self.operation}: {self.message}"


# --- loading --------------------------------------------------------------------------------


def read_source(source: str) -> str:
    if re.match(r"^https?://", source):
        try:
            with urllib.request.urlopen(source, timeout=FETCH_TIMEOUT) as reply:  # noqa: S310
                return str(reply.read().decode("utf-8", errors="replace"))
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise DriftError(f"cannot fetch {source}: {reason}") from None
    try:
        return Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DriftError(f"cannot read {source}: {error}") from None


def load_document(source: str) -> dict[str, Any]:
    """A JSON or YAML OpenAPI 3 document from a URL or a file."""
    text = read_source(source)
    try:
        document = json.loads(text)
    except ValueError:
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError:
            raise DriftError(f"{source} is neither JSON nor YAML") from None
    if not isinstance(document, dict):
        raise DriftError(f"{source} is neither a JSON nor a YAML object")
    version = str(document.get("openapi", ""))
    if not version.startswith("3.") or not isinstance(document.get("paths"), dict):
        raise DriftError(f"{source} is not an OpenAPI 3 document (no 'openapi: 3.x' and 'paths')")
    return document


class Resolver:
    """Resolves local ``$ref``s of one document, refusing cycles."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document

    def lookup(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise DriftError(f"only local $refs are supported, found {ref!r}")
        node: Any = self.document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or part not in node:
                raise DriftError(f"unresolvable $ref {ref!r}")
            node = node[part]
        return node

    def resolve(self, node: Any, seen: tuple[str, ...] = ()) -> Any:
        if isinstance(node, Mapping):
            if "$ref" in node:
                ref = str(node["$ref"])
                if ref in seen:
                    raise DriftError(f"$ref cycle: {' -> '.join((*seen, ref))}")
                return self.resolve(self.lookup(ref), (*seen, ref))
            return {key: self.resolve(value, seen) for key, value in node.items()}
        if isinstance(node, list):
            return [self.resolve(item, seen) for item in node]
        return node


# --- locating operations --------------------------------------------------------------------


def template_shape(path: str) -> str:
    """The path with parameter names erased: renaming a parameter keeps the shape."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def operations(document: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    for path, item in document["paths"].items():
        if isinstance(item, Mapping):
            for method in METHODS:
                if isinstance(item.get(method), Mapping):
                    yield path, method, item


def find_counterpart(
    newer: Mapping[str, Any], path: str, method: str, operation_id: str | None
) -> tuple[str, Mapping[str, Any] | None] | None:
    """The newer path and its path item for an operation, by path shape, then operationId.

    Returns ``(path, None)`` when the path survives but the method does not, and ``None`` when
    the operation cannot be found at all.
    """
    shape = template_shape(path)
    for new_path, item in newer["paths"].items():
        if template_shape(new_path) == shape and isinstance(item, Mapping):
            return new_path, item if isinstance(item.get(method), Mapping) else None
    for new_path, new_method, item in operations(newer):
        if operation_id and item[new_method].get("operationId") == operation_id:
            return new_path, item
    return None


# --- comparison -----------------------------------------------------------------------------


@attrs.define
class Comparison:
    operation: str
    changes: list[Change] = attrs.field(factory=list)

    def add(self, severity: Severity, message: str) -> None:
        self.changes.append(Change(severity, self.operation, message))

    def schemas(self, old: Any, new: Any, where: str, side: Side) -> None:
        old = old if isinstance(old, Mapping) else {}
        new = new if isinstance(new, Mapping) else {}
        for keyword in ("type", "format"):
            if old.get(keyword) != new.get(keyword) and (keyword in old or keyword in new):
                self.add(
                    "breaking",
                    f"{where} {keyword} changed from {old.get(keyword)!r} to {new.get(keyword)!r}",
                )
        self._enum(old.get("enum"), new.get("enum"), where, side)
        old_props, new_props = old.get("properties") or {}, new.get("properties") or {}
        old_required, new_required = set(old.get("required") or []), set(new.get("required") or [])
        for name in sorted(old_props.keys() | new_props.keys()):
            inner = f"{where}.{name}"
            if name not in new_props:
                self.add("breaking" if side == "response" else "compatible", f"{inner} removed")
            elif name not in old_props:
                becomes_required = side == "request" and name in new_required
                self.add("breaking" if becomes_required else "compatible", f"{inner} added")
            else:
                self.schemas(old_props[name], new_props[name], inner, side)
        for name in sorted((old_required - new_required) & new_props.keys()):
            severity: Severity = "breaking" if side == "response" else "compatible"
            self.add(severity, f"{where}.{name} is no longer required")
        for name in sorted((new_required - old_required) & old_props.keys()):
            severity = "breaking" if side == "request" else "compatible"
            self.add(severity, f"{where}.{name} became required")
        if "items" in old or "items" in new:
            self.schemas(old.get("items"), new.get("items"), f"{where}[]", side)

    def _enum(self, old: Any, new: Any, where: str, side: Side) -> None:
        if old == new:
            return
        old_values, new_values = set(map(repr, old or [])), set(map(repr, new or []))
        if old is not None and (new is None or new_values > old_values):
            widened = sorted(new_values - old_values) or ["any value"]
            self.add(
                "breaking" if side == "response" else "compatible",
                f"{where} enum widened by {', '.join(widened)}",
            )
        elif old is None or old_values - new_values:
            removed = sorted(old_values - new_values) or ["unrestricted values"]
            self.add(
                "breaking" if side == "request" else "compatible",
                f"{where} enum narrowed: {', '.join(removed)} no longer allowed",
            )

    def parameters(
        self, old_op: Mapping[str, Any], new_op: Mapping[str, Any], old_path: str, new_path: str
    ) -> None:
        old_path_params = re.findall(r"\{([^}]*)\}", old_path)
        new_path_params = re.findall(r"\{([^}]*)\}", new_path)
        for index, name in enumerate(old_path_params):
            if index >= len(new_path_params):
                self.add("breaking", f"path parameter {name!r} removed")
            elif new_path_params[index] != name:
                self.add(
                    "breaking", f"path parameter {name!r} renamed to {new_path_params[index]!r}"
                )
        old_params = {(p.get("in"), p.get("name")): p for p in old_op.get("parameters", [])}
        new_params = {(p.get("in"), p.get("name")): p for p in new_op.get("parameters", [])}
        renames = dict(zip(old_path_params, new_path_params, strict=False))
        for (where, name), old_param in old_params.items():
            new_name = renames.get(name, name) if where == "path" else name
            new_param = new_params.get((where, new_name))
            if new_param is None:
                if where != "path":
                    self.add("compatible", f"{where} parameter {name!r} removed")
                continue
            self.schemas(
                old_param.get("schema"),
                new_param.get("schema"),
                f"{where} parameter {name!r}",
                "request",
            )
            if new_param.get("required") and not old_param.get("required"):
                self.add("breaking", f"{where} parameter {name!r} became required")
        known = {(w, renames.get(n, n) if w == "path" else n) for w, n in old_params}
        for (where, name), new_param in new_params.items():
            if (where, name) not in known and where != "path":
                severity: Severity = "breaking" if new_param.get("required") else "compatible"
                kind = "required" if new_param.get("required") else "optional"
                self.add(severity, f"new {kind} {where} parameter {name!r}")

    def request_body(self, old_op: Mapping[str, Any], new_op: Mapping[str, Any]) -> None:
        old_body, new_body = old_op.get("requestBody") or {}, new_op.get("requestBody") or {}
        if new_body.get("required") and not old_body.get("required"):
            self.add("breaking", "a request body became required")
        self.contents(old_body.get("content"), new_body.get("content"), "request body", "request")

    def responses(self, old_op: Mapping[str, Any], new_op: Mapping[str, Any]) -> None:
        old_responses, new_responses = old_op.get("responses") or {}, new_op.get("responses") or {}
        for status in sorted(old_responses.keys() - new_responses.keys()):
            self.add("breaking", f"documented response {status} removed")
        for status in sorted(new_responses.keys() - old_responses.keys()):
            self.add(
                "compatible", f"response {status} added (clients built before see it as unexpected)"
            )
        for status in sorted(old_responses.keys() & new_responses.keys()):
            old, new = old_responses[status], new_responses[status]
            self.contents(old.get("content"), new.get("content"), f"response {status}", "response")
            self.headers(status, old.get("headers") or {}, new.get("headers") or {})

    def contents(self, old: Any, new: Any, where: str, side: Side) -> None:
        """Media types of a body: one the old contract used is gone, or its schema changed."""
        old, new = old or {}, new or {}
        for media, content in old.items():
            if media not in new:
                verb = "accepts" if side == "request" else "returns"
                self.add("breaking", f"{where} no longer {verb} {media}")
            else:
                schemas = content.get("schema"), new[media].get("schema")
                self.schemas(*schemas, f"{where} body", side)

    def headers(self, status: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        new_by_name = {name.lower(): header for name, header in new.items()}
        old_names = {name.lower() for name in old}
        for name, header in old.items():
            new_header = new_by_name.get(name.lower())
            if new_header is None:
                self.add("breaking", f"response {status} header {name} removed")
            else:
                self.schemas(
                    header.get("schema"),
                    new_header.get("schema"),
                    f"response {status} header {name}",
                    "response",
                )
        for name in new:
            if name.lower() not in old_names:
                self.add("compatible", f"response {status} header {name} added")

    def security(
        self,
        old_doc: Mapping[str, Any],
        old_op: Mapping[str, Any],
        new_doc: Mapping[str, Any],
        new_op: Mapping[str, Any],
    ) -> None:
        old_req = effective_security(old_doc, old_op)
        new_req = effective_security(new_doc, new_op)
        if old_req != new_req:
            self.add("breaking", f"security requirement changed from {old_req} to {new_req}")
        for scheme in sorted({name for requirement in old_req for name, _ in requirement}):
            old_scheme = security_scheme(old_doc, scheme)
            new_scheme = security_scheme(new_doc, scheme)
            if new_scheme is not None and old_scheme != new_scheme:
                self.add("breaking", f"security scheme {scheme!r} changed")


def effective_security(
    document: Mapping[str, Any], operation: Mapping[str, Any]
) -> list[list[tuple[str, tuple[str, ...]]]]:
    requirements = operation.get("security", document.get("security", []))
    return sorted(
        sorted((name, tuple(sorted(scopes))) for name, scopes in requirement.items())
        for requirement in requirements
    )


def security_scheme(document: Mapping[str, Any], name: str) -> Any:
    scheme = (document.get("components", {}).get("securitySchemes") or {}).get(name)
    if isinstance(scheme, Mapping):
        return {k: v for k, v in scheme.items() if k != "description"}
    return scheme


def compare(base: Mapping[str, Any], newer: Mapping[str, Any]) -> list[Change]:
    """Every change to the operations of ``base`` (and what they reference) in ``newer``."""
    old_resolver, new_resolver = Resolver(base), Resolver(newer)
    changes: list[Change] = []
    for path, method, item in operations(base):
        operation = old_resolver.resolve(item[method])
        label = f"{method.upper()} {path}"
        counterpart = find_counterpart(newer, path, method, operation.get("operationId"))
        if counterpart is None:
            raise DriftError(f"{label} ({operation.get('operationId')}) is missing upstream")
        new_path, new_item = counterpart
        comparison = Comparison(label)
        if new_item is None:
            comparison.add("breaking", f"method {method.upper()} removed from {new_path}")
        else:
            new_operation = new_resolver.resolve(new_item[method])
            old_params = old_resolver.resolve(item.get("parameters", []))
            new_params = new_resolver.resolve(new_item.get("parameters", []))
            operation = {**operation, "parameters": old_params + operation.get("parameters", [])}
            new_operation = {
                **new_operation,
                "parameters": new_params + new_operation.get("parameters", []),
            }
            if template_shape(new_path) != template_shape(path):
                comparison.add("breaking", f"operation moved to {new_path}")
            comparison.parameters(operation, new_operation, path, new_path)
            comparison.request_body(operation, new_operation)
            comparison.responses(operation, new_operation)
            comparison.security(base, operation, newer, new_operation)
        changes.extend(comparison.changes)
    return changes


# --- output ---------------------------------------------------------------------------------


def render_text(changes: list[Change]) -> str:
    ordered = sorted(changes, key=lambda c: (c.severity != "breaking", c.operation, c.message))
    lines = [change.line() for change in ordered]
    breaking = sum(c.severity == "breaking" for c in changes)
    lines.append(
        f"{breaking} breaking, {len(changes) - breaking} compatible change(s)"
        if changes
        else "no changes to the operations in openapi.json"
    )
    return "\n".join(lines)


def render_json(changes: list[Change]) -> str:
    breaking = sum(c.severity == "breaking" for c in changes)
    return json.dumps(
        {
            "breaking": breaking,
            "compatible": len(changes) - breaking,
            "changes": [attrs.asdict(change) for change in changes],
        },
        indent=2,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("newer", help="URL or file of the newer document (JSON or YAML)")
    parser.add_argument("--base", default=str(ROOT / "openapi.json"), help="default: openapi.json")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args(argv)
    try:
        changes = compare(load_document(args.base), load_document(args.newer))
    except DriftError as error:
        print(f"spec-drift: {error}", file=sys.stderr)
        return 2
    print(render_json(changes) if args.format == "json" else render_text(changes))
    return 1 if any(change.severity == "breaking" for change in changes) else 0


if __name__ == "__main__":
    sys.exit(main())
