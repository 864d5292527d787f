"""The pytest plugin of one contract run, given its :class:`ContractSession` by the runner.

It hands the session and schemas to the tests as fixtures (no module globals: the session sits
in ``config.stash`` and on this plugin object), orders the tests so refusals run before
rotations and the quota-spending probe runs last, shapes every failure into one JUnit line plus
the masked response and a ``curl``, masks everything pytest prints, and writes the summary.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from devtune_contract.suite import fixtures, reports
from devtune_contract.suite.ledger import FailureRecord
from devtune_contract.suite.session import ContractSession

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
        self._lost_connection: set[str] = set()  # JUnit test-case names

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[fixtures.SESSION] = self.session
        config.pluginmanager.register(fixtures, "devtune-contract-fixtures")
        config.addinivalue_line(
            "markers", f"{EXHAUSTS_QUOTA}: spends the key's rate limit; runs after everything"
        )
        config.addinivalue_line(
            "markers", f"{ROTATES}: really rotates the designated webhook; runs after refusals"
        )
        plugins = config.pluginmanager

        def announce(line: str) -> None:
            """Straight to the terminal, past pytest's capture: the user sees it as it happens."""
            terminal = plugins.get_plugin("terminalreporter")
            capture = plugins.get_plugin("capturemanager")
            if terminal is None or capture is None:
                print(f"devtune-contract: {line}", flush=True)
                return
            with capture.global_and_fixture_disabled():
                terminal.write_line(f"devtune-contract: {line}")

        self.session.announce = announce

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        items.sort(key=_order)

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.session.forget_last_sent()
        # schemathesis' lazy schemas (from_fixture) relabel ``node._nodeid``, which pytest 9
        # replaced by ``_id``; give them the attribute to write to. See TOOL_NOTES.md.
        if not hasattr(item, "_nodeid"):
            item._nodeid = item.nodeid  # type: ignore[attr-defined]

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if report.failed and report.when == "call":
            shaped = self._shape(item, report)
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

    def _shape(self, item: pytest.Item, report: pytest.TestReport) -> reports.OneLineFailure:
        """One line (check, what was wrong, status), then the masked response and a curl."""
        redactor = self.session.redactor
        sent = self.session.last_sent
        if sent is not None and sent.failures:
            what = sent.failures[0].line()
        else:
            what = next(_lines(report.longreprtext), "failed").removeprefix("Failed: ")
            what = f"{item.name.split('[')[0]}: {what}"
        request = response = details = None
        if sent is not None:
            rotates = self.session.could_rotate(sent.case)
            response = reports.shown_response(sent.response, redactor)
            request = reports.curl(
                sent.response, self.session.shell_credentials, redactor, rotates=rotates
            )
            body = f"Response:\n{response}\n\nReproduce:\n{request}"
        else:
            body = details = redactor.redact(report.longreprtext)
        shaped = reports.OneLineFailure.of(redactor.redact(what), body)
        self.session.ledger.record_failure(
            FailureRecord(_test_name(report), shaped.reprcrash.message, request, response, details)
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
        name = _test_name(report)
        ledger = self.session.ledger
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
            reason = self.session.redactor.redact(reason.removeprefix("Skipped: "))
            ledger.record_scenario(name, "skip", reason)
        elif report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            text = crash.message if crash is not None else report.longreprtext
            first = next(_lines(text), "failed").removeprefix("Failed: ")
            ledger.record_scenario(name, "fail", self.session.redactor.redact(first))
            if reports.TRANSPORT_ERROR in first:
                self._lost_connection.add(name)
        else:
            ledger.record_scenario(name, "pass")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.section("DevTune contract")
        for line in self.session.ledger.summary_lines(self.session.target):
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"  reports: {self.session.settings.report_dir}/")

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        code = int(exitstatus)
        junit = session.config.option.xmlpath or self.session.settings.junit_path
        reports.finalize_junit(Path(junit), self._lost_connection, code)
        summary = self.session.ledger.as_dict(self.session.target, reports.outcome_of(code), code)
        reports.write_summary(self.session.settings.report_dir, summary)


def _test_name(report: pytest.TestReport) -> str:
    """The name the summary gives a test: its node id's last part, parameters included."""
    return report.nodeid.rsplit("::", 1)[-1]


def _lines(text: str) -> Iterator[str]:
    """Error lines of a failure first (pytest marks them ``E``), then anything else."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line.removeprefix("E").strip() for line in lines if line.startswith("E ")]
    for line in errors or lines:
        line = line.lstrip("|+- ").strip()
        if any(ch.isalnum() for ch in line) and not line.startswith(_NOISE):
            yield line[:200]
