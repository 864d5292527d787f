"""Direction-aware rules for one pair of schemas.

Each check looks at a few keywords and reports a rule of ``rules.TABLE``: one that says the set
of accepted values narrowed or widened, or changed both ways, on the side the schema is on (the
level follows from the side). Keywords no check explains are reported by ``Findings.rest``:
documentation as compatible, anything else as UNCLASSIFIED.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from devtune_contract.drift import rules
from devtune_contract.drift.findings import Findings, blame
from devtune_contract.drift.model import Location, Rule, Side, as_list
from devtune_contract.drift.normalize import canonical, normalize
from devtune_contract.drift.rules import Family, Sided, members
from devtune_contract.spec import Resolver

Types = frozenset[str] | None  # None: any type


@attrs.define
class SchemaComparer:
    """Compares schemas of two documents for one operation's findings."""

    old: Resolver
    new: Resolver
    findings: Findings

    def compare(
        self,
        old_node: Any,
        new_node: Any,
        where: Location,
        side: Side,
        visited: frozenset[tuple[str, str]] = frozenset(),
    ) -> None:
        old, new = normalize(old_node, self.old), normalize(new_node, self.new)
        if old.ref is not None and new.ref is not None:
            # A recursive schema meets itself again: this pair is already being compared above.
            pair = (old.ref, new.ref)
            if pair in visited:
                return
            visited = visited | {pair}
        scope = Scope(self, side, where, visited, old.keywords, new.keywords)
        present = old.keywords.keys() | new.keywords.keys()
        for check in CHECKS:
            if not check.keywords.isdisjoint(present):  # absent on both sides: nothing changed
                try:
                    check.check(scope)
                except Exception as error:
                    raise blame(error, check.rules_on(side)) from None
        self.findings.rest(old.keywords, new.keywords, EXPLAINED, where)


@attrs.frozen
class Scope:
    """One schema level being compared: what the rules see."""

    comparer: SchemaComparer
    side: Side
    where: Location
    visited: frozenset[tuple[str, str]]
    old: Mapping[str, Any]
    new: Mapping[str, Any]

    def pair(self, keyword: str, default: Any = None) -> tuple[Any, Any]:
        return self.old.get(keyword, default), self.new.get(keyword, default)

    def child(self, old: Any, new: Any, *parts: str | int, label: str) -> None:
        where = self.where.at(*parts, label=label)
        self.comparer.compare(old, new, where, self.side, self.visited)

    def items(self, value: Any, keyword: str) -> list[Any]:
        return as_list(value, self.where.at(keyword))

    def report(self, rule: Sided | Rule, keyword: str, message: str) -> None:
        """``rule`` (for the side this schema is on, if it has one for each) at ``keyword``."""
        reported = rule.on(self.side) if isinstance(rule, Sided) else rule
        self.comparer.findings.add(reported, self.where.at(keyword), message)


Check = Callable[[Scope], None]


@attrs.frozen
class KeywordCheck:
    """A check, the keywords it explains and the rules it may report."""

    keywords: frozenset[str]
    reports: tuple[Family, ...]
    check: Check

    def rules_on(self, side: Side) -> tuple[Rule, ...]:
        """The rules this check may report on ``side``: what a failure of it is blamed on."""
        return tuple(
            rule
            for family in self.reports
            for rule in members(family)
            if rule.direction in (side, "both")
        )


def explains(*keywords: str, reports: tuple[Family, ...]) -> Callable[[Check], KeywordCheck]:
    def register(check: Check) -> KeywordCheck:
        return KeywordCheck(frozenset(keywords), reports, check)

    return register


def type_set(value: Any) -> Types:
    return None if value is None else frozenset(value)


def accepts_all(wide: Types, narrow: Types) -> bool:
    """Every value of a ``narrow`` type is also of a ``wide`` one (``number`` holds ``integer``)."""
    if wide is None:
        return True
    if narrow is None:
        return False
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def show_types(types: Types) -> str:
    return "any" if types is None else "|".join(sorted(types))


