"""The four upstream edits issue 10 found misreported, run through ``devtune-contract drift``.

The upstream documents are committed under drift_fixtures/regressions/ (each says how it was
derived from openapi.json).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devtune_contract.cli import main

REGRESSIONS = Path(__file__).parent / "drift_fixtures" / "regressions"
PARAMETERS = "/paths/~1projects~1{projectId}~1webhooks~1{webhookId}~1rotate-secret/post/parameters"


def report(
    capsys: pytest.CaptureFixture[str], upstream: str, *options: str
) -> tuple[int, dict[str, Any]]:
    code = main(["drift", str(REGRESSIONS / upstream), "--format", "json", *options])
    out, err = capsys.readouterr()
    assert err == ""
    return code, json.loads(out)


def summary(changes: list[dict[str, str]]) -> list[tuple[str, str, str]]:
    return [(c["level"], c["rule"], c["pointer"]) for c in changes]


def test_max_length_on_the_project_id_is_breaking(capsys: pytest.CaptureFixture[str]) -> None:
    code, found = report(capsys, "maxlength_project_id.yaml")
    assert code == 1
    assert summary(found["changes"]) == [
        ("breaking", "request-maxLength-narrowed", f"{PARAMETERS}/0/schema/maxLength")
    ]


def test_one_element_all_of_around_data_is_no_change(capsys: pytest.CaptureFixture[str]) -> None:
    code, found = report(capsys, "allof_wrapped_data.yaml")
    assert (code, found["changes"]) == (0, [])


def test_uuid_format_dropped_from_a_request_parameter_is_compatible(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, found = report(capsys, "uuid_format_dropped.yaml")
    assert code == 0
    assert summary(found["changes"]) == [
        ("compatible", "request-format-removed", f"{PARAMETERS}/1/schema/format")
    ]


def test_recursive_schema_is_compared_and_equal(capsys: pytest.CaptureFixture[str]) -> None:
    base = str(REGRESSIONS / "recursive_base.yaml")
    code, found = report(capsys, "recursive_same.yaml", "--base", base)
    assert (code, found["changes"]) == (0, [])


def test_change_in_a_recursive_schema_is_found_once(capsys: pytest.CaptureFixture[str]) -> None:
    base = str(REGRESSIONS / "recursive_base.yaml")
    code, found = report(capsys, "recursive_changed.yaml", "--base", base)
    assert code == 1
    [(level, rule, pointer)] = summary(found["changes"])
    assert (level, rule) == ("breaking", "response-format-changed")
    assert pointer.endswith("/schema/properties/meta/properties/timestamp/format")
