"""The values a drift report is made of: levels, sides, locations and changes."""

from __future__ import annotations

import enum
import json
from collections.abc import Collection, Mapping
from typing import Any, Literal

import attrs

# Which way data flows decides which way a constraint change breaks: the client must satisfy
# what it sends (a narrowing breaks it) and must understand what it receives (a widening does).
Side = Literal["request", "response"]


ABSENT: Any = object()  # a keyword missing from one side
BRIEF_LIMIT = 60


def brief(value: Any) -> str:
    """A value short enough for one report line."""
    if value is ABSENT:
        return "(absent)"
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= BRIEF_LIMIT else text[: BRIEF_LIMIT - 3] + "..."


class DriftError(Exception):
    """Bad input (unreadable document, missing operation, ``$ref`` cycle): one line for the user."""


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
class Change:
    level: Level
    rule: str
    operation: str
    pointer: str
    message: str


@attrs.define
class Findings:
    """The changes found in one operation; rules report through it, never build a Change."""

    operation: str
    changes: list[Change] = attrs.field(factory=list)

    def add(self, level: Level, rule: str, where: Location, message: str) -> None:
        text = f"{where.label}: {message}" if where.label else message
        self.changes.append(Change(level, rule, self.operation, where.pointer, text))

    def narrowed(self, side: Side, rule: str, where: Location, message: str) -> None:
        """The value space shrank: breaks what a client sends, harmless in what it receives."""
        level = Level.BREAKING if side == "request" else Level.COMPATIBLE
        self.add(level, f"{side}-{rule}", where, message)

    def widened(self, side: Side, rule: str, where: Location, message: str) -> None:
        """The value space grew: breaks what a client receives, harmless in what it sends."""
        level = Level.BREAKING if side == "response" else Level.COMPATIBLE
        self.add(level, f"{side}-{rule}", where, message)

    def rest(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        explained: Collection[str],
        where: Location,
    ) -> None:
        """Report every other differing keyword: documentation as COMPATIBLE, the rest UNCLASSIFIED.

        This is what keeps the report honest: a difference no rule looked at is never dropped.
        """
        for keyword in sorted((old.keys() | new.keys()) - set(explained)):
            before, after = old.get(keyword, ABSENT), new.get(keyword, ABSENT)
            if before == after:
                continue
            at = where.at(keyword)
            if is_documentation(keyword):
                self.add(Level.COMPATIBLE, "documentation-changed", at, f"{keyword} changed")
            else:
                self.add(
                    Level.UNCLASSIFIED,
                    "unclassified",
                    at,
                    f"{keyword} changed from {brief(before)} to {brief(after)}",
                )


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