@explains(
    "type",
    reports=(
        rules.NULLABLE_REMOVED,
        rules.TYPE_NARROWED,
        rules.NULLABLE_ADDED,
        rules.TYPE_WIDENED,
        rules.TYPE_CHANGED,
    ),
)
def check_type(scope: Scope) -> None:
    old, new = map(type_set, scope.pair("type"))
    if old == new:
        return
    if accepts_all(old, new):
        if old is not None and new is not None and old - new == {"null"}:
            scope.report(rules.NULLABLE_REMOVED, "type", "no longer nullable")
        else:
            scope.report(
                rules.TYPE_NARROWED,
                "type",
                f"type narrowed from {show_types(old)} to {show_types(new)}",
            )
    elif accepts_all(new, old):
        if old is not None and new is not None and new - old == {"null"}:
            scope.report(rules.NULLABLE_ADDED, "type", "now nullable")
        else:
            message = f"type widened from {show_types(old)} to {show_types(new)}"
            scope.report(rules.TYPE_WIDENED, "type", message)
    else:
        message = f"type changed from {show_types(old)} to {show_types(new)}"
        scope.report(rules.TYPE_CHANGED, "type", message)


@explains("format", reports=(rules.FORMAT_ADDED, rules.FORMAT_REMOVED, rules.FORMAT_CHANGED))
def check_format(scope: Scope) -> None:
    old, new = scope.pair("format")
    if old == new:
        return
    if old is None:
        scope.report(rules.FORMAT_ADDED, "format", f"format {new!r} added")
    elif new is None:
        scope.report(rules.FORMAT_REMOVED, "format", f"format {old!r} removed")
    else:
        scope.report(rules.FORMAT_CHANGED, "format", f"format changed from {old!r} to {new!r}")


def canonical_uuid_samples() -> tuple[str, ...]:
    """Each hex digit at every position, in lower case, plus UUIDs of several versions."""
    repeated = [str(uuid.UUID(digit * 32)) for digit in "0123456789abcdef"]
    named = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"drift/{n}")) for n in range(8)]
    versions = [
        str(uuid.UUID(int=(n * 0x1F3D5B79) << 40, version=v)) for n, v in enumerate((1, 3, 4, 5), 1)
    ]
    return (*repeated, *named, *versions)


UUID_SAMPLES = canonical_uuid_samples()


def accepts_every_uuid(pattern: str) -> bool:
    try:
        compiled = re.compile(pattern)
    except re.error:
        return False
    return all(compiled.search(sample) for sample in UUID_SAMPLES)


@explains(
    "pattern",
    reports=(rules.UUID_PATTERN, rules.PATTERN_ADDED, rules.PATTERN_REMOVED, rules.PATTERN_CHANGED),
)
def check_pattern(scope: Scope) -> None:
    old, new = scope.pair("pattern")
    if old == new:
        return
    if (
        new is not None
        and scope.side == "request"
        and scope.old.get("format") == "uuid"
        and accepts_every_uuid(str(new))
    ):
        scope.report(
            rules.UUID_PATTERN,
            "pattern",
            f"pattern {new!r} set on a uuid; every canonical UUID still matches it",
        )
    elif old is None:
        scope.report(rules.PATTERN_ADDED, "pattern", f"pattern {new!r} added")
    elif new is None:
        scope.report(rules.PATTERN_REMOVED, "pattern", f"pattern {old!r} removed")
    else:
        message = f"pattern changed from {old!r} to {new!r}"
        scope.report(rules.PATTERN_CHANGED, "pattern", message)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def bound(rule: rules.Bound) -> KeywordCheck:
    """``max*``/``min*`` keywords: an upper bound lowered or a lower bound raised narrows."""
    keyword, upper = rule.keyword, rule.upper

    def check(scope: Scope) -> None:
        old, new = scope.pair(keyword)
        if old == new:
            return
        if not all(value is None or is_number(value) for value in (old, new)):
            scope.report(rules.UNCLASSIFIED, keyword, f"{keyword} is not a number")
            return
        if old is None:
            tighter, message = True, f"{keyword} {new} added"
        elif new is None:
            tighter, message = False, f"{keyword} {old} removed"
        else:
            tighter = new < old if upper else new > old
            verb = "lowered" if new < old else "raised"
            message = f"{keyword} {verb} from {old} to {new}"
        scope.report(rule.narrowed if tighter else rule.widened, keyword, message)

    reports = (rule.narrowed, rule.widened, rules.UNCLASSIFIED)
    return KeywordCheck(frozenset({keyword}), reports, check)


