"""Rules for the parts of an operation around its schemas: path, parameters, bodies, responses,
headers, security. Only the operations of the pinned contract are compared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs

from devtune_contract.drift import rules
from devtune_contract.drift.findings import Findings, blame
from devtune_contract.drift.model import (
    DriftError,
    Location,
    Report,
    Rule,
    RuleError,
    Side,
    as_list,
    as_mapping,
    escape,
    malformed,
)
from devtune_contract.drift.rules import Family, Toggle, members
from devtune_contract.drift.schemas import SchemaComparer
from devtune_contract.spec import PATH_PARAMETER, Resolver, path_parameters

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
DEFAULT_STYLE = {"path": "simple", "header": "simple", "query": "form", "cookie": "form"}
ParameterKey = tuple[str, str]


def template_shape(path: str) -> str:
    """The path with parameter names erased: renaming a parameter keeps the shape."""
    return PATH_PARAMETER.sub("{}", path)


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
        if (
            new_method == method
            and operation_id
            and item[method].get("operationId") == operation_id
        ):
            return new_path, item
    return None


def as_object(node: Any, resolver: Resolver, where: Location) -> Mapping[str, Any]:
    if node is None:
        return {}
    if not isinstance(node, Mapping):
        raise malformed(node, where, "an object")
    return resolver.follow(node)[1]


@attrs.define
class OperationPair:
    """One pinned operation and its upstream counterpart, with everything the rules need."""

    old_doc: Mapping[str, Any]
    new_doc: Mapping[str, Any]
    old_path: str
    new_path: str
    method: str
    old_item: Mapping[str, Any]
    new_item: Mapping[str, Any]
    schemas: SchemaComparer
    where: Location

    @property
    def findings(self) -> Findings:
        return self.schemas.findings

    @property
    def old(self) -> Mapping[str, Any]:
        return self.old_item[self.method]  # type: ignore[no-any-return]

    @property
    def new(self) -> Mapping[str, Any]:
        return self.new_item[self.method]  # type: ignore[no-any-return]

    def old_object(self, node: Any, where: Location) -> Mapping[str, Any]:
        return as_object(node, self.schemas.old, where)

    def new_object(self, node: Any, where: Location) -> Mapping[str, Any]:
        return as_object(node, self.schemas.new, where)


def flag(
    pair: OperationPair,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    toggle: Toggle,
    where: Location,
) -> None:
    """A boolean field that became true (``toggle.set``) or false (``toggle.unset``)."""
    keyword = toggle.keyword
    before, after = bool(old.get(keyword, False)), bool(new.get(keyword, False))
    if before != after:
        message = f"now {keyword}" if after else f"no longer {keyword}"
        pair.findings.add(toggle.set if after else toggle.unset, where.at(keyword), message)


Check = Callable[[OperationPair], None]


@attrs.frozen
class OperationCheck:
    """A check of one part of an operation and the rules it may report (what a failure names)."""

    reports: tuple[Rule, ...]
    check: Check


def reports(*reported: Family) -> Callable[[Check], OperationCheck]:
    """Declare the rules a check reports: the check becomes an ``OperationCheck`` for ``CHECKS``."""
    flat = tuple(rule for family in reported for rule in members(family))
    return lambda check: OperationCheck(flat, check)


# --- path -------------------------------------------------------------------------------------


def path_renames(old_path: str, new_path: str) -> tuple[dict[str, str], list[str]]:
    """Old path parameter names mapped to new ones (in order of appearance), and those gone.

    A name found in both paths is the same parameter wherever it moved; the rest pair up in
    order as renames, and old names left over were removed.
    """
    old_names, new_names = path_parameters(old_path), path_parameters(new_path)
    gone = [name for name in old_names if name not in new_names]
    came = [name for name in new_names if name not in old_names]
    renames = dict(zip(gone, came, strict=False))
    return renames, gone[len(came) :]


@reports(rules.OPERATION_MOVED, rules.PATH_PARAMETER_RENAMED, rules.PATH_PARAMETER_REMOVED)
def compare_path(pair: OperationPair) -> None:
    findings = pair.findings
    if template_shape(pair.new_path) != template_shape(pair.old_path):
        message = f"operation moved to {pair.new_path}"
        findings.add(rules.OPERATION_MOVED, pair.where, message)
    renames, removed = path_renames(pair.old_path, pair.new_path)
    for old, new in renames.items():
        message = f"path parameter {old!r} renamed to {new!r}"
        findings.add(rules.PATH_PARAMETER_RENAMED, pair.where, message)
    for name in removed:
        message = f"path parameter {name!r} removed"
        findings.add(rules.PATH_PARAMETER_REMOVED, pair.where, message)


# --- parameters -------------------------------------------------------------------------------


def parameter_key(parameter: Mapping[str, Any]) -> ParameterKey:
    where, name = str(parameter.get("in")), str(parameter.get("name"))
    return where, name.lower() if where == "header" else name


def collect_parameters(
    item: Mapping[str, Any], method: str, resolver: Resolver, where: Location
) -> dict[ParameterKey, tuple[Location, Mapping[str, Any]]]:
    """Path-item and operation parameters by (in, name); the operation's win, as in OpenAPI."""
    found: dict[ParameterKey, tuple[Location, Mapping[str, Any]]] = {}
    item_where = Location(where.pointer.rsplit("/", 1)[0], where.label)
    for container, at in ((item, item_where), (item[method], where)):
        for index, node in enumerate(as_list(container.get("parameters"), at.at("parameters"))):
            location = at.at("parameters", index)
            parameter = as_object(node, resolver, location)
            key = parameter_key(parameter)
            found[key] = (
                location.named(f"{key[0]} parameter {parameter.get('name')!r}"),
                parameter,
            )
    return found


