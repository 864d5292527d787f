"""Issue 11 against faulty servers and gateways on loopback: each defect reproduced, then held.

No hidden re-rotation, a cap that keeps every authentication test, a misconfiguration said as
such, reports CI can trust, secrets masked whatever their field is called.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # our own report files, not untrusted input
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from leaks import assert_nothing_leaked
from suite_gateway import FirstOk, Gateway
from suite_runner import SuiteRun, run_suite
from teeth import FAULTS

from devtune_contract.server import Policy, ServerConfig
from devtune_contract.server.embedded import EmbeddedServer
from devtune_contract.server.policy import Reply, RequestContext, RotateRequest
from devtune_contract.server.storage import Webhook
from devtune_contract.suite.engine.unanswered import AnswerLost

CONFIGURATION, BAD_SETTINGS, UNREACHABLE = 7, 6, 8
REFUSALS = (
    "test_missing_key_is_unauthorized",
    "test_malformed_authorization_is_unauthorized",
    "test_unknown_key_is_unauthorized",
    "test_nearly_right_key_is_unauthorized",
    "test_read_only_key_is_forbidden",
    "test_foreign_webhook_is_not_rotated",
    "test_webhook_under_another_project_is_not_rotated",
)

# Each test here runs the whole suite, a build or a type check: seconds each.
pytestmark = pytest.mark.slow


class CountingPolicy(Policy):
    """Counts the rotations the server really made."""

    rotations = 0

    def new_secret(self, context: RequestContext, webhook: Webhook) -> str:
        type(self).rotations += 1
        return super().new_secret(context, webhook)


class RenamedSecretPolicy(CountingPolicy):
    """Staging renamed the field: ``data.signingSecret`` instead of ``data.secret``."""

    issued: list[str] = []  # noqa: RUF012

    async def handle(self, request: RotateRequest) -> Reply:
        outcome = await super().handle(request)
        if outcome.status != 200:
            return outcome
        secret = outcome.body["data"]["secret"]
        type(self).issued.append(secret)
        return attrs.evolve(outcome, body={**outcome.body, "data": {"signingSecret": secret}})


def fresh(policy: type[Policy]) -> type[Policy]:
    """A subclass with its own counters, so parallel tests never share them."""
    return type(policy.__name__, (policy,), {"rotations": 0, "issued": []})


@pytest.fixture
def counted() -> Iterator[EmbeddedServer]:
    server = EmbeddedServer(policy=fresh(CountingPolicy))
    yield server
    server.close()


def verdicts(run: SuiteRun, prefix: str) -> set[str]:
    return {s["verdict"] for name, s in run.summary["scenarios"].items() if name.startswith(prefix)}


def test_a_lost_rotation_is_never_resent_and_counts(
    tmp_path: Path, counted: EmbeddedServer
) -> None:
    """Was: a gateway dropping the first 200 made the server rotate 4 times under a cap of 3."""
    gateway = Gateway(counted.server.port, drop=FirstOk())
    try:
        environment = {**counted.environment(), "DEVTUNE_BASE_URL": gateway.base_url()}
        run = run_suite({**environment, "DEVTUNE_MAX_ROTATIONS": "3"}, tmp_path)
    finally:
        gateway.close()
    made = counted.policy.rotations  # type: ignore[attr-defined]
    assert made <= 3, f"the server rotated {made} times under DEVTUNE_MAX_ROTATIONS=3"
    assert run.returncode == 1
    rotation = run.summary["scenarios"]["test_rotation_returns_a_new_secret_each_time"]
    assert rotation["verdict"] == "error"  # the network failed: not judged, not passed
    assert rotation["detail"].startswith(f"{AnswerLost.name}: ")
    assert "secret may have rotated: counted against DEVTUNE_MAX_ROTATIONS" in rotation["detail"]
    assert run.summary["lost_responses"] == 1
    burst = run.summary["scenarios"]["test_concurrent_rotations_return_distinct_secrets"]
    assert burst["verdict"] == "skip"
    assert "rotation cap reached" in burst["detail"]


def test_a_tight_cap_still_runs_every_authentication_test(
    tmp_path: Path, counted: EmbeddedServer
) -> None:
    """Was: with a tight cap the refusals were skipped as "could rotate" and the run exited 0."""
    run = run_suite({**counted.environment(), "DEVTUNE_MAX_ROTATIONS": "1"}, tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    for test in REFUSALS:
        assert verdicts(run, test) == {"pass"}, test
    assert counted.policy.rotations <= 1  # type: ignore[attr-defined]
    assert verdicts(run, "test_rotation_returns_a_new_secret_each_time") == {"skip"}


def test_the_default_cap_allows_the_whole_default_run(
    tmp_path: Path, counted: EmbeddedServer
) -> None:
    run = run_suite(counted.environment(), tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    skipped = {n for n, s in run.summary["scenarios"].items() if s["verdict"] == "skip"}
    assert skipped == set()
    assert run.summary["rotations"] == counted.policy.rotations  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"prefix": ""}, "no API at this base URL", id="base-url-without-api-v2"),
        pytest.param({"DEVTUNE_API_KEY": "unknown"}, "DEVTUNE_API_KEY refused (401)", id="key"),
        pytest.param(
            {"DEVTUNE_PROJECT_ID": "foreign"},
            "the key cannot reach DEVTUNE_PROJECT_ID (403)",
            id="project",
        ),
        pytest.param(
            {"DEVTUNE_READONLY_API_KEY": "unknown"},
            "DEVTUNE_READONLY_API_KEY refused (401): either the key is wrong, or the server "
            "answers 401 where the contract documents 403",
            id="read-only-key",
        ),
    ],
)
def test_a_misconfiguration_is_said_as_such(
    tmp_path: Path, counted: EmbeddedServer, change: dict[str, str], message: str
) -> None:
    """Was: exit 1 with "got 404, expected 401" lines, and the probe still spent 200 requests."""
    environment = counted.environment()
    if "prefix" in change:
        environment["DEVTUNE_BASE_URL"] = counted.server.base_url.removesuffix("/api/v2")
    for variable in ("DEVTUNE_API_KEY", "DEVTUNE_READONLY_API_KEY"):
        if change.get(variable) == "unknown":
            environment[variable] = "dtk_live_" + "ab" * 32
    if change.get("DEVTUNE_PROJECT_ID") == "foreign":
        environment["DEVTUNE_PROJECT_ID"] = counted.demo.foreign_project_id
        environment["DEVTUNE_WEBHOOK_ID"] = counted.demo.foreign_webhook_id
        del environment["DEVTUNE_FOREIGN_WEBHOOK_ID"]
    run = run_suite(environment, tmp_path)
    assert run.returncode == CONFIGURATION
    errors = [line for line in run.output.splitlines() if line.startswith("devtune-contract")]
    assert any(message in line for line in errors), run.output[-2000:]
    assert run.summary["outcome"] == "configuration"
    assert_red_report(tmp_path, "configuration")
    assert run.summary["requests"] <= 4  # the preflight only: no probe, no tests
    assert counted.policy.rotations == 0  # type: ignore[attr-defined]


def assert_red_report(report_dir: Path, kind: str) -> None:
    """The page a person reads says the run stopped, and why, whatever stopped it."""
    report = (report_dir / "contract-report.html").read_text()
    assert 'class="verdict fail"' in report
    assert f"STOPPED: {kind}" in report
    assert "Why it stopped:" in report


def junit_errors(report_dir: Path) -> list[ET.Element]:
    root = ET.parse(report_dir / "contract-junit.xml").getroot()  # noqa: S314 (our own file)
    return [*root.iter("error"), *root.iter("failure")]


@pytest.mark.parametrize(
    ("environment", "code", "kind"),
    [
        pytest.param(
            {"DEVTUNE_BASE_URL": "http://127.0.0.1:9/api/v2"},
            BAD_SETTINGS,
            "bad-settings",
            id="bad-settings",
        ),
        pytest.param(
            {
                "DEVTUNE_BASE_URL": "http://127.0.0.1:9/api/v2",
                "DEVTUNE_API_KEY": "dtk_live_" + "0" * 64,
                "DEVTUNE_PROJECT_ID": "00000000-0000-0000-0000-000000000001",
                "DEVTUNE_WEBHOOK_ID": "00000000-0000-0000-0000-000000000002",
            },
            UNREACHABLE,
            "unreachable",
            id="unreachable",
        ),
    ],
)
def test_a_stopped_run_replaces_the_previous_green_report(
    tmp_path: Path, environment: dict[str, str], code: int, kind: str
) -> None:
    """Was: a run stopped before the tests left the previous run's green JUnit in place."""
    (tmp_path / "contract-junit.xml").write_text('<testsuites><testsuite tests="1"/></testsuites>')
    (tmp_path / "contract-summary.json").write_text('{"outcome": "passed"}')
    (tmp_path / "contract-report.html").write_text("<p>PASS</p>")
    run = run_suite(environment, tmp_path)
    assert run.returncode == code
    errors = junit_errors(tmp_path)
    assert len(errors) == 1
    assert errors[0].get("message", "").startswith(f"{kind}: ")
    summary = json.loads((tmp_path / "contract-summary.json").read_text())
    assert (summary["outcome"], summary["exit_code"]) == (kind, code)
    assert_red_report(tmp_path, kind)


