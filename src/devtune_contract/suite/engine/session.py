"""One contract run's traffic: every request of the suite goes through :meth:`ContractSession.send`.

``send`` enforces the deadline, pacing and the rotation cap, sends requests that could rotate on
a fresh connection and never re-sends them once they may have reached the server, bounds every
response (:mod:`transport`), turns each response into an exchange (registering its secrets)
before any check runs, runs every selected check and waits out a 429 until
``X-RateLimit-Reset``. It returns an :class:`~devtune_contract.suite.engine.answers.Answer` (the
exchange and its failures, worst first) or raises one of :mod:`unanswered`; it
never fails a test itself, so the caller's expectation can come first. The pieces live in their
own modules: :mod:`schemas`, :mod:`exchanges`, :mod:`transport`, :mod:`rotation_cap`,
:mod:`waiting`, :mod:`answers`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, NoReturn

import requests
from schemathesis.core.failures import FailureGroup

from devtune_contract.checks import ALL_CHECKS, ContractCheck, Exchange, RunState
from devtune_contract.checks.exchange import same_id
from devtune_contract.checks.rate_limit import RESET
from devtune_contract.checks.registry import always
from devtune_contract.masking import Redactor
from devtune_contract.operations import OPERATIONS, ROTATE_SECRET, operation_at
from devtune_contract.settings import Settings, variable_of
from devtune_contract.suite.engine import quota, schemas, transport
from devtune_contract.suite.engine.answers import Answer, Failure
from devtune_contract.suite.engine.exchanges import ExchangeCache
from devtune_contract.suite.engine.interrupts import Interrupts
from devtune_contract.suite.engine.ledger import Ledger
from devtune_contract.suite.engine.rotation_cap import CapReached, RotationCap
from devtune_contract.suite.engine.unanswered import (
    DeadlineReached,
    NoCompleteResponse,
    NotSent,
    RateLimitedBeyondPatience,
    Unanswered,
)
from devtune_contract.suite.engine.waiting import Announce, Pacer, wait

# A request is tried again this many times when it was not sent at all, or, if it cannot rotate
# anything, after a dropped connection; a request that could rotate is never sent twice.
TRANSPORT_RETRIES = 2
CLOSE = {"Connection": "close"}
SERVER_GONE = "; the server stopped answering mid-run: every remaining test is skipped"
DESCRIBED_PATH = 160  # characters of a path a headline shows


def _raise(reached: CapReached) -> NoReturn:
    raise reached


def bearer(key: str) -> str:
    return f"Bearer {key}"


def as_schemathesis_check(check: ContractCheck, session: ContractSession) -> Any:
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
        interrupts: Interrupts | None = None,
    ) -> None:
        self.settings = settings
        self.redactor = redactor
        self.seed = seed
        self.announce = announce
        self.interrupts = interrupts
        self.run = RunState(settings=settings)
        self.ledger = Ledger(seed=seed)
        self.cap = RotationCap(settings.max_rotations)
        self.exchanges = ExchangeCache(redactor)
        self.bounds = transport.Bounds(
            settings.request_timeout,
            settings.max_body_bytes,
            self.ledger.started + settings.deadline,
        )
        self.quota = quota.QuotaWatch(settings.api_keys())
        self.http = transport.BoundedSession(self.bounds, transport.ca_bundle())
        # The first request that found nobody listening after the run had started: every later
        # test is skipped with this one reason instead of failing the same way.
        self.gone: NotSent | None = None
        self.answered_once = False
        # For the headline when the server dies: the last request answered, and the first one
        # after it that got no answer (the likely trigger), each with the test that sent it
        # (``running``: a test runner sets it).
        self.running: str | None = None
        self._last_answered: tuple[Any, str | None] | None = None
        self._first_unanswered: tuple[Any, str | None] | None = None
        self.deadline_passed: DeadlineReached | None = None
        # What a test that needs a rotation the cap has no room for does: by default the
        # engine raises; a test runner makes it a skip (the pytest adapter does).
        self.cap_reached: Callable[[CapReached], NoReturn] = _raise
        self.pacer = Pacer(settings.pace, lambda line: self.announce(line))
        # Authorization values the suite sent, as shell expressions over the configured keys.
        self.shell_credentials: dict[str, str] = {}
        for field in ("api_key", "readonly_api_key"):
            key = getattr(settings, field)
            if key:
                self.shell_credentials[key] = f"${variable_of(field)}"
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
    def last_answer(self) -> Answer | None:
        """The last complete answer this thread received (for a failure's response and curl)."""
        answer: Answer | None = getattr(self._thread, "answer", None)
        return answer

    def forget_last_answer(self) -> None:
        self._thread.answer = None

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
        collected: list[Failure] | None = getattr(self._thread, "collecting", None)
        for result in results:
            failure = None
            if result.failure is not None:
                text = self.redactor.redact(result.failure.message or result.failure.title)
                failure = next(iter(text.strip().splitlines()), result.name)
                if collected is not None:
                    collected.append(Failure.of_check(result.name, failure, exchange.status))
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
        """Any request naming the designated or the foreign webhook on the path of an
        operation that returns a one-time secret, under whatever project and with whatever
        method: a server may rotate on a method the contract never documents."""
        try:
            operation = operation_at(case.path, case.method, OPERATIONS, any_method=True)
        except KeyError:
            return False
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
        checked: bool = True,
        builtins: bool = True,
        **call: Any,
    ) -> Answer:
        """Send ``case``, check the response, and wait out rate limits unless told not to.

        ``reserved``: the caller already holds a rotation-cap slot for this request.
        ``checked``: run the checks (the preflight only reads the status).
        ``builtins``: also run schemathesis' response checks, which judge the request as the
        documented POST (not for a method or credential the contract never documents).
        ``call``: passed to ``case.call`` (``method``, ``params``, ``headers``).
        Raises a :class:`~devtune_contract.suite.engine.unanswered.Unanswered` when no answer came.
        """
        waits = 0
        while True:
            self._check_interrupted()
            self._check_deadline()
            response = self._transmit(case, probe=probe, reserved=reserved, call=call)
            reserved = False
            exchange = self.exchanges.view(case, response)  # secrets registered before checks
            self.quota.observe(exchange.authorization, exchange.status, exchange.headers)
            failures: tuple[Failure, ...] = ()
            if checked:
                failures = self._checks(
                    case,
                    response,
                    full=generated and response.status_code != 429,
                    builtins=builtins,
                )
            answer = Answer(case, response, exchange, failures)
            self._thread.answer = answer
            if response.status_code != 429 or not wait_on_429 or failures:
                return answer
            self._wait_for_reset(exchange, waits)
            waits += 1

    def _check_interrupted(self) -> None:
        """After SIGTERM or SIGINT nothing more is sent, even where a caller (hypothesis, a
        thread of the burst) caught the first ``KeyboardInterrupt``."""
        reason = None if self.interrupts is None else self.interrupts.reason
        if reason is not None:
            raise KeyboardInterrupt(reason)

    def _check_deadline(self) -> None:
        if self.ledger.elapsed > self.settings.deadline:
            self._deadline(
                DeadlineReached(
                    f"the run passed its deadline of {self.settings.deadline:g} s "
                    "(DEVTUNE_DEADLINE)"
                )
            )

    def _deadline(self, reached: DeadlineReached) -> NoReturn:
        self.deadline_passed = self.deadline_passed or reached
        raise reached

    def _transmit(self, case: Any, *, probe: bool, reserved: bool, call: dict[str, Any]) -> Any:
        """One request; tried again only while nothing can have reached the server, or while
        it could not rotate anything."""
        rotates = self.could_rotate(case)
        if rotates and not reserved:
            try:
                self.cap.reserve()
            except CapReached as reached:
                self.cap_reached(reached)
        last: Unanswered = NotSent("no attempt made")
        for _ in range(TRANSPORT_RETRIES + 1):
            self.pacer.before_request()
            try:
                response = self._call(case, rotates=rotates, call=call)
            except NotSent as outcome:
                self.ledger.count_not_sent()
                self._unanswered(case, call)
                last = outcome
                continue  # nothing reached the server: safe to try again, even a rotation
            except Unanswered as outcome:
                self.ledger.count_response(None, could_rotate=rotates, probe=probe)
                self._unanswered(case, call)
                if rotates:
                    self.cap.settle(None)
                if isinstance(outcome, DeadlineReached):
                    self._deadline(outcome)
                if rotates:
                    raise self._outcome(
                        type(outcome)(
                            f"{outcome.reason}; the secret may have rotated: counted against "
                            "DEVTUNE_MAX_ROTATIONS"
                        ),
                        case,
                        call,
                    ) from None
                if isinstance(outcome, NoCompleteResponse):  # a hanging server would hang again
                    raise self._outcome(outcome, case, call) from None
                last = outcome
                continue
            self.ledger.count_response(response.status_code, could_rotate=rotates, probe=probe)
            self.answered_once = True
            self._last_answered, self._first_unanswered = (response.request, self.running), None
            if rotates:
                self.cap.settle(response.status_code)
            return response
        if rotates:
            self.cap.release(1)  # never sent: nothing can have rotated
        if isinstance(last, NotSent) and self.answered_once:
            last = NotSent(last.reason + SERVER_GONE)
            self.gone = self.gone or last
        raise self._outcome(last, case, call)

    def _unanswered(self, case: Any, call: dict[str, Any]) -> None:
        if self._first_unanswered is None:
            self._first_unanswered = (self._prepared(case, call), self.running)

    def _described(self, sent: tuple[Any, str | None] | None) -> str:
        """``POST /api/v2/projects/…/rotate-secret, sent by test_…``, masked and cut short."""
        if sent is None:
            return "none"
        request, test = sent
        path = request.path_url
        if len(path) > DESCRIBED_PATH:
            path = f"{path[:DESCRIBED_PATH]}…({len(path)} chars)"
        return self.redactor.redact(
            f"{request.method} {path}" + (f", sent by {test}" if test else "")
        )

    def gone_headline(self) -> str | None:
        """The run's headline once the server stopped answering: which request got no answer
        (the likely trigger), and the last one that was answered."""
        if self.gone is None:
            return None
        return (
            "the server stopped answering mid-run: no answer to "
            f"{self._described(self._first_unanswered)} (the likely trigger); "
            f"the last answered: {self._described(self._last_answered)}"
        )

    def _call(self, case: Any, *, rotates: bool, call: dict[str, Any]) -> Any:
        if not rotates:
            return case.call(session=self.http, **call)
        headers = {**CLOSE, **call.get("headers", {})}
        with transport.fresh_session(self.bounds, transport.ca_bundle()) as fresh:
            return case.call(session=fresh, **{**call, "headers": headers})

    def _outcome(self, outcome: Unanswered, case: Any, call: dict[str, Any]) -> Unanswered:
        """``outcome`` redacted, with the request it was about (for the reproducer)."""
        request = self._prepared(case, call)
        return type(outcome)(self.redactor.redact(outcome.reason), case, request)

    def _prepared(self, case: Any, call: dict[str, Any]) -> Any:
        sent = case.as_transport_kwargs(
            base_url=self.settings.base_url, headers=call.get("headers")
        )
        return requests.Request(
            method=call.get("method", sent["method"]),
            url=sent["url"],
            headers=sent["headers"],
            params={**(sent.get("params") or {}), **call.get("params", {})},
        ).prepare()

    def _checks(
        self, case: Any, response: Any, *, full: bool, builtins: bool
    ) -> tuple[Failure, ...]:
        """Every selected check on ``response``, as failures; nothing is raised here."""
        collected: list[Failure] = []
        self._thread.collecting = collected
        checks = None if full else self.scenario_builtins
        try:
            case.validate_response(
                response,
                checks=checks if builtins else self.contract_checks,
                additional_checks=self.contract_checks if builtins else None,
                excluded_checks=self.selection.excluded_builtins() if full else None,
                transport_kwargs={"session": self.http},
            )
        except FailureGroup:
            pass  # every failure reached _record_results first
        finally:
            self._thread.collecting = None
        return tuple(collected)

    def _wait_for_reset(self, exchange: Exchange, waits: int) -> None:
        """Wait for the reset, or say the quota is spent: patience ran out, not the contract.

        ``waits``: how often this request already waited; after
        :data:`~devtune_contract.suite.engine.quota.MAX_RATE_LIMIT_WAITS` the quota is taken as
        spent. The refusal is raised from this one line whichever test meets it: hypothesis
        replays a generated test's failing example and must see the same error at the same place.
        """
        decision: quota.Wait | quota.Refusal = quota.StillLimited(waits)
        if waits < quota.MAX_RATE_LIMIT_WAITS:
            decision = quota.reset_wait(
                exchange.headers.get(RESET, ""),
                time.time(),
                max_reset_wait=self.settings.max_reset_wait,
                before_deadline=self.settings.deadline - self.ledger.elapsed,
            )
        if not isinstance(decision, quota.Wait):
            reason = decision.reason(self.quota.shared())
            raise RateLimitedBeyondPatience(self.redactor.redact(reason))
        wait(decision.seconds, "rate limited (429) until X-RateLimit-Reset", self.announce)
