"""Every output format, parsed: text, JSON, GitHub workflow commands, JUnit XML, Markdown.

The same upstream document (one change of each level, a ``|`` and a ``:`` in a message) runs
through ``devtune-contract drift`` with each gate; what a format marks as failing must match the
exit code.
"""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import attrs
import pytest

from devtune_contract.cli import main
from devtune_contract.drift import operations

ROOT = Path(__file__).resolve().parents[2]
BASE: dict[str, Any] = json.loads((ROOT / "openapi.json").read_text())
PATH = "/projects/{projectId}/webhooks/{webhookId}/rotate-secret"
OPERATION = f"POST {PATH}"
GATES = {
    "default": [],
    "fail on warning": ["--fail-on", "warning"],
    "unclassified allowed": ["--allow-unclassified"],
    "both": ["--fail-on", "warning", "--allow-unclassified"],
}
# Which levels fail under each gate, independently of the code under test.
FAILING = {
    "default": {"breaking", "unclassified"},
    "fail on warning": {"breaking", "warning", "unclassified"},
    "unclassified allowed": {"breaking"},
    "both": {"breaking", "warning"},
}
LEVELS = {"breaking": 1, "warning": 1, "compatible": 1, "unclassified": 1}


def every_level(doc: dict[str, Any]) -> None:
    operation = doc["paths"][PATH]["post"]
    operation["parameters"][0]["schema"]["pattern"] = "^(a|b):x$"  # breaking, awkward characters
    operation["deprecated"] = True  # warning
    operation["description"] = "Reworded."  # compatible
    operation["servers"] = [{"url": "https://eu.devtune.ai"}]  # unclassified


def run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str, gate: str, *, changed: bool = True
) -> tuple[int, str]:
    doc = copy.deepcopy(BASE)
    if changed:
        every_level(doc)
    source = tmp_path / "newer.json"
    source.write_text(json.dumps(doc))
    code = main(["drift", str(source), "--format", fmt, *GATES[gate]])
    out, err = capsys.readouterr()
    assert err == ""
    return code, out


def expected_code(gate: str) -> int:
    return 1 if FAILING[gate] else 0


@pytest.mark.parametrize("gate", GATES)
def test_text(tmp_path: Path, capsys: pytest.CaptureFixture[str], gate: str) -> None:
    code, out = run(tmp_path, capsys, "text", gate)
    lines = out.splitlines()
    assert code == expected_code(gate)
    assert [line.split()[0] for line in lines[:-1]] == [
        "BREAKING",
        "WARNING",
        "COMPATIBLE",
        "UNCLASSIFIED",
    ]
    assert all(f" {OPERATION}: " in line for line in lines[:-1])
    assert lines[-1] == (
        "1 breaking, 1 warning, 1 compatible, 1 unclassified change(s) in 1 compared operation(s)"
    )


@pytest.mark.parametrize("gate", GATES)
def test_json(tmp_path: Path, capsys: pytest.CaptureFixture[str], gate: str) -> None:
    code, out = run(tmp_path, capsys, "json", gate)
    report = json.loads(out)
    assert {level: report[level] for level in LEVELS} == LEVELS
    assert report["operations"] == [OPERATION]
    assert report["exit_code"] == code == expected_code(gate)
    assert {c["level"] for c in report["changes"] if c["fails"]} == FAILING[gate]
    breaking = report["changes"][0]
    assert breaking["rule"] == "request-pattern-added"
    assert breaking["pointer"].endswith("/post/parameters/0/schema/pattern")


COMMAND = re.compile(r"^::(error|warning|notice) title=([^:]*)::(.*)$")


def unescape(text: str) -> str:
    for escaped, plain in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, plain)
    return text


@pytest.mark.parametrize("gate", GATES)
def test_github(tmp_path: Path, capsys: pytest.CaptureFixture[str], gate: str) -> None:
    code, out = run(tmp_path, capsys, "github", gate)
    commands = [COMMAND.match(line) for line in out.splitlines()]
    assert all(commands), out
    *changes, summary = [
        (m.group(1), unescape(m.group(2)), unescape(m.group(3))) for m in commands if m
    ]
    assert code == expected_code(gate)
    errors = {title.split()[0].lower() for kind, title, _ in changes if kind == "error"}
    assert errors == FAILING[gate]
    assert [kind for kind, title, _ in changes if title.startswith("COMPATIBLE")] == ["notice"]
    assert all(kind in ("warning", "notice") for kind, title, _ in changes if kind != "error")
    assert changes[0][1] == "BREAKING request-pattern-added"
    assert "'^(a|b):x$' added" in changes[0][2]
    assert summary[:2] == ("notice", "API drift")