def test_credentials_in_the_base_url_are_refused_unshown(tmp_path: Path) -> None:
    password = "hunter2-do-not-print"
    url = f"http://qa:{password}@127.0.0.1:9/api/v2"
    run = run_suite({"DEVTUNE_BASE_URL": url}, tmp_path)
    assert run.returncode == BAD_SETTINGS
    assert "must not carry credentials" in run.output
    assert password not in run.output
    assert password not in run.reports


@pytest.fixture
def renamed() -> Iterator[EmbeddedServer]:
    server = EmbeddedServer(policy=fresh(RenamedSecretPolicy))
    yield server
    server.close()


def test_a_renamed_secret_field_is_masked_and_failures_are_ci_shaped(
    tmp_path: Path, renamed: EmbeddedServer
) -> None:
    """Was: ``data.signingSecret`` printed in clear; JUnit messages were traceback walls."""
    run = run_suite(renamed.environment(), tmp_path)
    assert run.returncode == 1
    issued = renamed.policy.issued  # type: ignore[attr-defined]
    assert issued
    assert_nothing_leaked(run, [*issued, renamed.demo.write_key, renamed.demo.read_only_key])
    failures = junit_errors(tmp_path)
    assert failures
    for failure in failures:
        message = failure.get("message", "")
        assert "\n" not in message
        assert "Exception Group" not in message
        assert "distinct failures" not in message
        assert "(status " in message or "got " in message, message
    bodies = "\n".join(failure.text or "" for failure in failures)
    assert "curl -sS -X POST" in bodies
    assert "Bearer $DEVTUNE_API_KEY" in bodies
    assert "# WARNING: this request can rotate the webhook's secret" in bodies
    assert "…(" in bodies  # the masked secret is shown as prefix and length, once
    assert "…(15 chars)" not in bodies


