"""What a run leaves for CI: exit codes, the stop report, and failures shaped for JUnit.

Every run clears the previous reports first, so a run that stops early can never leave an old
green JUnit behind, and writes a JUnit and a summary whatever stops it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree as ET

import attrs

from devtune_contract.constants import HTML_REPORT, JUNIT_REPORT, SUMMARY_REPORT
from devtune_contract.masking import Redactor
from devtune_contract.suite.engine.ledger import FIGURES, NOT_RUN, not_run_detail
from devtune_contract.suite.engine.unanswered import (
    AnswerLost,
    DeadlineReached,
    NotSent,
    RateLimitedBeyondPatience,
    Unanswered,
)
from devtune_contract.suite.reports import html as html_report

# Re-exported: the exit codes were declared here before they moved to a pytest-free module.
from devtune_contract.suite.reports.exit_codes import OUTCOMES as OUTCOMES
from devtune_contract.suite.reports.exit_codes import ExitCode as ExitCode

# A test suite's count attributes, and the element a test case has for each.
JUNIT_OUTCOMES = (("failures", "failure"), ("errors", "error"), ("skipped", "skipped"))
RED_OUTCOMES = ("failure", "error")
MAX_BODY_SHOWN = 2000


def outcome_of(code: int) -> str:
    return OUTCOMES.get(code, "error")


@attrs.frozen
class Shown:
    """How a run reports a test that ended in one kind of :class:`Unanswered`.

    ``junit``: a ``<failure>`` says the server was judged and broke the contract, an
    ``<error>`` that it could not be judged. ``exit_code``: the run's code when every red test
    of the run met it (the plugin's rule). ``once``: only the first test that
    meets it is red; later ones are skipped with its reason (the quota stays spent; twenty
    copies of one line would hide the one that matters).
    """

    junit: Literal["failure", "error"]
    exit_code: ExitCode
    once: bool = False


# One row per outcome: the pytest adapter, the JUnit and the exit code all read it from here.
SHOWN_AS: dict[type[Unanswered], Shown] = {
    NotSent: Shown("error", ExitCode.CONTRACT_FAILED),
    AnswerLost: Shown("error", ExitCode.CONTRACT_FAILED),
    RateLimitedBeyondPatience: Shown("error", ExitCode.RATE_LIMITED, once=True),
    DeadlineReached: Shown("error", ExitCode.CONTRACT_FAILED),
}


def shown_as(outcome: Unanswered) -> Shown:
    return next(SHOWN_AS[kind] for kind in type(outcome).__mro__ if kind in SHOWN_AS)


def unanswered_in(error: BaseException | None) -> Unanswered | None:
    """The outcome a test ended in, also from inside an exception group (hypothesis makes one)."""
    if isinstance(error, Unanswered):
        return error
    if isinstance(error, BaseExceptionGroup):
        return next(filter(None, map(unanswered_in, error.exceptions)), None)
    return None


def clear(report_dir: Path) -> None:
    for name in (JUNIT_REPORT, SUMMARY_REPORT, HTML_REPORT):
        (report_dir / name).unlink(missing_ok=True)


def verdict_of(code: int) -> html_report.RunVerdict:
    if code == ExitCode.PASSED:
        return "pass"
    return "fail" if code == ExitCode.CONTRACT_FAILED else "stopped"


def write_summary(report_dir: Path, summary: Mapping[str, Any]) -> None:
    """The run's summary, as ``contract-summary.json`` and as ``contract-report.html``.

    The one writer of both: every way a run ends (its tests ran, or something stopped it)
    calls this, so the page a person reads and the JSON a machine reads always agree.
    ``summary`` needs at least ``outcome`` and ``exit_code``; ``verdict`` is added.
    """
    report_dir.mkdir(parents=True, exist_ok=True)
    body = {"verdict": verdict_of(int(summary["exit_code"])), **summary}
    (report_dir / SUMMARY_REPORT).write_text(json.dumps(body, indent=2) + "\n")
    (report_dir / HTML_REPORT).write_text(html_report.render(body), encoding="utf-8")


STOP_CASE = "preflight"  # the test case a run stopped before its tests reports its stop on


def write_stopped(
    report_dir: Path,
    code: int,
    message: str,
    *,
    summary: Mapping[str, Any] | None = None,
    tests: Sequence[str] = (),
    situation: str | None = None,
) -> dict[str, Any]:
    """A run stopped before its tests: its JUnit, summary and HTML report list the same tests.

    One error (the :data:`STOP_CASE`) says why; each of ``tests`` is "not run (stopped:
    <outcome>)", never a failure: nothing was judged. ``situation``: the test whose situation
    the stopping request was (a broken server and a misconfiguration look alike there).
    Returns the summary written, for the console.
    """
    report_dir.mkdir(parents=True, exist_ok=True)
    kind = outcome_of(code)
    detail = not_run_detail(kind)
    scenarios: dict[str, dict[str, str]] = {
        STOP_CASE: {"verdict": "error", "detail": f"{kind}: {message}"}
    }
    for name in tests:
        note = "; its situation is the one the preflight stopped on" if name == situation else ""
        scenarios[name] = {"verdict": NOT_RUN, "detail": detail + note}
    body = {
        "outcome": kind,
        "exit_code": int(code),
        "reason": message,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "checks": {},
        "failures": [],
        **(summary or {}),
        **({} if situation is None else {"situation": situation}),
        "scenarios": dict(sorted(scenarios.items())),
    }
    suite = ET.Element("testsuite", name="devtune-contract")
    _add_figures(suite, body)
    case = ET.SubElement(suite, "testcase", classname="devtune_contract", name=STOP_CASE)
    error = ET.SubElement(case, "error", message=f"{kind}: {message}", type=kind)
    error.text = f"The run stopped before its tests ({kind}, exit code {int(code)}): {message}"
    _add_not_run(suite, {name: scenarios[name]["detail"] for name in tests})
    _recount(suite)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.ElementTree(root).write(report_dir / JUNIT_REPORT, encoding="utf-8", xml_declaration=True)
    write_summary(report_dir, body)
    return {"verdict": verdict_of(int(code)), **body}


def _add_figures(suite: ET.Element, summary: Mapping[str, Any]) -> None:
    """The run's figures as the suite's properties, under the words every report uses."""
    properties = suite.find("properties")
    if properties is None:
        properties = ET.Element("properties")
        suite.insert(0, properties)
    for figure in FIGURES:
        value = str(summary.get(figure.key, 0))
        ET.SubElement(properties, "property", name=figure.label, value=value)


def _add_not_run(suite: ET.Element, not_run: Mapping[str, str]) -> None:
    for name, detail in not_run.items():
        case = ET.SubElement(suite, "testcase", classname="devtune_contract", name=name)
        ET.SubElement(case, "skipped", message=detail, type="not-run").text = detail


@attrs.frozen
class _Crash:
    message: str


@attrs.frozen
class OneLineFailure:
    """A report's ``longrepr``: JUnit takes ``reprcrash.message``, the body is everything."""

    reprcrash: _Crash
    body: str

    @classmethod
    def of(cls, message: str, body: str) -> OneLineFailure:
        return cls(_Crash(message), f"{message}\n\n{body}".rstrip())

    def toterminal(self, out: Any) -> None:
        for line in self.body.splitlines():
            out.line(line)

    def __str__(self) -> str:
        return self.body


