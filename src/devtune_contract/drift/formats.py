"""The report in the languages CI speaks: text, JSON, GitHub workflow commands, JUnit, Markdown.

Every renderer takes the same ``Gate`` as the exit code, so what a format marks as failing is
exactly what makes the run exit 1.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable

from devtune_contract.drift.model import Change, Gate, Level, Report, Rule

NO_CHANGES = "no changes to the operations in openapi.json"


def summary(report: Report) -> str:
    if not report.changes:
        return NO_CHANGES
    counts = ", ".join(f"{report.count(level)} {level.value}" for level in Level)
    return f"{counts} change(s) in {len(report.operations)} compared operation(s)"


def render_text(report: Report, gate: Gate) -> str:
    lines = [
        f"{change.level.name:12} {change.operation}: {change.message}  [{change.pointer}]"
        for change in report.ordered()
    ]
    return "\n".join([*lines, summary(report)])


def render_json(report: Report, gate: Gate) -> str:
    document = {
        **{level.value: report.count(level) for level in Level},
        "operations": list(report.operations),
        "exit_code": gate.exit_code(report),
        "changes": [
            {
                "level": change.level.value,
                "rule": change.rule.id,
                "operation": change.operation,
                "pointer": change.pointer,
                "message": change.message,
                "fails": gate.fails(change),
            }
            for change in report.ordered()
        ],
    }
    return json.dumps(document, indent=2)


def escape_data(text: str) -> str:
    """Workflow command message escaping (as @actions/core does)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_command(change: Change, gate: Gate) -> str:
    if gate.fails(change):
        command = "error"
    else:
        command = "notice" if change.level is Level.COMPATIBLE else "warning"
    title = escape_property(f"{change.level.name} {change.rule.id}")
    message = escape_data(f"{change.operation}: {change.message} [{change.pointer}]")
    return f"::{command} title={title}::{message}"


def render_github(report: Report, gate: Gate) -> str:
    lines = [github_command(change, gate) for change in report.ordered()]
    return "\n".join([*lines, f"::notice title=API drift::{escape_data(summary(report))}"])


def render_junit(report: Report, gate: Gate) -> str:
    """One test case per compared operation, failed by its changes that fail the gate.

    One ``<failure>`` per test case, as JUnit's schema has it (GitLab shows only the first):
    its message is the most urgent change, its text every failing change, a line each.
    """
    ordered = report.ordered()
    suites, suite = _junit_suite()
    suite.set("errors", "0")
    failed = 0
    for operation in report.operations:
        case = ET.SubElement(suite, "testcase", classname="drift", name=operation)
        changes = [c for c in ordered if c.operation == operation]
        failing = [c for c in changes if gate.fails(c)]
        if failing:
            failed += 1
            more = f" (and {len(failing) - 1} more)" if len(failing) > 1 else ""
            failure = ET.SubElement(
                case, "failure", type=failing[0].level.name, message=failing[0].message + more
            )
            failure.text = "\n".join(
                f"{c.level.name} {c.message} [{c.rule.id} at {c.pointer}]" for c in failing
            )
        passing = [c for c in changes if not gate.fails(c)]
        if passing:
            output = ET.SubElement(case, "system-out")
            output.text = "\n".join(f"{c.level.name} {c.message} [{c.pointer}]" for c in passing)
    suite.set("tests", str(len(report.operations)))
    suite.set("failures", str(failed))
    return _junit_text(suites)


def _junit_suite() -> tuple[ET.Element, ET.Element]:
    suites = ET.Element("testsuites", name="devtune-contract drift")
    return suites, ET.SubElement(suites, "testsuite", name="upstream drift")


def _junit_text(suites: ET.Element) -> str:
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)


def markdown_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report, gate: Gate) -> str:
    verdict = "fails" if gate.exit_code(report) else "passes"
    lines = [f"### Upstream API drift: {verdict}", "", summary(report)]
    if report.changes:
        lines += ["", "| Level | Operation | Change | Where |", "|---|---|---|---|"]
        lines += [
            "| "
            + " | ".join(
                markdown_cell(cell)
                for cell in (
                    f"{'**' + c.level.name + '**' if gate.fails(c) else c.level.name}",
                    c.operation,
                    c.message,
                    f"`{c.pointer}`",
                )
            )
            + " |"
            for c in report.ordered()
        ]
    return "\n".join(lines)


Renderer = Callable[[Report, Gate], str]
FORMATS: dict[str, Renderer] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
    "junit": render_junit,
    "markdown": render_markdown,
}


# --- when nothing could be compared -----------------------------------------------------------

BAD_INPUT_EXIT_CODE = 2  # the documents: unreadable, not OpenAPI 3, malformed
INTERNAL_ERROR_EXIT_CODE = 3  # a rule failed: a bug to report, whatever the documents are
ERROR_TYPES = {BAD_INPUT_EXIT_CODE: "bad-input", INTERNAL_ERROR_EXIT_CODE: "internal-error"}


def error_json(message: str, exit_code: int) -> str:
    return json.dumps({"exit_code": exit_code, "error": message}, indent=2)


def error_github(message: str, exit_code: int) -> str:
    return f"::error title=API drift::{escape_data(message)}"


def error_junit(message: str, exit_code: int) -> str:
    suites, suite = _junit_suite()
    for name, value in (("tests", "1"), ("failures", "0"), ("errors", "1")):
        suite.set(name, value)
    case = ET.SubElement(suite, "testcase", classname="drift", name="compare upstream")
    ET.SubElement(case, "error", type=ERROR_TYPES[exit_code], message=message).text = message
    return _junit_text(suites)


def error_markdown(message: str, exit_code: int) -> str:
    return f"### Upstream API drift: could not compare\n\n{markdown_cell(message)}"


# What each format prints for bad input (exit 2) or a failed rule (exit 3), so that a report CI
# publishes is red rather than empty; text prints nothing more than the one line on stderr.
ERROR_FORMATS: dict[str, Callable[[str, int], str]] = {
    "json": error_json,
    "github": error_github,
    "junit": error_junit,
    "markdown": error_markdown,
}


# --- the rule table (--list-rules) ------------------------------------------------------------


def rules_text(table: Iterable[Rule]) -> str:
    rows = list(table)
    width = max(len(rule.id) for rule in rows)
    return "\n".join(
        f"{rule.id:{width}}  {rule.level.name:12} {rule.direction:9} {rule.description}"
        for rule in rows
    )


def rules_json(table: Iterable[Rule]) -> str:
    rows = [
        {"id": r.id, "level": r.level.value, "direction": r.direction, "description": r.description}
        for r in table
    ]
    return json.dumps(rows, indent=2)


def rules_markdown(table: Iterable[Rule]) -> str:
    """A table whose rows are link targets: ``docs/drift.md#request-maxLength-narrowed``."""
    lines = ["| Rule | Level | Direction | Description |", "|---|---|---|---|"]
    lines += [
        f'| <a id="{rule.id}"></a>`{rule.id}` | {rule.level.name} | {rule.direction} | '
        f"{markdown_cell(rule.description)} |"
        for rule in table
    ]
    return "\n".join(lines)


RULE_FORMATS: dict[str, Callable[[Iterable[Rule]], str]] = {
    "text": rules_text,
    "json": rules_json,
    "markdown": rules_markdown,
}