def test_checks_that_never_applied_are_not_passed(tmp_path: Path) -> None:
    server = EmbeddedServer(ServerConfig(rate_limit=100_000))
    try:
        run = run_suite({**server.environment(), "DEVTUNE_PROBE": "off"}, tmp_path)
    finally:
        server.close()
    assert run.returncode == 0
    assert run.summary["checks"]["rate_limited_response"]["verdict"] == "n/a"
    assert run.summary["checks"]["success_envelope"]["verdict"] == "pass"
    probe = run.summary["scenarios"]["test_rate_limit_is_enforced_with_documented_headers"]
    assert probe["verdict"] == "skip"
    assert "DEVTUNE_PROBE=off" in probe["detail"]
    assert run.summary["probe_requests"] == 0


def test_the_seed_is_printed_recorded_and_fixes_the_generated_requests(tmp_path: Path) -> None:
    runs = []
    for name in ("first", "second"):
        server = EmbeddedServer(ServerConfig(rate_limit=100_000))  # no 429 waits to vary counts
        try:
            environment = {**server.environment(), "DEVTUNE_SEED": "1234", "DEVTUNE_PROBE": "off"}
            runs.append(run_suite(environment, tmp_path / name))
        finally:
            server.close()
    first, second = runs
    assert "DEVTUNE_SEED=1234" in first.output
    assert first.summary["seed"] == second.summary["seed"] == 1234
    assert first.summary["timestamp"]
    evaluated = [{n: c["evaluated"] for n, c in r.summary["checks"].items()} for r in runs]
    assert evaluated[0] == evaluated[1]
    assert first.summary["requests"] == second.summary["requests"]