def finalize_junit(
    junit_path: Path,
    errors: set[str],
    exit_code: int,
    reason: str | None = None,
    *,
    summary: Mapping[str, Any] | None = None,
    not_run: Mapping[str, str] | None = None,
) -> tuple[str, Literal["error"], str] | None:
    """Make the JUnit pytest just wrote say what the run was, to CI dashboards.

    - A test named in ``errors`` (it lost its connection, or met an outcome :data:`SHOWN_AS`
      an error) gets ``<error>`` instead of each ``<failure>``: dashboards tell errors (could
      not judge) from failures (judged and broken).
    - Hypothesis' statistics properties go: they are base64, which no leak check can read,
      and say nothing about the contract.
    - A run that failed without a failing test (no test selected, interrupted, an internal
      error) gets a test case with an ``<error>`` saying so: it must not look green. A run
      that stopped early (``reason``: a deadline, a signal) gets that test case in any case.
    - Each suite's counts are those of its test cases: pytest also counts the subtests that
      schemathesis reports for its generated tests (36 for 34 test cases).
    - ``not_run``: tests a stopped run never got to, each a skipped test case saying so.
    - ``summary``: the run's figures (:data:`FIGURES`) become the first suite's properties.

    Returns the test case added for a red run (name, verdict, message), for the summary.
    """
    if not junit_path.is_file():
        return None
    tree = ET.parse(junit_path)  # noqa: S314 (the file pytest just wrote)
    root = tree.getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    _errors_not_failures(root, errors)
    _drop_encoded_properties(root)
    if suites and not_run:
        _add_not_run(suites[0], not_run)
    added = None
    if exit_code != ExitCode.PASSED and suites:
        added = _red_for_a_failed_run(root, suites[0], exit_code, reason)
    if suites and summary is not None:
        _add_figures(suites[0], summary)
    for suite in suites:
        _recount(suite)
    tree.write(junit_path, encoding="utf-8", xml_declaration=True)
    return added