@reports(
    rules.PARAMETER_REMOVED,
    rules.PARAMETER_ADDED,
    rules.PARAMETER_REQUIRED,
    rules.PARAMETER_DEPRECATED,
    rules.PARAMETER_ALLOW_EMPTY_VALUE,
    rules.PARAMETER_ALLOW_RESERVED,
    rules.PARAMETER_SERIALIZATION_CHANGED,
)
def compare_parameters(pair: OperationPair) -> None:
    old = collect_parameters(pair.old_item, pair.method, pair.schemas.old, pair.where)
    new = collect_parameters(pair.new_item, pair.method, pair.schemas.new, pair.where)
    renames = path_renames(pair.old_path, pair.new_path)[0]
    matched: set[ParameterKey] = set()
    for (place, name), (where, old_parameter) in old.items():
        key = (place, renames.get(name, name)) if place == "path" else (place, name)
        matched.add(key)
        if key in new:
            compare_parameter(pair, old_parameter, new[key][1], where)
        elif place != "path":  # path parameters are covered by the path rules
            pair.findings.add(rules.PARAMETER_REMOVED, where, "removed (clients still send it)")
    for key, (_, new_parameter) in new.items():
        if key in matched or key[0] == "path":
            continue
        required = bool(new_parameter.get("required"))
        rule = rules.PARAMETER_ADDED.of(required)
        kind = "required" if required else "optional"
        at = pair.where.at("parameters").named(f"{key[0]} parameter {new_parameter.get('name')!r}")
        pair.findings.add(rule, at, f"new {kind} parameter")


def serialization(parameter: Mapping[str, Any]) -> tuple[str, bool]:
    style = str(parameter.get("style", DEFAULT_STYLE.get(str(parameter.get("in")), "simple")))
    return style, bool(parameter.get("explode", style == "form"))


PARAMETER_FIELDS = frozenset(
    {
        "name",
        "in",
        "required",
        "deprecated",
        "style",
        "explode",
        "allowEmptyValue",
        "allowReserved",
        "schema",
        "content",
    }
)


