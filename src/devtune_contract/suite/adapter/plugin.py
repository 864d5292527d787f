"""The pytest plugin of one contract run, given its :class:`ContractSession` by the runner.

It hands the session and schemas to the tests as fixtures (no module globals: the session sits
in ``config.stash`` and on this plugin object), orders the tests so refusals run before
rotations and the quota-spending probe runs last, masks everything pytest prints, and writes
the summary. It is also the thin adapter between what ``send()`` says and what pytest reports:

- a :class:`~devtune_contract.suite.engine.answers.ContractFailure` is a failure whose one JUnit
  line is its failures worst first, followed by the masked response and a ``curl``;
- a :class:`~devtune_contract.suite.engine.unanswered.Unanswered` is an ``<error>`` (nothing could
  be judged) headed by the outcome's name; once the server stopped answering, every remaining test
  is skipped with that one reason, and once ``DEVTUNE_DEADLINE`` passed, the run stops;
- a run whose only problem is a rate limit beyond patience exits 9, not 1;
- a test that finds a setting unusable (:func:`ContractPlugin.stop`) stops the run as
  configuration, and every test a stopped run never got to is "not run (stopped: ...)";
- a server that stopped answering mid-run is the run's headline.

It prints the run's summary (:mod:`~devtune_contract.suite.reports.console`) itself, with or
without pytest's terminal.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import NoReturn

import pytest

from devtune_contract.suite.adapter import console, fixtures
from devtune_contract.suite.engine.answers import ContractFailure
from devtune_contract.suite.engine.ledger import NOT_RUN, FailureRecord, not_run_detail
from devtune_contract.suite.engine.preflight import Stop
from devtune_contract.suite.engine.rotation_cap import CapReached
from devtune_contract.suite.engine.session import ContractSession
from devtune_contract.suite.engine.unanswered import DeadlineReached, Unanswered
from devtune_contract.suite.reports import console as console_summary
from devtune_contract.suite.reports import files as reports
from devtune_contract.suite.reports.exit_codes import STOP_CODES

EXHAUSTS_QUOTA = "exhausts_quota"
ROTATES = "rotates"
_NOISE = ("File ", "Traceback", "Exception Group", "Schemathesis found", "[")


def _order(item: pytest.Item) -> int:
    """Refusals and generated requests first, then real rotations, then the probe."""
    if item.get_closest_marker(EXHAUSTS_QUOTA) is not None:
        return 2
    return 1 if item.get_closest_marker(ROTATES) is not None else 0


class ContractPlugin:
    def __init__(self, session: ContractSession) -> None:
        self.session = session
        self._shaped: dict[str, reports.OneLineFailure] = {}
        # JUnit test-case names whose request got no answer, and what came of it instead.
        self._outcomes: dict[str, Unanswered] = {}
        self._failed: set[str] = set()
        self._deadline: str | None = None
        self._running: pytest.Item | None = None
        self._first_met: dict[reports.Shown, str] = {}  # a "once" outcome: the test that met it
        self._stopped: Stop | None = None  # a test found a setting unusable
        self._collected: list[str] = []

    def stop(self, item: pytest.Item, stop: Stop) -> NoReturn:
        """End the run after this test, as ``stop`` says (exit code :data:`STOP_CODES`); the
        test itself is skipped with the reason: nothing about the server was judged."""
        self._stopped = stop
        item.session.shouldstop = stop.message
        pytest.skip(f"{stop.kind}: {stop.message}")

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[fixtures.SESSION] = self.session
        config.pluginmanager.register(fixtures, "devtune-contract-fixtures")
        config.stash[fixtures.STOP] = self.stop
        register_markers(config)

        def announce(line: str) -> None:
            """Straight to the terminal, past pytest's capture: the user sees it as it happens."""
            console.write(config, f"devtune-contract: {line}\n")

        self.session.announce = announce

        def skip(reached: CapReached) -> NoReturn:
            pytest.skip(str(reached))

        self.session.cap_reached = skip

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        items.sort(key=_order)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._collected = [item.name for item in session.items]

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self._running = item
        self.session.running = item.name
        self.session.forget_last_answer()
        interrupted = self.session.interrupts and self.session.interrupts.reason
        if interrupted:  # a test caught the signal's KeyboardInterrupt: stop the whole run here
            pytest.exit(interrupted, returncode=pytest.ExitCode.INTERRUPTED)
        gone = self.session.gone
        if gone is not None:
            pytest.skip(f"the server stopped answering: {gone.name}: {gone.reason}")
        # schemathesis' lazy schemas (from_fixture) relabel ``node._nodeid``, which pytest 9
        # replaced by ``_id``; give them the attribute to write to. See TOOL_NOTES.md.
        if not hasattr(item, "_nodeid"):
            item._nodeid = item.nodeid  # type: ignore[attr-defined]

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        outcome = reports.unanswered_in(call.excinfo.value if call.excinfo else None)
        if report.failed and outcome is not None and self._met_before(item, report, outcome):
            self._redact(report)
            return report
        if report.failed and report.when == "call":
            shaped = self._shape(item, report, _raised(call))
            self._shaped[report.nodeid] = shaped
            report.longrepr = shaped  # type: ignore[assignment]
        self._redact(report)
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Every report, subtests' included: one JUnit line per failure, and the verdict."""
        if report.failed and not isinstance(report.longrepr, reports.OneLineFailure):
            text = self.session.redactor.redact(report.longreprtext)
            first = next(_lines(text), "failed").removeprefix("Failed: ")
            report.longrepr = reports.OneLineFailure.of(first, text)  # type: ignore[assignment]
        self._redact(report)
        self._record_outcome(report)

    @pytest.hookimpl(trylast=True)
    def pytest_exception_interact(
        self, node: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport
    ) -> None:
        """schemathesis reformats failures here, after makereport: keep the shaped one."""
        shaped = self._shaped.get(report.nodeid)
        if shaped is not None:
            report.longrepr = shaped  # type: ignore[assignment]
        self._redact(report)

    def _met_before(
        self, item: pytest.Item, report: pytest.TestReport, outcome: Unanswered
    ) -> bool:
        """A "once" outcome (:data:`reports.SHOWN_AS`) another test already met: skipped with
        its reason. The first to meet it is an error in the summary, as in the JUnit."""
        name = self._scenario_name(report)
        shown = reports.shown_as(outcome)
        first = self._first_met.setdefault(shown, name) if shown.once else name
        if first == name:
            if shown.junit == "error":
                headline = self.session.redactor.redact(outcome.headline())
                self.session.ledger.record_scenario(name, "error", headline)
            return False
        reason = f"{outcome.headline()}; reported once, as the error of {first}"
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {reason}")
        return True

    def _remark_on_the_quota(self, code: int) -> None:
        remarks = self.session.ledger.remarks
        shared = self.session.quota.shared()
        if shared is not None:
            remarks.append(f"shared key: {shared.line()}")
        if code == reports.ExitCode.RATE_LIMITED:
            remarks.append(
                f"rate limited, not a contract failure (exit code {code}): the key's quota ran "
                "out before the run did"
            )
        if shared is not None or code == reports.ExitCode.RATE_LIMITED:
            remarks.append(
                "remedies: a key per pipeline, or DEVTUNE_PACE set to each pipeline's share "
                "(docs/qa.md, When pipelines share a key)"
            )

    def _shape(
        self, item: pytest.Item, report: pytest.TestReport, cause: BaseException | None
    ) -> reports.OneLineFailure:
        """One line (the worst failure first), then the masked response and a curl."""
        redactor = self.session.redactor
        answer = self.session.last_answer
        if isinstance(cause, Unanswered):
            # Under the JUnit's name for the report and the summary's for the test: before
            # pytest 9.2 a generated test's report is its subtest's (``_scenario_name``).
            for name in (_test_name(report), self._scenario_name(report)):
                self._outcomes[name] = cause
            if isinstance(cause, DeadlineReached):
                self._deadline = cause.headline()
                item.session.shouldstop = cause.headline()
            request = None
            if cause.request is not None:
                request = reports.curl(
                    SimpleNamespace(request=cause.request),
                    self.session.shell_credentials,
                    redactor,
                    rotates=self.session.could_rotate(cause.case),
                )
            return self._record(report, cause.headline(), request=request, details=cause.reason)
        if isinstance(cause, ContractFailure):
            what, answer = str(cause), cause.answer
        else:
            what = next(_lines(report.longreprtext), "failed").removeprefix("Failed: ")
            what = f"{item.name.split('[')[0]}: {what}"
            if answer is not None and answer.failures:
                what = f"{what}; {'; '.join(f.text for f in answer.failures)}"
        if answer is None:
            return self._record(report, what, details=redactor.redact(report.longreprtext))
        return self._record(
            report,
            what,
            request=reports.curl(
                answer.response,
                self.session.shell_credentials,
                redactor,
                rotates=self.session.could_rotate(answer.case),
            ),
            response=reports.shown_response(answer.response, redactor),
        )

    def _record(
        self,
        report: pytest.TestReport,
        what: str,
        *,
        request: str | None = None,
        response: str | None = None,
        details: str | None = None,
    ) -> reports.OneLineFailure:
        """The failure as JUnit shows it, recorded the same for the summary and HTML report."""
        parts = [
            *([f"Response:\n{response}"] if response is not None else []),
            *([f"Reproduce:\n{request}"] if request is not None else []),
            *([details] if details is not None else []),
        ]
        shaped = reports.OneLineFailure.of(self.session.redactor.redact(what), "\n\n".join(parts))
        self.session.ledger.record_failure(
            FailureRecord(
                self._scenario_name(report), shaped.reprcrash.message, request, response, details
            )
        )
        return shaped

    def _redact(self, report: pytest.TestReport) -> None:
        redactor = self.session.redactor
        if isinstance(report.longrepr, tuple):
            path, line, reason = report.longrepr
            report.longrepr = (path, line, redactor.redact(reason))
        elif report.longrepr is not None and not isinstance(
            report.longrepr, reports.OneLineFailure
        ):
            report.longrepr = redactor.redact(str(report.longrepr))
        report.sections = [(title, redactor.redact(text)) for title, text in report.sections]

    def _record_outcome(self, report: pytest.TestReport) -> None:
        if report.when != "call" and not (report.skipped or report.failed):
            return
        name = self._scenario_name(report)
        ledger = self.session.ledger
        ledger.record_scopes(name, self.session.scopes_seen)
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
            reason = self.session.redactor.redact(reason.removeprefix("Skipped: "))
            ledger.record_scenario(name, "skip", reason)
        elif report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            text = crash.message if crash is not None else report.longreprtext
            first = next(_lines(text), "failed").removeprefix("Failed: ")
            ledger.record_scenario(name, "fail", self.session.redactor.redact(first))
            self._failed.add(name)
        else:
            ledger.record_scenario(name, "pass")

    @property
    def stop_reason(self) -> str | None:
        """Why the run stopped early (a signal, the deadline, an unusable setting), for the
        JUnit and the summary."""
        interrupts = self.session.interrupts
        if interrupts is not None and interrupts.reason is not None:
            return interrupts.reason
        if self._stopped is not None:
            return self._stopped.message
        return self._deadline

    def _scenario_name(self, report: pytest.TestReport) -> str:
        """The test a report judges. Before pytest 9.2 a subtest's report is named
        ``test[label]`` (schemathesis relabels the running test) and the test itself passes
        regardless; the verdict belongs to the test."""
        name = _test_name(report)
        running = self._running
        if running is not None and name.startswith(running.name + "["):
            return running.name
        return name

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        code = int(exitstatus)
        if self._deadline is not None and self.stop_reason == self._deadline:
            code = session.exitstatus = reports.ExitCode.CONTRACT_FAILED  # not "interrupted"
        if self._stopped is not None:
            code = session.exitstatus = STOP_CODES[self._stopped.kind]
        shared = self._exit_code_of_the_outcomes()
        if code == pytest.ExitCode.TESTS_FAILED and shared is not None:
            code = session.exitstatus = shared
        self._remark_on_the_quota(code)
        ledger = self.session.ledger
        ledger.headline = self.session.gone_headline()
        not_run = self._not_run(code)
        for name, detail in not_run.items():
            ledger.record_scenario(name, NOT_RUN, detail)
        outcome = reports.outcome_of(code)
        summary = ledger.as_dict(self.session.target, outcome, code, self.stop_reason)
        junit = session.config.option.xmlpath or self.session.settings.junit_path
        added = reports.finalize_junit(
            Path(junit),
            set(self._outcomes),
            code,
            self.stop_reason,
            summary=summary,
            not_run=not_run,
        )
        if added is not None:  # the JUnit's test case for a red run: the summary lists it too
            ledger.record_scenario(*added)
            summary = ledger.as_dict(self.session.target, outcome, code, self.stop_reason)
        reports.write_summary(self.session.settings.report_dir, summary)
        shown = {"verdict": reports.verdict_of(code), **summary}
        console.write(session.config, "\n".join(console_summary.lines(shown)) + "\n")

    def _not_run(self, code: int) -> dict[str, str]:
        """The tests a stopped run never got to, each with why: ``not run (stopped: ...)``."""
        missing = [name for name in self._collected if name not in self.session.ledger.scenarios]
        if not missing:
            return {}
        kind = reports.outcome_of(code)
        if self._deadline is not None and self.stop_reason == self._deadline:
            kind = "deadline"
        return dict.fromkeys(missing, not_run_detail(kind))

    def _exit_code_of_the_outcomes(self) -> int | None:
        """The exit code :data:`reports.SHOWN_AS` gives the outcome every red test ended in
        (9 when each ran out of patience with a documented 429); ``None`` when a red test broke
        the contract or the outcomes' codes differ."""
        if not self._failed:
            return None
        codes = set()
        for name in self._failed:
            outcome = self._outcomes.get(name)
            if outcome is None:
                return None
            codes.add(reports.shown_as(outcome).exit_code)
        return codes.pop() if len(codes) == 1 else None


def register_markers(config: pytest.Config) -> None:
    """The suite's markers (``--strict-markers``): also for a run that only collects."""
    config.addinivalue_line(
        "markers", f"{EXHAUSTS_QUOTA}: spends the key's rate limit; runs after everything"
    )
    config.addinivalue_line(
        "markers", f"{ROTATES}: really rotates the designated webhook; runs after refusals"
    )


def _test_name(report: pytest.TestReport) -> str:
    """The name the summary gives a test: its node id's last part, parameters included."""
    return report.nodeid.rsplit("::", 1)[-1]


def _raised(call: pytest.CallInfo[None]) -> BaseException | None:
    """The exception a test ended with, out of any exception group (hypothesis, threads)."""
    error: BaseException | None = call.excinfo.value if call.excinfo is not None else None
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def _lines(text: str) -> Iterator[str]:
    """Error lines of a failure first (pytest marks them ``E``), then anything else."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line.removeprefix("E").strip() for line in lines if line.startswith("E ")]
    for line in errors or lines:
        line = line.lstrip("|+- ").strip()
        if any(ch.isalnum() for ch in line) and not line.startswith(_NOISE):
            yield line[:200]
