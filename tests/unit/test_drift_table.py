"""The table of drift rules and ``devtune-contract drift --list-rules`` in each format.

Which rule each change reports, at which level, is tested case by case in test_drift_rules.py
(which also holds every rule of the table to a case) and test_drift_constraints.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from devtune_contract.cli import main
from devtune_contract.drift.model import Level
from devtune_contract.drift.rules import TABLE, Table

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "drift.md"
BEGIN, END = "<!-- rules: begin -->", "<!-- rules: end -->"


def list_rules(capsys: pytest.CaptureFixture[str], *options: str) -> tuple[int, str, str]:
    code = main(["drift", "--list-rules", *options])
    out, err = capsys.readouterr()
    return code, out, err


def test_text_lists_every_rule_a_line_without_an_upstream(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = list_rules(capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == len(TABLE)
    for line, rule in zip(lines, TABLE, strict=True):
        assert line.split()[:3] == [rule.id, rule.level.name, rule.direction]
        assert line.endswith(f" {rule.description}")
    assert "request-maxLength-narrowed" in {line.split()[0] for line in lines}


def test_json_is_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = list_rules(capsys, "--format", "json")
    assert code == 0
    assert json.loads(out) == [
        {
            "id": rule.id,
            "level": rule.level.value,
            "direction": rule.direction,
            "description": rule.description,
        }
        for rule in TABLE
    ]


def test_markdown_rows_are_link_targets(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = list_rules(capsys, "--format", "markdown")
    assert code == 0
    header, rule_line, *rows = out.splitlines()
    assert header == "| Rule | Level | Direction | Description |"
    assert rule_line == "|---|---|---|---|"
    assert len(rows) == len(TABLE)
    anchors = [re.match(r'\| <a id="([^"]+)"></a>`\1` \| (\w+) \| (\w+) \|', row) for row in rows]
    assert [(m.group(1), m.group(2), m.group(3)) for m in anchors if m] == [
        (rule.id, rule.level.name, rule.direction) for rule in TABLE
    ]


@pytest.mark.parametrize("fmt", ["github", "junit"])
def test_formats_without_a_table_are_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    code, out, err = list_rules(capsys, "--format", fmt)
    assert (code, out) == (2, "")
    assert err == f"devtune-contract drift: --list-rules prints text, json, markdown, not {fmt}\n"


def test_without_list_rules_an_upstream_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["drift"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("devtune-contract drift: UPSTREAM is required")
    assert err.count("\n") == 1


def test_ids_are_stable_link_targets_and_say_their_direction() -> None:
    for rule in TABLE:
        assert re.fullmatch(r"[a-z][A-Za-z]*(-[A-Za-z]+)*", rule.id), rule.id
        side = rule.id.split("-", 1)[0]
        expected = side if side in ("request", "response") else rule.direction
        assert rule.direction == expected, rule.id
        assert rule.description, rule.id
        assert "\n" not in rule.description, rule.id


def test_unclassified_is_only_the_fallback() -> None:
    assert [rule.id for rule in TABLE if rule.level is Level.UNCLASSIFIED] == ["unclassified"]


@pytest.mark.parametrize(
    ("narrowing", "widening"),
    [
        ("maxLength-narrowed", "maxLength-widened"),
        ("minimum-narrowed", "minimum-widened"),
        ("enum-added", "enum-removed"),
        ("format-added", "format-removed"),
        ("nullable-removed", "nullable-added"),
        ("allOf-narrowed", "allOf-widened"),
    ],
)
def test_a_narrowing_breaks_requests_and_a_widening_responses(
    narrowing: str, widening: str
) -> None:
    def levels(name: str) -> tuple[Level, Level]:
        return TABLE[f"request-{name}"].level, TABLE[f"response-{name}"].level

    assert levels(narrowing) == (Level.BREAKING, Level.COMPATIBLE)
    assert levels(widening) == (Level.COMPATIBLE, Level.BREAKING)


def test_a_rule_id_declared_twice_is_refused() -> None:
    table = Table()
    table.declare("x-changed", Level.WARNING, "both", "x changed")
    with pytest.raises(ValueError, match="'x-changed' declared twice"):
        table.declare("x-changed", Level.BREAKING, "both", "x changed again")


def test_the_guide_shows_the_table_the_command_prints(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/drift.md cannot disagree with the code: its table is what --list-rules prints."""
    _, out, _ = list_rules(capsys, "--format", "markdown")
    text = GUIDE.read_text()
    assert BEGIN in text, f"{GUIDE} has no {BEGIN} line"
    assert END in text, f"{GUIDE} has no {END} line"
    shown = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert shown == out.strip(), (
        f"the rule table in {GUIDE.name} is stale: replace the block between the markers by"
        " the output of `devtune-contract drift --list-rules --format markdown`"
    )
