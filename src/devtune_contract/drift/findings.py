"""How checks report: a change names a rule of the table, and a check that fails names its rules."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import attrs

from devtune_contract.drift import rules
from devtune_contract.drift.model import (
    ABSENT,
    Change,
    DriftError,
    Location,
    Rule,
    RuleError,
    brief,
    is_documentation,
)


@attrs.define
class Findings:
    """The changes found in one operation; checks report through it, never build a Change."""

    operation: str
    changes: list[Change] = attrs.field(factory=list)

    def add(self, rule: Rule, where: Location, message: str) -> None:
        text = f"{where.label}: {message}" if where.label else message
        self.changes.append(Change(rule, self.operation, where.pointer, text))

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
        try:
            for keyword in sorted((old.keys() | new.keys()) - set(explained)):
                before, after = old.get(keyword, ABSENT), new.get(keyword, ABSENT)
                if before == after:
                    continue
                at = where.at(keyword)
                if is_documentation(keyword):
                    self.add(rules.DOCUMENTATION_CHANGED, at, f"{keyword} changed")
                else:
                    message = f"{keyword} changed from {brief(before)} to {brief(after)}"
                    self.add(rules.UNCLASSIFIED, at, message)
        except Exception as error:
            raise blame(error, (rules.DOCUMENTATION_CHANGED, rules.UNCLASSIFIED)) from None


def blame(error: Exception, reported: tuple[Rule, ...]) -> Exception:
    """What to raise when a check that reports ``reported`` raised ``error``: a bug in them.

    Bad input (``DriftError``) stays bad input, and a failure a check nested inside already
    named stays named: the innermost check that reports rules is the one to blame. (A
    ``try``, not a context manager, around each check: it costs nothing until one fails.)
    """
    if isinstance(error, DriftError | RuleError) or not reported:
        return error
    return RuleError(tuple(rule.id for rule in reported), error)
