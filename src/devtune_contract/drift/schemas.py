"""Direction-aware rules for one pair of schemas.

Each rule looks at a few keywords and says whether the set of accepted values narrowed or
widened (``Findings.narrowed`` / ``widened`` turn that into a level from the side the schema is
on), or changed both ways (always breaking). Keywords no rule explains are reported by
``Findings.rest``: documentation as compatible, anything else as UNCLASSIFIED.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from devtune_contract.drift.model import Findings, Level, Location, Side
from devtune_contract.drift.normalize import canonical, normalize
from devtune_contract.drift.resolve import Resolver

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
        for rule in RULES:
            if not rule.keywords.isdisjoint(present):  # absent on both sides: nothing changed
                rule.check(scope)
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

    def narrowed(self, rule: str, keyword: str, message: str) -> None:
        self.comparer.findings.narrowed(self.side, rule, self.where.at(keyword), message)

    def widened(self, rule: str, keyword: str, message: str) -> None:
        self.comparer.findings.widened(self.side, rule, self.where.at(keyword), message)

    def changed(self, rule: str, keyword: str, message: str) -> None:
        """Some values newly accepted, others newly refused: breaks either side."""
        self.report(Level.BREAKING, rule, keyword, message)

    def report(self, level: Level, rule: str, keyword: str, message: str) -> None:
        where = self.where.at(keyword)
        self.comparer.findings.add(level, f"{self.side}-{rule}", where, message)


@attrs.frozen
class Rule:
    keywords: frozenset[str]
    check: Callable[[Scope], None]


def rule(*keywords: str) -> Callable[[Callable[[Scope], None]], Rule]:
    def register(check: Callable[[Scope], None]) -> Rule:
        return Rule(frozenset(keywords), check)

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


@rule("type")
def check_type(scope: Scope) -> None:
    old, new = map(type_set, scope.pair("type"))
    if old == new:
        return
    if accepts_all(old, new):
        if old is not None and new is not None and old - new == {"null"}:
            scope.narrowed("nullable-removed", "type", "no longer nullable")
        else:
            scope.narrowed(
                "type-narrowed",
                "type",
                f"type narrowed from {show_types(old)} to {show_types(new)}",
            )
    elif accepts_all(new, old):
        if old is not None and new is not None and new - old == {"null"}:
            scope.widened("nullable-added", "type", "now nullable")
        else:
            scope.widened(
                "type-widened", "type", f"type widened from {show_types(old)} to {show_types(new)}"
            )
    else:
        scope.changed(
            "type-changed", "type", f"type changed from {show_types(old)} to {show_types(new)}"
        )


@rule("format")
def check_format(scope: Scope) -> None:
    old, new = scope.pair("format")
    if old == new:
        return
    if old is None:
        scope.narrowed("format-added", "format", f"format {new!r} added")
    elif new is None:
        scope.widened("format-removed", "format", f"format {old!r} removed")
    else:
        scope.changed("format-changed", "format", f"format changed from {old!r} to {new!r}")


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


@rule("pattern")
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
        # Clients send canonical UUIDs, which still match; a client sending another spelling
        # (upper case, braces) the server accepted as a uuid may now be refused.
        scope.report(
            Level.WARNING,
            "uuid-pattern",
            "pattern",
            f"pattern {new!r} set on a uuid; every canonical UUID still matches it",
        )
    elif old is None:
        scope.narrowed("pattern-added", "pattern", f"pattern {new!r} added")
    elif new is None:
        scope.widened("pattern-removed", "pattern", f"pattern {old!r} removed")
    else:
        scope.changed("pattern-changed", "pattern", f"pattern changed from {old!r} to {new!r}")


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def bound(keyword: str, *, upper: bool) -> Rule:
    """``max*``/``min*`` keywords: an upper bound lowered or a lower bound raised narrows."""

    def check(scope: Scope) -> None:
        old, new = scope.pair(keyword)
        if old == new:
            return
        if not all(value is None or is_number(value) for value in (old, new)):
            scope.report(Level.UNCLASSIFIED, "unclassified", keyword, f"{keyword} is not a number")
            return
        if old is None:
            tighter, message = True, f"{keyword} {new} added"
        elif new is None:
            tighter, message = False, f"{keyword} {old} removed"
        else:
            tighter = new < old if upper else new > old
            verb = "lowered" if new < old else "raised"
            message = f"{keyword} {verb} from {old} to {new}"
        if tighter:
            scope.narrowed(f"{keyword}-narrowed", keyword, message)
        else:
            scope.widened(f"{keyword}-widened", keyword, message)

    return Rule(frozenset({keyword}), check)


@rule("multipleOf")
def check_multiple_of(scope: Scope) -> None:
    old, new = scope.pair("multipleOf")
    if old == new:
        return
    if old is None:
        scope.narrowed("multipleOf-added", "multipleOf", f"multipleOf {new} added")
    elif new is None:
        scope.widened("multipleOf-removed", "multipleOf", f"multipleOf {old} removed")
    elif is_number(old) and is_number(new) and old % new == 0:
        scope.widened("multipleOf-widened", "multipleOf", f"multipleOf {old} relaxed to {new}")
    elif is_number(old) and is_number(new) and new % old == 0:
        scope.narrowed("multipleOf-narrowed", "multipleOf", f"multipleOf {old} tightened to {new}")
    else:
        scope.changed("multipleOf-changed", "multipleOf", f"multipleOf changed from {old} to {new}")


@rule("uniqueItems")
def check_unique_items(scope: Scope) -> None:
    old, new = scope.pair("uniqueItems", False)
    if old is not new:
        if new is True:
            scope.narrowed("uniqueItems-added", "uniqueItems", "items must now be unique")
        else:
            scope.widened("uniqueItems-removed", "uniqueItems", "items may now repeat")


def show_values(values: Sequence[str]) -> str:
    return ", ".join(values)


@rule("enum")
def check_enum(scope: Scope) -> None:
    old, new = scope.pair("enum")
    if old == new:
        return
    if old is None:
        values = show_values([canonical(v) for v in new])
        scope.narrowed("enum-added", "enum", f"values restricted to {values}")
        return
    if new is None:
        scope.widened("enum-removed", "enum", "enum removed: any value allowed")
        return
    before, after = {canonical(v) for v in old}, {canonical(v) for v in new}
    added, removed = sorted(after - before), sorted(before - after)
    if not added:
        scope.narrowed("enum-narrowed", "enum", f"{show_values(removed)} no longer allowed")
    elif not removed:
        scope.widened("enum-widened", "enum", f"{show_values(added)} added to the enum")
    else:
        scope.changed(
            "enum-changed",
            "enum",
            f"enum gained {show_values(added)} and lost {show_values(removed)}",
        )


@rule("properties", "required")
def check_properties(scope: Scope) -> None:
    old_props, new_props = (p if isinstance(p, Mapping) else {} for p in scope.pair("properties"))
    old_required, new_required = (set(r or ()) for r in scope.pair("required"))
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
        scope.narrowed("property-became-required", "required", f"{name!r} became required")
    for name in sorted(old_required - new_required - removed):
        scope.widened("property-became-optional", "required", f"{name!r} is no longer required")


def property_removed(scope: Scope, name: str, was_required: bool, label: str) -> None:
    where = scope.where.at("properties", name, label=label)
    findings = scope.comparer.findings
    if scope.side == "request":
        # Old clients still send it: refused where extra properties are, else maybe ignored.
        closed = scope.new.get("additionalProperties") is False
        level = Level.BREAKING if closed else Level.WARNING
        findings.add(level, "request-property-removed", where, "removed (clients still send it)")
    else:
        level = Level.BREAKING if was_required else Level.WARNING
        kind = "required" if was_required else "optional"
        findings.add(level, f"response-{kind}-property-removed", where, f"{kind} property removed")


def property_added(scope: Scope, name: str, required: bool, label: str) -> None:
    where = scope.where.at("properties", name, label=label)
    findings = scope.comparer.findings
    if scope.side == "request":
        level = Level.BREAKING if required else Level.COMPATIBLE
        kind = "required" if required else "optional"
        findings.add(level, f"request-{kind}-property-added", where, f"new {kind} property")
    else:
        # A property old clients never saw: harmless unless the old schema forbade extras.
        closed = scope.old.get("additionalProperties") is False
        level = Level.BREAKING if closed else Level.COMPATIBLE
        findings.add(level, "response-property-added", where, "new property")


@rule("additionalProperties")
def check_additional_properties(scope: Scope) -> None:
    old, new = scope.pair("additionalProperties", True)
    if old is False or new is False:
        if old is False and new is not False:
            scope.widened(
                "additional-properties-allowed", "additionalProperties", "extra properties allowed"
            )
        elif new is False and old is not False:
            scope.narrowed(
                "additional-properties-forbidden",
                "additionalProperties",
                "additionalProperties: false added",
            )
        return
    if old != new or isinstance(old, Mapping):
        scope.child(old, new, "additionalProperties", label="{*}")


@rule("items")
def check_items(scope: Scope) -> None:
    old, new = scope.pair("items", True)
    if old != new or isinstance(old, Mapping):
        scope.child(old, new, "items", label="[]")


@rule("prefixItems")
def check_prefix_items(scope: Scope) -> None:
    old, new = (list(p or ()) for p in scope.pair("prefixItems"))
    if len(old) != len(new):
        scope.report(
            Level.UNCLASSIFIED,
            "unclassified",
            "prefixItems",
            f"prefixItems length changed from {len(old)} to {len(new)}",
        )
    for index, (before, after) in enumerate(zip(old, new, strict=False)):
        scope.child(before, after, "prefixItems", index, label=f"[{index}]")


def alternatives(keyword: str, *, conjunction: bool) -> Rule:
    """``oneOf``/``anyOf`` (a variant added widens) and ``allOf`` (a conjunct added narrows)."""

    def check(scope: Scope) -> None:
        old, new = (list(v or ()) for v in scope.pair(keyword))
        for index, (before, after) in enumerate(zip(old, new, strict=False)):
            scope.child(before, after, keyword, index, label=f"<{keyword}[{index}]>")
        grew = len(new) > len(old)
        if len(new) == len(old):
            return
        message = f"{keyword} went from {len(old)} to {len(new)} schemas"
        if grew == conjunction:
            scope.narrowed(f"{keyword}-narrowed", keyword, message)
        else:
            scope.widened(f"{keyword}-widened", keyword, message)

    return Rule(frozenset({keyword}), check)


def flag(keyword: str, set_level: Level, message: str) -> Rule:
    """A boolean keyword that matters in one direction only (set: ``set_level``, unset: fine)."""

    def check(scope: Scope) -> None:
        old, new = scope.pair(keyword, False)
        if old is not new:
            level = set_level if new is True else Level.COMPATIBLE
            verb = "now" if new is True else "no longer"
            scope.report(
                level,
                f"{keyword}-{'set' if new is True else 'unset'}",
                keyword,
                f"{verb} {message}",
            )

    return Rule(frozenset({keyword}), check)


@rule("default")
def check_default(scope: Scope) -> None:
    old, new = scope.pair("default")
    if old != new:
        # What the server assumes when the value is left out: behaviour changes, types do not.
        scope.report(
            Level.WARNING, "default-changed", "default", f"default changed from {old!r} to {new!r}"
        )


RULES: tuple[Rule, ...] = (
    check_type,
    check_format,
    check_pattern,
    *(bound(k, upper=True) for k in ("maxLength", "maxItems", "maxProperties", "maximum")),
    bound("exclusiveMaximum", upper=True),
    *(bound(k, upper=False) for k in ("minLength", "minItems", "minProperties", "minimum")),
    bound("exclusiveMinimum", upper=False),
    check_multiple_of,
    check_unique_items,
    check_enum,
    check_properties,
    check_additional_properties,
    check_items,
    check_prefix_items,
    alternatives("oneOf", conjunction=False),
    alternatives("anyOf", conjunction=False),
    alternatives("allOf", conjunction=True),
    flag("deprecated", Level.WARNING, "deprecated"),
    check_default,
)
EXPLAINED = frozenset().union(*(r.keywords for r in RULES))