def compare_parameter(
    pair: OperationPair, old: Mapping[str, Any], new: Mapping[str, Any], where: Location
) -> None:
    for toggle in (
        rules.PARAMETER_REQUIRED,
        rules.PARAMETER_DEPRECATED,
        rules.PARAMETER_ALLOW_EMPTY_VALUE,
        rules.PARAMETER_ALLOW_RESERVED,
    ):
        flag(pair, old, new, toggle, where)
    if serialization(old) != serialization(new):
        pair.findings.add(
            rules.PARAMETER_SERIALIZATION_CHANGED,
            where.at("style"),
            f"serialization changed from {serialization(old)} to {serialization(new)}",
        )
    if "schema" in old or "schema" in new:
        pair.schemas.compare(old.get("schema"), new.get("schema"), where.at("schema"), "request")
    if "content" in old or "content" in new:
        compare_content(
            pair, old.get("content"), new.get("content"), where.at("content"), "request"
        )
    pair.findings.rest(old, new, PARAMETER_FIELDS, where)


# --- bodies -----------------------------------------------------------------------------------

MEDIA_FIELDS = frozenset({"schema"})


def compare_content(pair: OperationPair, old: Any, new: Any, where: Location, side: Side) -> None:
    """Media types of a body: one the old contract used is gone, one is new, or a schema changed."""
    old, new = as_mapping(old, where), as_mapping(new, where)
    for media in sorted(old.keys() | new.keys()):
        at = where.at(media, label=f" {media}")
        if media not in new:
            verb = "accepts" if side == "request" else "returns"
            message = f"no longer {verb} {media}"
            pair.findings.add(rules.MEDIA_TYPE_REMOVED.on(side), at, message)
        elif media not in old:
            pair.findings.add(rules.MEDIA_TYPE_ADDED.on(side), at, f"{media} added")
        else:
            before, after = as_mapping(old[media], at), as_mapping(new[media], at)
            pair.schemas.compare(
                before.get("schema"), after.get("schema"), at.at("schema", label=" body"), side
            )
            pair.findings.rest(before, after, MEDIA_FIELDS, at)


BODY_FIELDS = frozenset({"required", "content"})


@reports(
    rules.BODY_ADDED,
    rules.BODY_REMOVED,
    rules.BODY_REQUIRED,
    rules.MEDIA_TYPE_REMOVED.request,
    rules.MEDIA_TYPE_ADDED.request,
)
def compare_request_body(pair: OperationPair) -> None:
    where = pair.where.at("requestBody", label="request body")
    old_node, new_node = pair.old.get("requestBody"), pair.new.get("requestBody")
    if old_node is None and new_node is None:
        return
    new = pair.new_object(new_node, where)
    if old_node is None:
        required = bool(new.get("required"))
        rule = rules.BODY_ADDED.of(required)
        message = f"new {'required' if required else 'optional'} request body"
        pair.findings.add(rule, where, message)
        return
    old = pair.old_object(old_node, where)
    if new_node is None:
        pair.findings.add(rules.BODY_REMOVED, where, "removed (clients still send one)")
        return
    flag(pair, old, new, rules.BODY_REQUIRED, where)
    compare_content(pair, old.get("content"), new.get("content"), where.at("content"), "request")
    pair.findings.rest(old, new, BODY_FIELDS, where)


# --- responses --------------------------------------------------------------------------------

RESPONSE_FIELDS = frozenset({"headers", "content"})
HEADER_FIELDS = frozenset({"required", "deprecated", "schema", "content"})