@explains(
    "multipleOf",
    reports=(
        rules.MULTIPLE_OF_ADDED,
        rules.MULTIPLE_OF_REMOVED,
        rules.MULTIPLE_OF_WIDENED,
        rules.MULTIPLE_OF_NARROWED,
        rules.MULTIPLE_OF_CHANGED,
    ),
)
def check_multiple_of(scope: Scope) -> None:
    old, new = scope.pair("multipleOf")
    if old == new:
        return
    if old is None:
        scope.report(rules.MULTIPLE_OF_ADDED, "multipleOf", f"multipleOf {new} added")
    elif new is None:
        scope.report(rules.MULTIPLE_OF_REMOVED, "multipleOf", f"multipleOf {old} removed")
    elif is_number(old) and is_number(new) and old % new == 0:
        message = f"multipleOf {old} relaxed to {new}"
        scope.report(rules.MULTIPLE_OF_WIDENED, "multipleOf", message)
    elif is_number(old) and is_number(new) and new % old == 0:
        message = f"multipleOf {old} tightened to {new}"
        scope.report(rules.MULTIPLE_OF_NARROWED, "multipleOf", message)
    else:
        message = f"multipleOf changed from {old} to {new}"
        scope.report(rules.MULTIPLE_OF_CHANGED, "multipleOf", message)


def switch(keyword: str, on: tuple[Sided, str], off: tuple[Sided, str]) -> KeywordCheck:
    """A boolean keyword: ``on`` (a rule and its message) when it became true, else ``off``."""

    def check(scope: Scope) -> None:
        old, new = scope.pair(keyword, False)
        if old is not new:
            rule, message = on if new is True else off
            scope.report(rule, keyword, message)

    return KeywordCheck(frozenset({keyword}), (on[0], off[0]), check)


def show_values(values: Sequence[str]) -> str:
    return ", ".join(values)


@explains(
    "enum",
    reports=(
        rules.ENUM_ADDED,
        rules.ENUM_REMOVED,
        rules.ENUM_NARROWED,
        rules.ENUM_WIDENED,
        rules.ENUM_CHANGED,
    ),
)
def check_enum(scope: Scope) -> None:
    old, new = scope.pair("enum")
    if old == new:
        return
    if old is None:
        values = show_values([canonical(v) for v in scope.items(new, "enum")])
        scope.report(rules.ENUM_ADDED, "enum", f"values restricted to {values}")
        return
    if new is None:
        scope.report(rules.ENUM_REMOVED, "enum", "enum removed: any value allowed")
        return
    old, new = scope.items(old, "enum"), scope.items(new, "enum")
    before, after = {canonical(v) for v in old}, {canonical(v) for v in new}
    added, removed = sorted(after - before), sorted(before - after)
    if not added:
        scope.report(rules.ENUM_NARROWED, "enum", f"{show_values(removed)} no longer allowed")
    elif not removed:
        scope.report(rules.ENUM_WIDENED, "enum", f"{show_values(added)} added to the enum")
    else:
        message = f"enum gained {show_values(added)} and lost {show_values(removed)}"
        scope.report(rules.ENUM_CHANGED, "enum", message)


@explains(
    "properties",
    "required",
    reports=(
        rules.PROPERTY_BECAME_REQUIRED,
        rules.PROPERTY_BECAME_OPTIONAL,
        rules.REQUEST_PROPERTY_REMOVED,
        rules.REQUEST_PROPERTY_ADDED,
        rules.RESPONSE_PROPERTY_REMOVED,
        rules.RESPONSE_PROPERTY_ADDED,
    ),
)
def check_properties(scope: Scope) -> None:
    old_props, new_props = (p if isinstance(p, Mapping) else {} for p in scope.pair("properties"))
    old_required, new_required = (set(scope.items(r, "required")) for r in scope.pair("required"))
    added, removed = new_props.keys() - old_props.keys(), old_props.keys() - new_props.keys()
    for name in sorted(old_props.keys() | new_props.keys()):
        label = f".{name}"
        if name in removed:
            property_removed(scope, name, name in old_required, label)
        elif name in added:
            property_added(scope, name, name in new_required, label)
        else:
            scope.child(old_props[name], new_props[name], "properties", name, label=label)
    for name in sorted(new_required - old_required - added):
        scope.report(rules.PROPERTY_BECAME_REQUIRED, "required", f"{name!r} became required")
    for name in sorted(old_required - new_required - removed):
        message = f"{name!r} is no longer required"
        scope.report(rules.PROPERTY_BECAME_OPTIONAL, "required", message)