def _errors_not_failures(root: ET.Element, errors: set[str]) -> None:
    for case in root.iter("testcase"):
        if case.get("name") in errors:
            for failure in case.findall("failure"):
                failure.tag = "error"


def _drop_encoded_properties(root: ET.Element) -> None:
    for parent in list(root.iter()):
        for properties in parent.findall("properties"):
            for encoded in properties.findall("property"):
                if encoded.get("name", "").startswith("hypothesis-statistics-"):
                    properties.remove(encoded)
            if len(properties) == 0:
                parent.remove(properties)


RUN_CASE = "run"  # the test case of a run that ended red without a red test, or stopped


def _red_for_a_failed_run(
    root: ET.Element, suite: ET.Element, exit_code: int, reason: str | None
) -> tuple[str, Literal["error"], str] | None:
    red = any(case.find(o) is not None for case in root.iter("testcase") for o in RED_OUTCOMES)
    if red and reason is None:
        return None
    kind = outcome_of(exit_code)
    case = ET.SubElement(suite, "testcase", classname="devtune_contract", name=RUN_CASE)
    message = f"{kind}: the run ended with exit code {exit_code} without a failing test"
    if reason is not None:
        message = f"{reason} (exit code {exit_code})"
    ET.SubElement(case, "error", message=message, type=kind).text = message
    return RUN_CASE, "error", message


def _recount(suite: ET.Element) -> None:
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    for attribute, outcome in JUNIT_OUTCOMES:
        suite.set(attribute, str(sum(1 for case in cases if case.find(outcome) is not None)))


def shown_response(response: Any, redactor: Redactor) -> str:
    """Status, headers and (cut) body of a response, masked."""
    lines = [f"HTTP {response.status_code}"]
    for name, value in response.headers.items():
        values = value if isinstance(value, list) else [value]
        lines += [f"{name}: {one}" for one in values]
    body = (response.content or b"").decode(errors="replace")
    if len(body) > MAX_BODY_SHOWN:
        body = body[:MAX_BODY_SHOWN] + f"… ({len(body)} characters in all)"
    return redactor.redact("\n".join([*lines, "", body]))


def curl(
    response: Any,
    shell_credentials: Mapping[str, str],
    redactor: Redactor,
    *,
    rotates: bool,
) -> str:
    """A copy-paste ``curl`` of the request; keys come from the environment, never in clear.

    It shows ``Authorization`` and every other header that carries a key (a scenario may send
    one in ``X-API-Key``), and each configured or derived key, wherever it was sent (a header,
    the query string), as its shell expression over ``$DEVTUNE_API_KEY``; the redactor then
    masks whatever is left.
    """
    request = response.request
    parts = [f"curl -sS -X {request.method} {_in_shell(request.url, shell_credentials)}"]
    for name, value in request.headers.items():
        if name.lower() == "authorization" or any(key in value for key in shell_credentials):
            parts.append(f"-H {_in_shell(f'{name}: {value}', shell_credentials)}")
    command = redactor.redact(" \\\n  ".join(parts))
    if rotates:
        warning = (
            "# WARNING: this request can rotate the webhook's secret; "
            "running it invalidates the current one"
        )
        command = f"{warning}\n{command}"
    return command


def _in_shell(text: str, shell_credentials: Mapping[str, str]) -> str:
    """``text`` double-quoted for a shell, each key in it replaced by its expression (the
    longest first: a key derived by cutting one is a part of it)."""
    quoted = _escaped(text)
    for key in sorted(shell_credentials, key=len, reverse=True):
        quoted = quoted.replace(_escaped(key), shell_credentials[key])
    return f'"{quoted}"'


def _escaped(text: str) -> str:
    for character in ("\\", '"', "$", "`"):
        text = text.replace(character, "\\" + character)
    return text