@reports(
    rules.SUCCESS_STATUS_REMOVED,
    rules.OTHER_STATUS_REMOVED,
    rules.STATUS_ADDED,
    rules.HEADER_REMOVED,
    rules.HEADER_REQUIRED,
    rules.HEADER_DEPRECATED,
    rules.HEADER_ADDED,
    rules.MEDIA_TYPE_REMOVED.response,
    rules.MEDIA_TYPE_ADDED.response,
)
def compare_responses(pair: OperationPair) -> None:
    where = pair.where.at("responses")
    old = as_mapping(pair.old.get("responses"), where)
    new = as_mapping(pair.new.get("responses"), where)
    for status in sorted(old.keys() | new.keys(), key=str):
        at = where.at(str(status), label=f"response {status}")
        if status not in new:
            success = str(status).startswith("2")
            rule = rules.SUCCESS_STATUS_REMOVED if success else rules.OTHER_STATUS_REMOVED
            pair.findings.add(rule, at, "documented response removed")
        elif status not in old:
            message = "new response status (old clients see it as unexpected)"
            pair.findings.add(rules.STATUS_ADDED, at, message)
        else:
            before, after = pair.old_object(old[status], at), pair.new_object(new[status], at)
            headers = at.at("headers")
            compare_headers(
                pair,
                as_mapping(before.get("headers"), headers),
                as_mapping(after.get("headers"), headers),
                headers,
            )
            compare_content(
                pair, before.get("content"), after.get("content"), at.at("content"), "response"
            )
            pair.findings.rest(before, after, RESPONSE_FIELDS, at)


def compare_headers(
    pair: OperationPair, old: Mapping[str, Any], new: Mapping[str, Any], where: Location
) -> None:
    new_by_name = {name.lower(): (name, header) for name, header in new.items()}
    old_names = {name.lower() for name in old}
    for name, node in old.items():
        at = where.at(name, label=f" header {name}")
        header = pair.old_object(node, at)
        if name.lower() not in new_by_name:
            required = bool(header.get("required"))
            rule = rules.HEADER_REMOVED.of(required)
            kind = "required" if required else "optional"
            pair.findings.add(rule, at, f"{kind} header removed")
            continue
        counterpart = pair.new_object(new_by_name[name.lower()][1], at)
        flag(pair, header, counterpart, rules.HEADER_REQUIRED, at)
        flag(pair, header, counterpart, rules.HEADER_DEPRECATED, at)
        if "schema" in header or "schema" in counterpart:
            pair.schemas.compare(
                header.get("schema"), counterpart.get("schema"), at.at("schema"), "response"
            )
        if "content" in header or "content" in counterpart:
            compare_content(
                pair,
                header.get("content"),
                counterpart.get("content"),
                at.at("content"),
                "response",
            )
        pair.findings.rest(header, counterpart, HEADER_FIELDS, at)
    for lowered, (name, _) in new_by_name.items():
        if lowered not in old_names:
            at = where.at(name, label=f" header {name}")
            pair.findings.add(rules.HEADER_ADDED, at, "new header")


# --- security ---------------------------------------------------------------------------------

Requirements = list[list[tuple[str, tuple[str, ...]]]]


def effective_security(
    document: Mapping[str, Any], operation: Mapping[str, Any], where: Location
) -> Requirements:
    """The operation's requirements, or the document's when it has none of its own."""
    if "security" not in operation:
        operation, where = document, Location("/security", where.label)
    return sorted(
        sorted(
            (str(name), tuple(sorted(map(str, as_list(scopes, where)))))
            for name, scopes in as_mapping(requirement, where).items()
        )
        for requirement in as_list(operation.get("security"), where)
    )


def security_scheme(document: Mapping[str, Any], name: str) -> Any:
    components = as_mapping(document.get("components"), Location("/components", ""))
    schemes = Location("/components/securitySchemes", "")
    scheme = as_mapping(components.get("securitySchemes"), schemes).get(name)
    if isinstance(scheme, Mapping):
        return {k: v for k, v in scheme.items() if k != "description" and not k.startswith("x-")}
    return scheme