@pytest.mark.parametrize("changed", [True, False], ids=["changed", "unchanged"])
@pytest.mark.parametrize("gate", GATES)
def test_junit_is_red_exactly_when_the_exit_code_is_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], gate: str, changed: bool
) -> None:
    code, out = run(tmp_path, capsys, "junit", gate, changed=changed)
    root = ET.fromstring(out)  # noqa: S314 (our own output)
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [case.get("name") for case in cases] == [OPERATION]
    failures = [f for case in cases for f in case.findall("failure")]
    assert code == (expected_code(gate) if changed else 0)
    assert bool(failures) == (code == 1)
    assert suite.get("failures") == str(int(code == 1))
    expected_failures = FAILING[gate] if changed else set()
    # JUnit's schema (Ant, Surefire) allows one <failure> per test case, and GitLab shows only
    # the first: every failing change of the operation is one line of that one failure.
    assert len(failures) == int(bool(expected_failures))
    if failures:
        (failure,) = failures
        lines = (failure.text or "").splitlines()
        assert {line.split()[0].lower() for line in lines} == expected_failures
        assert len(lines) == len(expected_failures)
        assert failure.get("type") == lines[0].split()[0]  # the most urgent level
        first, *more = failure.get("message", "").split(" (and ")
        assert first in lines[0]
        assert more == ([f"{len(lines) - 1} more)"] if len(lines) > 1 else [])


def table_rows(markdown: str) -> list[list[str]]:
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    return [
        [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", row)[1:-1]]
        for row in rows
    ]


@pytest.mark.parametrize("gate", GATES)
def test_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str], gate: str) -> None:
    code, out = run(tmp_path, capsys, "markdown", gate)
    header, rule, *rows = table_rows(out)
    assert header == ["Level", "Operation", "Change", "Where"]
    assert rule == ["---"] * 4
    assert code == expected_code(gate)
    assert out.splitlines()[0] == f"### Upstream API drift: {'fails' if code else 'passes'}"
    assert [row[0].strip("*") for row in rows] == [
        "BREAKING",
        "WARNING",
        "COMPATIBLE",
        "UNCLASSIFIED",
    ]
    bold = {row[0].strip("*").lower() for row in rows if row[0].startswith("**")}
    assert bold == FAILING[gate]
    assert all(row[1] == OPERATION for row in rows)
    assert "'^(a|b):x$' added" in rows[0][2]
    assert rows[0][3].startswith("`/paths/")


def test_markdown_without_changes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(tmp_path, capsys, "markdown", "default", changed=False)
    assert code == 0
    assert out.splitlines() == [
        "### Upstream API drift: passes",
        "",
        "no changes to the operations in openapi.json",
    ]


def broken(*args: object) -> None:
    raise ZeroDivisionError("division by zero")


# How the comparison can fail: the exit code, what the message starts with, the JUnit error type.
FAILURES = {
    "bad input": (2, "cannot read", "bad-input"),
    "a rule failed": (3, "internal error in rule security-changed", "internal-error"),
}


@pytest.mark.parametrize("failure", FAILURES)
def test_a_failed_comparison_is_red_in_every_report_format(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    failure: str,
) -> None:
    """``drift --format junit > drift.xml`` on an unreadable upstream, or with a rule that
    fails: an empty file would publish as green (or not at all); each CI format says the
    comparison failed."""
    exit_code, message, error_type = FAILURES[failure]
    source = tmp_path / "newer.json"
    if exit_code == 3:
        checks = (attrs.evolve(operations.compare_security, check=broken),)
        monkeypatch.setattr(operations, "CHECKS", checks)
        source.write_text(json.dumps(BASE))
    outputs: dict[str, str] = {}
    for fmt in ("text", "json", "github", "junit", "markdown"):
        assert main(["drift", str(source), "--format", fmt]) == exit_code
        outputs[fmt], err = capsys.readouterr()
        assert err.count("\n") == 1
        assert err.startswith(f"devtune-contract drift: {message}")
    assert outputs["text"] == ""  # the one line on stderr is the report
    assert json.loads(outputs["json"])["exit_code"] == exit_code
    assert json.loads(outputs["json"])["error"].startswith(message)
    command = COMMAND.match(outputs["github"].strip())
    assert command is not None
    assert command.group(1) == "error"
    assert unescape(command.group(3)).startswith(message)
    root = ET.fromstring(outputs["junit"])  # noqa: S314 (our own output)
    errors = [case.find("error") for case in root.iter("testcase")]
    assert len(errors) == 1
    assert errors[0] is not None
    assert errors[0].get("message", "").startswith(message)
    assert errors[0].get("type") == error_type
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("errors")) == ("1", "1")
    assert outputs["markdown"].startswith("### Upstream API drift: could not compare")
    assert message in outputs["markdown"]
