"""contract-report.html on its own: escaping, masking, every failure, red when stopped."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from html_page import Page

from devtune_contract.constants import HTML_REPORT, SUMMARY_REPORT
from devtune_contract.credentials import API_KEY_PREFIX
from devtune_contract.masking import Redactor
from devtune_contract.suite.engine.ledger import FailureRecord, Ledger
from devtune_contract.suite.reports import files as reports
from devtune_contract.suite.reports import html as html_report
from devtune_contract.suite.reports.files import ExitCode

MARKUP = (
    "<script>alert(1)</script>",
    "</pre></td></table><h1>forged</h1>",
    "<img src=x onerror=alert(1)>",
    '" onmouseover="alert(2)" x=\'',
)
TEMPLATE_EXPRESSION = "{{ 7 * 7 }}"  # data is never evaluated as a template
ANY_HOSTILE = " ".join((*MARKUP, TEMPLATE_EXPRESSION))


def hostile_summary(exit_code: int = ExitCode.CONTRACT_FAILED) -> dict[str, Any]:
    """A summary where every string the server or the run could have put there is hostile."""
    return {
        "verdict": reports.verdict_of(exit_code),
        "outcome": reports.outcome_of(exit_code),
        "exit_code": exit_code,
        "reason": f"stopped: {ANY_HOSTILE}",
        "target": f"http://127.0.0.1:9/{ANY_HOSTILE}",
        "seed": 42,
        "timestamp": "2026-12-01T20:00:00Z",
        "requests": 3,
        "checks": {
            "error_hygiene": {
                "verdict": "fail",
                "evaluated": 3,
                "applied": 2,
                "failed": 1,
                "first_failure": ANY_HOSTILE,
            }
        },
        "scenarios": {f"test_x[{ANY_HOSTILE}]": {"verdict": "fail", "detail": ANY_HOSTILE}},
        "failures": [
            {
                "test": f"test_x[{ANY_HOSTILE}]",
                "headline": ANY_HOSTILE,
                "request": f'curl -sS -X POST "http://127.0.0.1:9/{ANY_HOSTILE}"',
                "response": f'HTTP 404\n\n{{"message": "{ANY_HOSTILE}"}}',
                "details": None,
            }
        ],
    }


def test_everything_the_server_sent_shows_as_text() -> None:
    markup = html_report.render(hostile_summary())
    page = Page.parse(markup)
    page.assert_inert()
    assert page.tags.count("h1") == 1  # the page's own heading, not the forged one
    for hostile in MARKUP:
        assert hostile not in markup  # escaped in the file...
        assert hostile in page.text  # ...and shown as written
    assert TEMPLATE_EXPRESSION in page.text


def test_the_verdict_comes_first_and_every_failing_test_appears() -> None:
    summary = hostile_summary()
    names = ["test_unknown_webhook_is_not_found", "test_generated_requests_in_project"]
    summary["scenarios"] = {
        "test_missing_key_is_unauthorized": {"verdict": "pass", "detail": ""},
        **{name: {"verdict": "fail", "detail": "error_hygiene: boom"} for name in names},
    }
    summary["failures"] = [
        {"test": name, "headline": f"{name} broke", "request": "curl", "response": "HTTP 404"}
        for name in names
    ]
    text = Page.parse(html_report.render(summary)).text
    assert text.split()[3] == "FAIL", text[:200]  # after the heading "DevTune contract report"
    tests, failures = text.split("Failures", 1)
    for name in names:
        assert name in tests
        assert f"{name} broke" in failures
    assert "test_missing_key_is_unauthorized" in tests


def test_a_passing_run_is_green() -> None:
    summary = {**hostile_summary(ExitCode.PASSED), "scenarios": {}, "failures": [], "checks": {}}
    markup = html_report.render(summary)
    assert 'class="verdict pass"' in markup
    assert Page.parse(markup).text.split()[3] == "PASS"


def test_keys_and_secrets_are_shown_masked_only(tmp_path: Path) -> None:
    key = API_KEY_PREFIX + secrets.token_hex(32)
    secret = secrets.token_urlsafe(32)
    redactor = Redactor([key])
    redactor.add(secret)
    ledger = Ledger(seed=7)
    said = f"Authorization: Bearer {key} returned secret {secret}"
    ledger.record_scenario("test_x", "fail", redactor.redact(said))
    ledger.record_failure(
        FailureRecord("test_x", redactor.redact(said), redactor.redact(said), redactor.redact(said))
    )
    reports.write_summary(tmp_path, ledger.as_dict("http://127.0.0.1:9", "contract-failed", 1))
    for name in (HTML_REPORT, SUMMARY_REPORT):
        written = (tmp_path / name).read_text()
        assert key not in written, name
        assert secret not in written, name
        assert key[len(API_KEY_PREFIX) :][:16] not in written, name
        assert "dtk_live_" in written  # the mask names the kind of value
    text = Page.parse((tmp_path / HTML_REPORT).read_text()).text
    assert text.count("test_x") == 2  # in the tests table and as the failure's heading


@pytest.mark.parametrize(
    ("code", "kind"),
    [(ExitCode.BAD_SETTINGS, "bad-settings"), (ExitCode.CONFIGURATION, "configuration")],
)
def test_a_stopped_run_writes_a_red_report(tmp_path: Path, code: ExitCode, kind: str) -> None:
    (tmp_path / HTML_REPORT).write_text("<p>PASS from an earlier run</p>")
    reports.clear(tmp_path)
    assert not (tmp_path / HTML_REPORT).exists()
    reports.write_stopped(tmp_path, code, "the write key is read-only", summary={"seed": 3})
    markup = (tmp_path / HTML_REPORT).read_text()
    assert 'class="verdict fail"' in markup
    text = Page.parse(markup).text
    assert f"STOPPED: {kind}" in text
    assert f"exit code {int(code)}" in text
    assert "the write key is read-only" in text
    summary = json.loads((tmp_path / SUMMARY_REPORT).read_text())
    assert (summary["verdict"], summary["failures"]) == ("stopped", [])


def test_the_json_and_the_page_say_the_same_verdict(tmp_path: Path) -> None:
    for code, verdict in ((0, "pass"), (1, "fail"), (ExitCode.UNREACHABLE, "stopped")):
        ledger = Ledger(seed=1)
        reports.write_summary(tmp_path, ledger.as_dict("t", reports.outcome_of(code), code))
        assert json.loads((tmp_path / SUMMARY_REPORT).read_text())["verdict"] == verdict
        shown = "pass" if verdict == "pass" else "fail"
        assert f'class="verdict {shown}"' in (tmp_path / HTML_REPORT).read_text()


def test_a_rate_limited_run_says_what_stopped_it_and_its_remarks() -> None:
    """Exit 9 is not a broken server: the page says what the code means, and the run's notes."""
    summary = {
        **hostile_summary(ExitCode.RATE_LIMITED),
        "remarks": [f"shared key: another client used 35 requests {MARKUP[0]}"],
    }
    page = Page.parse(html_report.render(summary))
    assert "STOPPED: rate-limited" in page.text
    assert "or after every wait for the reset: the quota is spent" in page.text
    assert f"another client used 35 requests {MARKUP[0]}" in page.text  # shown, as text
    page.assert_inert()