@reports(rules.SECURITY_CHANGED, rules.SECURITY_SCHEME_CHANGED)
def compare_security(pair: OperationPair) -> None:
    where = pair.where.at("security", label="security")
    old = effective_security(pair.old_doc, pair.old, where)
    new = effective_security(pair.new_doc, pair.new, where)
    if old != new:
        message = f"requirement changed from {old} to {new}"
        pair.findings.add(rules.SECURITY_CHANGED, where, message)
    for scheme in sorted({name for requirement in old for name, _ in requirement}):
        before, after = security_scheme(pair.old_doc, scheme), security_scheme(pair.new_doc, scheme)
        if after is not None and before != after:
            at = Location(f"/components/securitySchemes/{escape(scheme)}", "security")
            pair.findings.add(rules.SECURITY_SCHEME_CHANGED, at, f"scheme {scheme!r} changed")


# --- the operation itself ---------------------------------------------------------------------

OPERATION_FIELDS = frozenset(
    {"parameters", "requestBody", "responses", "security", "operationId", "tags", "deprecated"}
)


@reports(
    rules.OPERATION_ID_CHANGED,
    rules.TAGS_CHANGED,
    rules.OPERATION_DEPRECATED,
    rules.DOCUMENTATION_CHANGED,
    rules.UNCLASSIFIED,
)
def compare_operation_fields(pair: OperationPair) -> None:
    old, new = pair.old, pair.new
    if old.get("operationId") != new.get("operationId"):
        pair.findings.add(
            rules.OPERATION_ID_CHANGED,
            pair.where.at("operationId"),
            f"operationId changed from {old.get('operationId')!r} to {new.get('operationId')!r}",
        )
    tags = pair.where.at("tags")
    old_tags = sorted(map(str, as_list(old.get("tags"), tags)))
    if old_tags != sorted(map(str, as_list(new.get("tags"), tags))):
        pair.findings.add(rules.TAGS_CHANGED, tags, "tags changed (grouping only)")
    flag(pair, old, new, rules.OPERATION_DEPRECATED, pair.where)
    pair.findings.rest(old, new, OPERATION_FIELDS, pair.where)
    old_item = {k: v for k, v in pair.old_item.items() if k not in METHODS}
    new_item = {k: v for k, v in pair.new_item.items() if k not in METHODS}
    item_where = Location(pair.where.pointer.rsplit("/", 1)[0], pair.where.label)
    pair.findings.rest(old_item, new_item, {"parameters", "$ref"}, item_where)


CHECKS = (
    compare_path,
    compare_parameters,
    compare_request_body,
    compare_responses,
    compare_security,
    compare_operation_fields,
)


def compare(base: Mapping[str, Any], newer: Mapping[str, Any]) -> Report:
    """Every change to the operations of ``base`` (and what they reference) in ``newer``."""
    old_resolver, new_resolver = Resolver(base), Resolver(newer)
    labels: list[str] = []
    changes = []
    for path, method, old_item in operations(base):
        label = f"{method.upper()} {path}"
        labels.append(label)
        operation_id = old_item[method].get("operationId")
        counterpart = find_counterpart(newer, path, method, operation_id)
        if counterpart is None:
            raise DriftError(f"{label} ({operation_id}) is missing upstream")
        new_path, new_item = counterpart
        findings = Findings(label)
        where = Location(f"/paths/{escape(path)}/{method}", "")
        if new_item is None:
            message = f"method {method.upper()} removed from {new_path}"
            findings.add(rules.METHOD_REMOVED, where, message)
        else:
            comparer = SchemaComparer(old_resolver, new_resolver, findings)
            pair = OperationPair(
                base, newer, path, new_path, method, old_item, new_item, comparer, where
            )
            for check in CHECKS:
                try:
                    check.check(pair)
                except Exception as error:
                    failure = blame(error, check.reports)
                    if isinstance(failure, RuleError):
                        failure = RuleError(failure.rules, failure.error, label)
                    raise failure from None
        changes.extend(findings.changes)
    return Report(tuple(labels), tuple(changes))