def property_removed(scope: Scope, name: str, was_required: bool, label: str) -> None:
    where = scope.where.at("properties", name, label=label)
    findings = scope.comparer.findings
    if scope.side == "request":
        # Old clients still send it: refused where extra properties are, else maybe ignored.
        closed = scope.new.get("additionalProperties") is False
        rule = rules.REQUEST_PROPERTY_REMOVED.of(closed)
        findings.add(rule, where, "removed (clients still send it)")
    else:
        rule = rules.RESPONSE_PROPERTY_REMOVED.of(was_required)
        kind = "required" if was_required else "optional"
        findings.add(rule, where, f"{kind} property removed")


def property_added(scope: Scope, name: str, required: bool, label: str) -> None:
    where = scope.where.at("properties", name, label=label)
    findings = scope.comparer.findings
    if scope.side == "request":
        rule = rules.REQUEST_PROPERTY_ADDED.of(required)
        kind = "required" if required else "optional"
        findings.add(rule, where, f"new {kind} property")
    else:
        closed = scope.old.get("additionalProperties") is False
        rule = rules.RESPONSE_PROPERTY_ADDED.of(closed)
        findings.add(rule, where, "new property")


@explains(
    "additionalProperties",
    reports=(rules.ADDITIONAL_PROPERTIES_ALLOWED, rules.ADDITIONAL_PROPERTIES_FORBIDDEN),
)
def check_additional_properties(scope: Scope) -> None:
    old, new = scope.pair("additionalProperties", True)
    if old is False or new is False:
        if old is False and new is not False:
            scope.report(
                rules.ADDITIONAL_PROPERTIES_ALLOWED,
                "additionalProperties",
                "extra properties allowed",
            )
        elif new is False and old is not False:
            scope.report(
                rules.ADDITIONAL_PROPERTIES_FORBIDDEN,
                "additionalProperties",
                "additionalProperties: false added",
            )
        return
    if old != new or isinstance(old, Mapping):
        scope.child(old, new, "additionalProperties", label="{*}")


@explains("items", reports=())
def check_items(scope: Scope) -> None:
    old, new = scope.pair("items", True)
    if old != new or isinstance(old, Mapping):
        scope.child(old, new, "items", label="[]")


@explains("prefixItems", reports=(rules.UNCLASSIFIED,))
def check_prefix_items(scope: Scope) -> None:
    old, new = (scope.items(p, "prefixItems") for p in scope.pair("prefixItems"))
    if len(old) != len(new):
        message = f"prefixItems length changed from {len(old)} to {len(new)}"
        scope.report(rules.UNCLASSIFIED, "prefixItems", message)
    for index, (before, after) in enumerate(zip(old, new, strict=False)):
        scope.child(before, after, "prefixItems", index, label=f"[{index}]")


def alternatives(rule: rules.Alternatives) -> KeywordCheck:
    """``oneOf``/``anyOf`` (a variant added widens) and ``allOf`` (a conjunct added narrows)."""
    keyword, conjunction = rule.keyword, rule.conjunction

    def check(scope: Scope) -> None:
        old, new = (scope.items(v, keyword) for v in scope.pair(keyword))
        for index, (before, after) in enumerate(zip(old, new, strict=False)):
            scope.child(before, after, keyword, index, label=f"<{keyword}[{index}]>")
        grew = len(new) > len(old)
        if len(new) == len(old):
            return
        message = f"{keyword} went from {len(old)} to {len(new)} schemas"
        scope.report(rule.narrowed if grew == conjunction else rule.widened, keyword, message)

    return KeywordCheck(frozenset({keyword}), (rule.narrowed, rule.widened), check)


@explains("default", reports=(rules.DEFAULT_CHANGED,))
def check_default(scope: Scope) -> None:
    old, new = scope.pair("default")
    if old != new:
        message = f"default changed from {old!r} to {new!r}"
        scope.report(rules.DEFAULT_CHANGED, "default", message)


CHECKS: tuple[KeywordCheck, ...] = (
    check_type,
    check_format,
    check_pattern,
    *(bound(rule) for rule in rules.BOUNDS),
    check_multiple_of,
    switch(
        "uniqueItems",
        (rules.UNIQUE_ITEMS_ADDED, "items must now be unique"),
        (rules.UNIQUE_ITEMS_REMOVED, "items may now repeat"),
    ),
    check_enum,
    check_properties,
    check_additional_properties,
    check_items,
    check_prefix_items,
    *(alternatives(rule) for rule in rules.ALTERNATIVES),
    switch(
        "deprecated",
        (rules.DEPRECATED_SET, "now deprecated"),
        (rules.DEPRECATED_UNSET, "no longer deprecated"),
    ),
    check_default,
)
EXPLAINED = frozenset().union(*(check.keywords for check in CHECKS))
