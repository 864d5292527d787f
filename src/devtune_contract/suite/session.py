"""One contract run's traffic: every request of the suite goes through :meth:`ContractSession.send`.

``send`` enforces the deadline, pacing and the rotation cap, sends requests that could rotate on
a fresh connection and never re-sends them after an unknown outcome, turns each response into an
exchange (registering its secrets) before any check runs, runs every selected check and waits
out a 429 until ``X-RateLimit-Reset``. The pieces live in their own modules: :mod:`schemas`,
:mod:`exchanges`, :mod:`transport`, :mod:`rotation_cap`, :mod:`waiting`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, NoReturn

import attrs
import pytest
import requests
from schemathesis.core.failures import FailureGroup

from devtune_contract.checks import ALL_CHECKS, Check, Exchange, RunState
from devtune_contract.checks.exchange import same_id
from devtune_contract.checks.rate_limit import RESET
from devtune_contract.checks.registry import always
from devtune_contract.masking import Redactor
from devtune_contract.operations import OPERATIONS, ROTATE_SECRET, operation_at
from devtune_contract.settings import Settings
from devtune_contract.suite import reports, schemas, transport
from devtune_contract.suite.exchanges import ExchangeCache
from devtune_contract.suite.ledger import Ledger
from devtune_contract.suite.rotation_cap import CapReached, RotationCap
from devtune_contract.suite.waiting import Announce, Pacer, seconds_until_reset, wait

RESET_MARGIN = 0.5
MAX_RATE_LIMIT_WAITS = 3
# Requests that cannot rotate anything are sent again this many times after a dropped
# connection; a request that could rotate never is.
TRANSPORT_RETRIES = 2
CLOSE = {"Connection": "close"}


def bearer(key: str) -> str:
    return f"Bearer {key}"


@attrs.frozen
class CheckFailure:
    """One failed check on one response, already redacted."""

    check: str
    message: str
    status: int

    def line(self) -> str:
        return f"{self.check}: {self.message} (status {self.status})"


@attrs.define
class Sent:
    """The last request this thread sent and what the checks said about its response."""

    case: Any
    response: Any
    failures: list[CheckFailure] = attrs.field(factory=list)


def as_schemathesis_check(check: Check, session: ContractSession) -> Any:
    def adapter(ctx: Any, response: Any, case: Any) -> None:
        check(session.exchanges.view(case, response), session.run)

    adapter.__name__ = adapter.__qualname__ = check.name
    adapter.__doc__ = check.function.__doc__
    return adapter


class ContractSession:
    """The suite's single entry point to the server under test."""

    def __init__(
        self,
        settings: Settings,
        redactor: Redactor,
        *,
        seed: int,
        announce: Announce = print,
    ) -> None:
        self.settings = settings
        self.redactor = redactor
        self.seed = seed
        self.announce = announce
        self.run = RunState(settings=settings)
        self.ledger = Ledger(seed=seed)
        self.cap = RotationCap(settings.max_rotations)
        self.exchanges = ExchangeCache(redactor)
        self.http = requests.Session()
        self.pacer = Pacer(settings.pace, lambda line: self.announce(line))
        # Authorization values the suite sent, as shell expressions over the configured keys.
        self.shell_credentials: dict[str, str] = {}
        for key, variable in (
            (settings.api_key, "DEVTUNE_API_KEY"),
            (settings.readonly_api_key, "DEVTUNE_READONLY_API_KEY"),
        ):
            if key:
                self.shell_credentials[key] = f"${variable}"
        self._thread = threading.local()
        self.selection = schemas.CheckSelection.from_settings(settings, ALL_CHECKS)
        self.contract_checks = [
            as_schemathesis_check(check, self) for check in self.selection.contract_checks
        ]
        self.scenario_builtins = list(self.selection.scenario_builtins)
        # When each reported check had something to judge; schemathesis' own judge every response.
        self.applicability: dict[str, Callable[[Exchange], bool]] = {
            check.__name__: always for check in schemas.builtin_checks()
        }
        self.applicability.update({check.name: check.applies for check in ALL_CHECKS})
        self.generated_schema = self._load(authenticated=True)
        self.project_schema = self._load(authenticated=True, pin_project=True)
        self.scenario_schema = self._load(authenticated=False)

    @property
    def target(self) -> str:
        return self.settings.base_url or "(not started)"

    @property
    def last_sent(self) -> Sent | None:
        sent: Sent | None = getattr(self._thread, "sent", None)
        return sent

    def forget_last_sent(self) -> None:
        self._thread.sent = None

    def _load(self, *, authenticated: bool, pin_project: bool = False) -> Any:
        return schemas.load(
            self.settings,
            self.seed,
            self._record_results,
            authenticated=authenticated,
            pin_project=pin_project,
        )

    def _record_results(self, case: Any, response: Any, results: list[Any]) -> None:
        exchange = self.exchanges.view(case, response)
        sent = self.last_sent
        for result in results:
            failure = None
            if result.failure is not None:
                text = self.redactor.redact(result.failure.message or result.failure.title)
                failure = next(iter(text.strip().splitlines()), result.name)
                if sent is not None and sent.response is response:
                    sent.failures.append(CheckFailure(result.name, failure, exchange.status))
            applied = self.applicability[result.name](exchange)
            self.ledger.record_check(result.name, failure, applied=applied)

    def register_derived_key(self, key: str, shell_expression: str) -> None:
        """A key built from a configured one: masked like it, shown in curl as an expression."""
        self.redactor.add(key)
        self.shell_credentials[key] = shell_expression

    def case(
        self,
        *,
        project_id: str | None = None,
        webhook_id: str | None = None,
        authorization: str | None = "",
    ) -> Any:
        """A scenario request; ``authorization=""`` means the write key, ``None`` none at all."""
        if authorization == "":
            authorization = bearer(self.settings.api_key or "")
        return schemas.build_case(
            self.scenario_schema,
            ROTATE_SECRET,
            {
                "projectId": project_id or self.settings.project_id,
                "webhookId": webhook_id or self.settings.webhook_id,
            },
            {} if authorization is None else {"Authorization": authorization},
        )

    def could_rotate(self, case: Any) -> bool:
        """A call of an operation that returns a one-time secret, naming the designated or
        the foreign webhook (under whatever project)."""
        try:
            operation = operation_at(case.path, case.method, OPERATIONS)
        except KeyError:
            return False  # a method the contract does not declare rotates nothing
        named = operation.parameters_of(case.path_parameters).values()
        protected = (self.settings.webhook_id, self.settings.foreign_webhook_id)
        return operation.returns_secret and any(
            same_id(value, webhook) for value in named for webhook in protected
        )

    def send(
        self,
        case: Any,
        *,
        generated: bool = False,
        wait_on_429: bool = True,
        probe: bool = False,
        reserved: bool = False,
    ) -> Any:
        """Send ``case``, check the response, and wait out rate limits unless told not to.

        ``reserved``: the caller already holds a rotation-cap slot for this request.
        """
        for _ in range(MAX_RATE_LIMIT_WAITS + 1):
            self._check_deadline()
            response = self._transmit(case, probe=probe, reserved=reserved)
            reserved = False
            exchange = self.exchanges.view(case, response)  # secrets registered before checks
            self._thread.sent = Sent(case, response)
            self._validate(case, response, full=generated and response.status_code != 429)
            if response.status_code != 429 or not wait_on_429:
                return response
            self._wait_for_reset(exchange)
        self._fail(f"still rate limited after waiting {MAX_RATE_LIMIT_WAITS} times for the reset")

    def _check_deadline(self) -> None:
        if self.ledger.elapsed > self.settings.deadline:
            self._fail(
                f"the run passed its deadline of {self.settings.deadline:g} s (DEVTUNE_DEADLINE)"
            )

    def _transmit(self, case: Any, *, probe: bool, reserved: bool) -> Any:
        if not self.could_rotate(case):
            return self._transmit_retrying(case, probe=probe)
        if not reserved:
            try:
                self.cap.reserve()
            except CapReached as reached:
                pytest.skip(str(reached))
        self.pacer.before_request()
        lost = None
        with transport.fresh_session() as fresh:
            try:
                response = case.call(
                    session=fresh, timeout=self.settings.request_timeout, headers=CLOSE
                )
            except requests.RequestException as error:
                lost = self._describe(error)
        if lost is not None:  # reported outside the except block: no chained traceback
            self.cap.settle(None)
            self.ledger.count_response(None, could_rotate=True, probe=probe)
            self._fail(
                f"outcome unknown: the secret may have rotated ({lost}); "
                "counted against DEVTUNE_MAX_ROTATIONS"
            )
        self.cap.settle(response.status_code)
        self.ledger.count_response(response.status_code, could_rotate=True, probe=probe)
        return response

    def _transmit_retrying(self, case: Any, *, probe: bool) -> Any:
        failure = "no attempt made"
        for _ in range(TRANSPORT_RETRIES + 1):
            self.pacer.before_request()
            try:
                response = case.call(session=self.http, timeout=self.settings.request_timeout)
            except requests.RequestException as error:
                self.ledger.count_response(None, could_rotate=False, probe=probe)
                failure = self._describe(error)
                if isinstance(error, requests.Timeout):
                    break  # a hanging server would hang again: one timeout is enough
                continue
            self.ledger.count_response(response.status_code, could_rotate=False, probe=probe)
            return response
        self._fail(reports.TRANSPORT_ERROR + failure)

    def _describe(self, error: requests.RequestException) -> str:
        return transport.describe(error, self.target, self.settings.request_timeout)

    def _validate(self, case: Any, response: Any, *, full: bool) -> None:
        """Every check on ``response``; a scenario's violation is reported without traceback."""
        try:
            case.validate_response(
                response,
                checks=None if full else self.scenario_builtins,
                additional_checks=self.contract_checks,
                excluded_checks=self.selection.excluded_builtins() if full else None,
            )
        except FailureGroup:
            if full:
                raise  # generated cases: schemathesis and hypothesis report these themselves
        else:
            return
        sent = self.last_sent
        failures = sent.failures if sent is not None else []
        self._fail("; ".join(f.line() for f in failures) or "a check failed")

    def _wait_for_reset(self, exchange: Exchange) -> None:
        delay = seconds_until_reset(exchange.headers.get(RESET, ""), time.time()) + RESET_MARGIN
        if delay > self.settings.max_reset_wait:
            self._fail(
                f"429 asks for a {delay:.0f} s wait, more than DEVTUNE_MAX_RESET_WAIT="
                f"{self.settings.max_reset_wait:g}"
            )
        if self.ledger.elapsed + delay > self.settings.deadline:
            self._fail("waiting for the rate-limit reset would pass DEVTUNE_DEADLINE")
        wait(delay, "rate limited (429) until X-RateLimit-Reset", self.announce)

    def _fail(self, message: str) -> NoReturn:
        pytest.fail(self.redactor.redact(message), pytrace=False)
