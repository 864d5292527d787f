"""The values a drift report is made of: levels, sides, locations and changes."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from devtune_contract.spec import SpecError

# Which way data flows decides which way a constraint change breaks: the client must satisfy
# what it sends (a narrowing breaks it) and must understand what it receives (a widening does).
Side = Literal["request", "response"]
Direction = Literal["request", "response", "both"]  # what a rule of the table is about


ABSENT: Any = object()  # a keyword missing from one side
BRIEF_LIMIT = 60


def brief(value: Any) -> str:
    """A value short enough for one report line."""
    if value is ABSENT:
        return "(absent)"
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= BRIEF_LIMIT else text[: BRIEF_LIMIT - 3] + "..."


# Bad input (unreadable document, missing operation, ``$ref`` cycle): one line for the user.
# Drift's bad input is a bad spec, whichever reads it: the one error of the spec reader.
DriftError = SpecError


class RuleError(Exception):
    """A rule raised an exception: a bug in the rule, to report, not a fault of the document."""

    def __init__(self, rules: tuple[str, ...], error: Exception, operation: str = "") -> None:
        super().__init__(rules, error, operation)
        self.rules, self.error, self.operation = rules, error, operation

    def __str__(self) -> str:
        where = f" on {self.operation}" if self.operation else ""
        return (
            f"internal error in rule {'/'.join(self.rules)}{where}: "
            f"{type(self.error).__name__}: {self.error}; please report it"
        )


class Level(enum.Enum):
    """How bad a change is for a client built from the pinned contract, oasdiff-style."""

    BREAKING = "breaking"  # such a client will fail
    WARNING = "warning"  # some clients may fail
    COMPATIBLE = "compatible"  # no client fails
    UNCLASSIFIED = "unclassified"  # no rule explains the difference: never passes silently

    @property
    def order(self) -> int:
        """Sort key: the most urgent first."""
        return list(Level).index(self)


@attrs.frozen
class Location:
    """Where a change is: a JSON pointer into the base document (``$ref``s followed) and a label."""

    pointer: str
    label: str

    def at(self, *parts: str | int, label: str | None = None) -> Location:
        pointer = self.pointer + "".join(f"/{escape(str(part))}" for part in parts)
        return Location(pointer, self.label if label is None else self.label + label)

    def named(self, label: str) -> Location:
        return Location(self.pointer, label)


def malformed(value: Any, where: Location, expected: str) -> DriftError:
    return DriftError(
        f"malformed OpenAPI: {where.pointer} is a {type(value).__name__}, not {expected}"
    )


def as_list(value: Any, where: Location) -> list[Any]:
    """A field that holds a list (absent: empty); anything else is bad input, not a rule's bug."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise malformed(value, where, "a list")
    return value


def as_mapping(value: Any, where: Location) -> Mapping[str, Any]:
    """A field that holds an object (absent: empty); anything else is bad input."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise malformed(value, where, "an object")
    return value


DOCUMENTATION = frozenset(
    {"description", "summary", "title", "example", "examples", "externalDocs", "$comment"}
)


def is_documentation(keyword: str) -> bool:
    """Keywords that change what a reader is told, never what is sent or accepted."""
    return keyword in DOCUMENTATION or keyword.startswith("x-")


def escape(segment: str) -> str:
    """A JSON pointer segment (RFC 6901)."""
    return segment.replace("~", "~0").replace("/", "~1")


@attrs.frozen
class Rule:
    """One kind of change (a row of ``rules.TABLE``), with the level all its changes report at."""

    id: str
    level: Level
    direction: Direction
    description: str


@attrs.frozen
class Change:
    rule: Rule
    operation: str
    pointer: str
    message: str

    @property
    def level(self) -> Level:
        return self.rule.level


@attrs.frozen
class Report:
    """Every change to the compared operations, and which operations were compared."""

    operations: tuple[str, ...]
    changes: tuple[Change, ...]

    def count(self, level: Level) -> int:
        return sum(change.level is level for change in self.changes)

    def ordered(self) -> list[Change]:
        return sorted(self.changes, key=lambda c: (c.level.order, c.operation, c.pointer))


@attrs.frozen
class Gate:
    """What fails the run: changes at or above ``fail_on``, and unexplained ones unless allowed."""

    fail_on: Level = Level.BREAKING
    allow_unclassified: bool = False

    def fails(self, change: Change) -> bool:
        if change.level is Level.UNCLASSIFIED:
            return not self.allow_unclassified
        return change.level.order <= self.fail_on.order

    def exit_code(self, report: Report) -> int:
        return 1 if any(self.fails(change) for change in report.changes) else 0