def test_checks_are_selected_by_name(tmp_path: Path, counted: EmbeddedServer) -> None:
    environment = {
        **counted.environment(),
        "DEVTUNE_CHECKS": "json_content_type,not_a_server_error",
        "DEVTUNE_PROBE": "off",
    }
    run = run_suite(environment, tmp_path)
    assert run.returncode == 0
    assert set(run.summary["checks"]) == {"json_content_type", "not_a_server_error"}
    unknown = run_suite({**environment, "DEVTUNE_CHECKS": "no_such_check"}, tmp_path)
    assert unknown.returncode == BAD_SETTINGS
    assert "unknown check no_such_check" in unknown.output


def test_the_probe_turns_itself_off_when_it_cannot_finish_in_time(tmp_path: Path) -> None:
    server = EmbeddedServer(ServerConfig(rate_limit=1_000_000))
    try:
        environment = {
            **server.environment(),
            "DEVTUNE_PROBE_MAX_REQUESTS": "1000000",
            "DEVTUNE_DEADLINE": "60",
        }
        run = run_suite(environment, tmp_path, "-k", "rate_limit_is_enforced")
    finally:
        server.close()
    assert run.returncode == 0, run.output[-2000:]
    probe = run.summary["scenarios"]["test_rate_limit_is_enforced_with_documented_headers"]
    assert probe["verdict"] == "skip"
    assert "the probe turned itself off" in probe["detail"]
    assert run.summary["probe_requests"] == 10


def test_a_generated_failure_is_one_junit_line(tmp_path: Path) -> None:
    """Was: the JUnit message began with ``+ Exception Group Traceback``, and the summary said
    "Schemathesis found 2 distinct failures"."""
    server = EmbeddedServer(policy=FAULTS["undocumented_status_for_unknown_webhook"].policy)
    try:
        environment = {**server.environment(), "DEVTUNE_PROBE": "off"}
        run = run_suite(environment, tmp_path, "-k", "generated_requests_in_project")
    finally:
        server.close()
    assert run.returncode == 1
    messages = [failure.get("message", "") for failure in junit_errors(tmp_path)]
    assert messages
    for message in messages:
        assert "\n" not in message
        assert "Exception Group" not in message
    assert any(m.startswith("status_code_conformance: ") for m in messages), messages
    verdict = run.summary["scenarios"]["test_generated_requests_in_project"]
    assert verdict["verdict"] == "fail"
    assert "distinct failures" not in verdict["detail"]
    assert "(status 422)" in verdict["detail"]


def test_a_long_wait_prints_one_progress_line(tmp_path: Path) -> None:
    """Was: waits of ~50 s for a rate-limit reset happened in silence."""
    server = EmbeddedServer(ServerConfig(rate_limit=1, rate_window=5))
    try:
        environment = {**server.environment(), "DEVTUNE_PROBE": "off"}
        run = run_suite(environment, tmp_path, "-k", "malformed_ids and projectId-word")
    finally:
        server.close()
    assert run.returncode == 0, run.output[-2000:]
    waits = [line for line in run.output.splitlines() if "waiting" in line]
    assert waits, run.output[-2000:]
    assert all(
        line.startswith("devtune-contract: waiting ")
        and line.endswith(" s: rate limited (429) until X-RateLimit-Reset")
        for line in waits
    ), waits


def test_bad_pytest_arguments_still_leave_reports(tmp_path: Path, counted: EmbeddedServer) -> None:
    run = run_suite(counted.environment(), tmp_path, "--no-such-option")
    assert run.returncode == 4  # pytest's own usage error
    errors = junit_errors(tmp_path)
    assert len(errors) == 1
    assert "pytest stopped before the tests with exit code 4" in errors[0].get("message", "")
    assert (run.summary["outcome"], run.summary["exit_code"]) == ("usage-error", 4)


def test_pace_spreads_the_requests_and_keeps_the_probe_off(
    tmp_path: Path, counted: EmbeddedServer
) -> None:
    environment = {**counted.environment(), "DEVTUNE_PACE": "4/1"}
    run = run_suite(environment, tmp_path, "-k", "malformed_ids or rate_limit_is_enforced")
    assert run.returncode == 0, run.output[-2000:]
    sent = run.summary["requests"] - 3  # after the preflight's three
    assert sent == 12
    assert run.summary["seconds"] >= (sent - 1) / 4  # unpaced, this takes about 1.3 s
    probe = run.summary["scenarios"]["test_rate_limit_is_enforced_with_documented_headers"]
    assert "DEVTUNE_PACE=4/1 keeps the run under the limit" in probe["detail"]
