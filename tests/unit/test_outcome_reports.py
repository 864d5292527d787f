"""How an outcome is reported: the one table, the run's exit code, the JUnit and the verdicts."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from devtune_contract.suite.engine.ledger import Ledger
from devtune_contract.suite.engine.unanswered import (
    AnswerLost,
    DeadlineReached,
    NotSent,
    RateLimitedBeyondPatience,
    Unanswered,
)
from devtune_contract.suite.reports import console
from devtune_contract.suite.reports import files as reports
from devtune_contract.suite.reports.files import ExitCode

RATE_LIMITED = RateLimitedBeyondPatience("429 asks for a 62 s wait, more than ...")


def test_every_outcome_has_one_row() -> None:
    for kind in (NotSent, AnswerLost, RateLimitedBeyondPatience, DeadlineReached):
        assert reports.shown_as(kind("why")) is reports.SHOWN_AS[kind]
    assert set(reports.SHOWN_AS) == set(Unanswered.__subclasses__())


def test_a_spent_quota_is_an_error_reported_once_with_exit_code_9() -> None:
    shown = reports.shown_as(RATE_LIMITED)
    assert (shown.junit, shown.exit_code, shown.once) == ("error", ExitCode.RATE_LIMITED, True)


def test_a_subclass_is_shown_as_its_outcome() -> None:
    class Spent(RateLimitedBeyondPatience):
        pass

    assert reports.shown_as(Spent("x")) is reports.SHOWN_AS[RateLimitedBeyondPatience]


def test_the_outcome_is_found_inside_exception_groups() -> None:
    grouped = ExceptionGroup("two", [ValueError("no"), ExceptionGroup("one", [RATE_LIMITED])])
    assert reports.unanswered_in(grouped) is RATE_LIMITED
    assert reports.unanswered_in(RATE_LIMITED) is RATE_LIMITED
    assert reports.unanswered_in(ValueError("no")) is None
    assert reports.unanswered_in(None) is None


def test_named_tests_get_errors_for_each_of_their_failures(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuites><testsuite name="s" tests="2" failures="3" errors="0" skipped="0">'
        '<testcase name="spent"><failure message="rate limited: ..."/>'
        '<failure message="contains 1 failed subtest"/></testcase>'
        '<testcase name="broken"><failure message="success_envelope: ..."/></testcase>'
        "</testsuite></testsuites>"
    )
    reports.finalize_junit(junit, {"spent"}, ExitCode.CONTRACT_FAILED)
    suite = ET.parse(junit).getroot().find("testsuite")  # noqa: S314
    assert suite is not None
    spent, broken = suite.findall("testcase")
    assert [e.tag for e in spent] == ["error", "error"]
    assert [e.tag for e in broken] == ["failure"]
    assert (suite.get("failures"), suite.get("errors")) == ("1", "1")


def test_a_verdict_stays_unless_a_later_one_ranks_higher() -> None:
    ledger = Ledger(seed=1)
    ledger.record_scenario("t", "error", "rate limited: ...")
    ledger.record_scenario("t", "fail", "contains 1 failed subtest")
    ledger.record_scenario("s", "skip", "rate limited: ...; reported once, as the error of t")
    ledger.record_scenario("s", "pass")  # the test after its skipped subtest
    ledger.record_scenario("p", "pass")
    ledger.record_scenario("p", "fail", "teardown")
    assert ledger.scenarios == {
        "t": ("error", "rate limited: ..."),
        "s": ("skip", "rate limited: ...; reported once, as the error of t"),
        "p": ("fail", "teardown"),
    }
    ledger.remarks.append("shared key: another client used 35 requests ...")
    summary = ledger.as_dict("http://127.0.0.1:1", "contract-failed", 1)
    lines = console.lines({"verdict": "fail", **summary})
    assert "  ERROR test  t" in "\n".join(lines)
    assert "  shared key: another client used 35 requests ..." in lines
    assert ledger.as_dict("t", "passed", 0)["remarks"] == [
        "shared key: another client used 35 requests ..."
    ]
