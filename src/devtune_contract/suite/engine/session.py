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
from urllib.parse import urlsplit

import requests
from schemathesis.core.failures import FailureGroup

from devtune_contract.checks import ALL_CHECKS, ContractCheck, Exchange, RunState
from devtune_contract.checks.exchange import same_id
from devtune_contract.checks.rate_limit import RESET, header_integer
from devtune_contract.checks.registry import always
from devtune_contract.masking import Redactor
from devtune_contract.profiles import PROFILES, Profile, ProfileTable
from devtune_contract.settings import Settings, variable_of
from devtune_contract.suite.engine import quota, schemas, scopes, transformations, transport
from devtune_contract.suite.engine.answers import Answer, Failure, refused
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


def _stale_reset(exchange: Exchange, waited_past: int | None, now: float) -> tuple[Failure, ...]:
    """The evidence that the server's Reset itself frees nothing: after waiting past Reset R,
    a 429 again with R, or with a Reset already past. (A 429 with a later Reset is another
    client taking the quota as it frees, or a Reset that lies; the run cannot tell those.)"""
    if waited_past is None or exchange.status != 429:
        return ()
    reset = header_integer(exchange.headers.get(RESET, ""))
    if reset is None or (reset != waited_past and reset >= now):
        return ()
    again = "the same Reset" if reset == waited_past else f"Reset {reset}, already past"
    return (
        Failure.expectation(
            f"429 after waiting past X-RateLimit-Reset {waited_past}, with {again}: the window "
            "the server announced freed nothing"
        ),
    )


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
        profiles: ProfileTable = PROFILES,
        profile: Profile | None = None,
    ) -> None:
        """``profiles``: the operations the run may meet; ``profile``: the one the scenario
        requests (:meth:`case`) are built for, by default the table's first."""
        self.settings = settings
        self.profiles = profiles
        self.profile = profile or next(iter(profiles))
        self.redactor = redactor
        self.seed = seed
        self.announce = announce
        self.interrupts = interrupts
        self.ledger = Ledger(seed=seed)
        self.run = RunState(settings=settings, warn=self.ledger.record_warning)
        self.cap = RotationCap(settings.max_rotations)
        self.exchanges = ExchangeCache(redactor, profiles.operations)
        self.bounds = transport.Bounds(
            settings.request_timeout,
            settings.max_body_bytes,
            self.ledger.started + settings.deadline,
        )
        self.quota = quota.QuotaWatch(settings.api_keys())
        self.home = transport.origin(settings.base_url) if settings.base_url else None
        self.http = transport.BoundedSession(self.bounds, transport.ca_bundle(), self.home)
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
        # The 429 with which the probe spent the key's quota (the spent-quota forms read it).
        self.spent_quota: Answer | None = None
        # The scopes of the requests the running test sent so far, for its report line.
        self.scopes_seen: set[str] = set()
        self.selection = schemas.CheckSelection.from_settings(settings, ALL_CHECKS)
        # Each scope's contract checks, as schemathesis runs them (the run's selection of them).
        self.scoped_checks = {
            scope: [
                as_schemathesis_check(check, self)
                for check in self.selection.contract_checks
                if scope.judges(check)
            ]
            for scope in scopes.SCOPES
        }
        self.scenario_builtins = list(self.selection.scenario_builtins)
        # When each reported check had something to judge; schemathesis' own judge every response.
        self.applicability: dict[str, Callable[[Exchange], bool]] = {
            check.__name__: always for check in schemas.builtin_checks()
        }
        self.applicability.update({check.name: check.applies for check in ALL_CHECKS})
        self.generated_schema = self._load(authenticated=True)
        self.project_schema = self._load(authenticated=True, pinned=self.profile.pinned(settings))
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
        """Start a new test: no last answer, no scopes seen yet (tests run one at a time; the
        threads of one test share its scopes)."""
        self._thread.answer = None
        self.scopes_seen = set()

    def _load(self, *, authenticated: bool, pinned: dict[str, str] | None = None) -> Any:
        return schemas.load(
            self.profiles.spec,
            self.settings,
            self.seed,
            self._record_results,
            authenticated=authenticated,
            pinned=pinned,
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

    def case(self, *, authorization: str | None = "", **ids: str | None) -> Any:
        """A scenario request of the session's profile; ``authorization=""`` means the write
        key, ``None`` none at all. ``ids``: a resource's id by the setting that names it
        (``webhook_id=...``); a resource not given is the key's own."""
        if authorization == "":
            authorization = bearer(self.settings.api_key or "")
        return schemas.build_case(
            self.scenario_schema,
            self.profile.operation,
            self.profile.parameters(self.settings, ids),
            {} if authorization is None else {"Authorization": authorization},
        )

    def could_rotate(self, case: Any) -> bool:
        """Any request naming the designated or the foreign id of what an operation that
        returns a one-time secret changes (its webhook), under whatever owner and with whatever
        method: a server may rotate on a method the contract never documents."""
        profile = self.profiles.at(case.path, case.method, any_method=True)
        if profile is None or not profile.operation.returns_secret:
            return False
        named = profile.operation.parameters_of(case.path_parameters).values()
        protected = profile.protected_ids(self.settings)
        return any(same_id(value, id_) for value in named for id_ in protected)

    def send(
        self,
        case: Any,
        *,
        scope: scopes.Scope = scopes.DOCUMENTED,
        wait_on_429: bool = True,
        probe: bool = False,
        reserved: bool = False,
        **call: Any,
    ) -> Answer:
        """Send ``case``, judge the answer by ``scope``'s checks, and wait out rate limits.

        ``scope``: what kind of request this is (:mod:`scopes`), which decides what judges it.
        ``reserved``: the caller already holds a rotation-cap slot for this request.
        ``call``: passed to ``case.call`` (``method``, ``params``, ``headers``, ``url``).
        Raises a :class:`~devtune_contract.suite.engine.unanswered.Unanswered` when no answer
        came. A 429 that comes back after waiting past its own ``X-RateLimit-Reset`` with that
        Reset again, or one already past, is returned with that failure: the Reset freed nothing.
        """
        waits = 0
        waited_past: int | None = None  # the X-RateLimit-Reset the last wait went past
        self.scopes_seen.add(scope.name)
        while True:
            self._check_interrupted()
            self._check_deadline()
            response = self._transmit(case, probe=probe, reserved=reserved, call=call)
            reserved = False
            exchange = self.exchanges.view(case, response)  # secrets registered before checks
            self.quota.observe(exchange.authorization, exchange.status, exchange.headers)
            failures = self._checks(case, response, scope)
            stale = _stale_reset(exchange, waited_past, time.time())
            answer = Answer(case, response, exchange, (*failures, *stale))
            self._thread.answer = answer
            if response.status_code != 429 or not wait_on_429 or answer.failures:
                return answer
            waited_past = self._wait_for_reset(exchange, waits)
            waits += 1

    def send_form(self, case: Any, form: transformations.Transformation, number: int) -> Answer:
        """``case`` (a refused request) in the form ``form`` gives it: an undocumented request.

        An id form is already in ``case`` (built with the id in that form); a path or routing
        form changes the URL, a client-naming form adds its header. ``number`` makes that header
        name a client never seen before.
        """
        canonical = case.formatted_path
        base = self.settings.base_url or ""
        call: dict[str, Any] = {}
        part = form.part
        if part is transformations.Part.PATH:
            call["url"] = base + form.change(canonical)
        elif part is transformations.Part.ROUTING_HEADER and form.header is not None:
            call["url"] = base + transformations.ROUTING_DECOY
            call["headers"] = {form.header: urlsplit(base).path + canonical}
        elif part is transformations.Part.CLIENT_NAME and form.header is not None:
            call["headers"] = {form.header: form.change(str(number))}
        return self.send(case, scope=scopes.UNDOCUMENTED, wait_on_429=False, **call)

    def send_generated(self, case: Any) -> Answer:
        """A request schemathesis generated: documented, or undocumented (another method of the
        coverage phase, an id that makes another form of the path), which must then be refused
        in HTTP's terms."""
        profile = self.profiles.at(case.path, case.method, any_method=True)
        documented = profile.operation.method if profile is not None else case.method
        scope = scopes.of_generated(case.method, documented, case.path_parameters or {})
        answer = self.send(case, scope=scope)
        if scope is scopes.UNDOCUMENTED:
            return answer.expecting(refused(answer, f"{case.method} (generated)"))
        return answer

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
        with transport.fresh_session(self.bounds, transport.ca_bundle(), self.home) as fresh:
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
            url=call.get("url", sent["url"]),
            headers=sent["headers"],
            params={**(sent.get("params") or {}), **call.get("params", {})},
        ).prepare()

    def _checks(self, case: Any, response: Any, scope: scopes.Scope) -> tuple[Failure, ...]:
        """The checks ``scope`` names (the run's selection of them) on ``response``, as
        failures; nothing is raised here. A generated request's 429 is judged as any other."""
        contract = self.scoped_checks[scope]
        which = scope.schemathesis
        if which is scopes.Schemathesis.EVERY and response.status_code == 429:
            which = scopes.Schemathesis.RESPONSES
        if which is scopes.Schemathesis.NONE and not contract:
            return ()
        collected: list[Failure] = []
        self._thread.collecting = collected
        try:
            case.validate_response(
                response,
                checks=None
                if which is scopes.Schemathesis.EVERY
                else self.scenario_builtins
                if which is scopes.Schemathesis.RESPONSES
                else contract,
                additional_checks=None if which is scopes.Schemathesis.NONE else contract,
                excluded_checks=self.selection.excluded_builtins()
                if which is scopes.Schemathesis.EVERY
                else None,
                transport_kwargs={"session": self.http},
            )
        except FailureGroup:
            pass  # every failure reached _record_results first
        finally:
            self._thread.collecting = None
        return tuple(collected)

    def _wait_for_reset(self, exchange: Exchange, waits: int) -> int | None:
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
        return header_integer(exchange.headers.get(RESET, ""))
