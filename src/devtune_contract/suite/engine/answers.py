"""What ``send()`` returns: the exchange and every check's verdict on it, worst first.

A person reads the first line of a failure and nothing else, so which failure comes first is a
decision, made here once: each :class:`Failure` carries its :class:`Severity`, and an
:class:`Answer` keeps its failures sorted by it. A scenario's own expectation outranks every
check; a 2xx where the contract documents a refusal outranks an undocumented status, which
outranks any detail of the envelope, headers or secret.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

import attrs

from devtune_contract.checks import Exchange
from devtune_contract.suite.engine.scopes import refusal


class Severity(enum.IntEnum):
    """Lower is worse; the order in which a failure message lists its parts."""

    EXPECTATION = 0  # the scenario's own expectation: "unknown key accepted: 200, expected 401"
    ACCEPTED = 1  # a 2xx where a refusal (401/403/404/405) is documented
    UNDOCUMENTED_STATUS = 2
    DETAIL = 3  # envelope, headers, schema, secret


# schemathesis checks that fail when a request the contract refuses was not refused.
REFUSAL_CHECKS = frozenset(
    {"ignored_auth", "negative_data_rejection", "unsupported_method", "missing_required_header"}
)
STATUS_CHECKS = frozenset({"status_code_conformance", "not_a_server_error"})


def severity_of(check: str, status: int) -> Severity:
    if check in REFUSAL_CHECKS and 200 <= status < 300:
        return Severity.ACCEPTED
    if check in STATUS_CHECKS or check in REFUSAL_CHECKS:
        return Severity.UNDOCUMENTED_STATUS
    return Severity.DETAIL


@attrs.frozen
class Failure:
    """One thing wrong with one response, already redacted, and how much it matters."""

    severity: Severity
    text: str

    @classmethod
    def of_check(cls, check: str, message: str, status: int) -> Failure:
        return cls(severity_of(check, status), f"{check}: {message} (status {status})")

    @classmethod
    def expectation(cls, text: str) -> Failure:
        return cls(Severity.EXPECTATION, text)


def worst_first(failures: Iterable[Failure]) -> tuple[Failure, ...]:
    """Stable: failures of one severity keep the order the checks reported them in."""
    return tuple(sorted(failures, key=lambda failure: failure.severity))


@attrs.frozen
class Answer:
    """A response that arrived whole: the request, the response, its exchange, its failures."""

    case: Any
    response: Any
    exchange: Exchange
    failures: tuple[Failure, ...] = attrs.field(converter=worst_first, default=())

    @property
    def status(self) -> int:
        return self.exchange.status

    def expecting(self, expectation: Failure | None) -> Answer:
        """The same answer with ``expectation`` (if failed) among its failures."""
        if expectation is None:
            return self
        return attrs.evolve(self, failures=(expectation, *self.failures))

    def verify(self, *expectations: Failure) -> None:
        """Raise :class:`ContractFailure` if an expectation or any check failed."""
        failures = worst_first((*expectations, *self.failures))
        if failures:
            raise ContractFailure(self, failures)


class ContractFailure(AssertionError):
    """A response broke the contract; ``str()`` is the one-line message, worst first."""

    def __init__(self, answer: Answer, failures: tuple[Failure, ...]) -> None:
        super().__init__("; ".join(failure.text for failure in failures))
        self.answer = answer
        self.failures = failures


def expected(answer: Answer, allowed: Iterable[int], situation: str) -> Failure | None:
    """The expectation "``situation`` gets one of ``allowed``", failed or ``None``.

    A 2xx reads as the situation *accepted*: that is what went wrong, not merely a number.
    """
    statuses = sorted(set(allowed))
    if answer.status in statuses:
        return None
    wanted = " or ".join(str(status) for status in statuses)
    if isinstance(allowed, range) and len(allowed) == 100 and allowed.start % 100 == 0:
        wanted = f"a {allowed.start // 100}xx"
    got = f" accepted: {answer.status}" if 200 <= answer.status < 300 else f": got {answer.status}"
    return Failure.expectation(f"{situation}{got}, expected {wanted}")


def expect(answer: Answer, allowed: Iterable[int], situation: str) -> None:
    """The scenario's expectation first, then every check's failure on the same response."""
    answer.expecting(expected(answer, allowed, situation)).verify()


def refused(answer: Answer, situation: str) -> Failure | None:
    """The expectation "an undocumented ``situation`` is refused" (:func:`scopes.refusal`)."""
    reason = refusal(answer.status, answer.exchange.method)
    return None if reason is None else Failure.expectation(f"{situation}{reason}")


def expect_refusal(answer: Answer, situation: str) -> None:
    """An undocumented request's expectation first (any refusal), then the checks' failures."""
    answer.expecting(refused(answer, situation)).verify()
