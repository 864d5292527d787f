"""How the suite treats bad targets and bad settings: one line, non-zero, nothing sent."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from suite_runner import SuiteRun, run_suite

from devtune_contract.server import ServerConfig
from devtune_contract.suite.embedded import EmbeddedServer

KEY = "dtk_live_" + "0" * 64
ERROR_PREFIX = "devtune-contract check: "
BAD_SETTINGS, UNREACHABLE, NO_TESTS = 6, 8, 5
PREFLIGHT_REQUESTS = 3  # unauthenticated, write key, read-only key: all to random webhooks
IDS = {
    "DEVTUNE_API_KEY": KEY,
    "DEVTUNE_PROJECT_ID": "00000000-0000-0000-0000-000000000001",
    "DEVTUNE_WEBHOOK_ID": "00000000-0000-0000-0000-000000000002",
}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    yield int(listener.getsockname()[1])
    for connection in accepted:
        connection.close()
    listener.close()


def assert_one_line_error(output: str, fragment: str) -> None:
    errors = [line for line in output.splitlines() if line.startswith(ERROR_PREFIX)]
    assert len(errors) == 1, output
    assert fragment in errors[0]
    assert "Traceback" not in output
    assert KEY not in output


def test_unreachable_host_is_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/api/v2"
    run = run_suite({**IDS, "DEVTUNE_BASE_URL": url}, tmp_path)
    assert run.returncode == UNREACHABLE
    assert_one_line_error(run.output, "connection refused")


def test_hanging_server_fails_within_the_timeout(tmp_path: Path, silent_server: int) -> None:
    url = f"http://127.0.0.1:{silent_server}/api/v2"
    run = run_suite({**IDS, "DEVTUNE_BASE_URL": url, "DEVTUNE_REQUEST_TIMEOUT": "1"}, tmp_path)
    assert run.returncode == UNREACHABLE
    assert_one_line_error(run.output, "no response from")


def test_production_is_refused_before_any_request(tmp_path: Path) -> None:
    run = run_suite({**IDS, "DEVTUNE_BASE_URL": "https://devtune.ai/api/v2"}, tmp_path)
    assert run.returncode == BAD_SETTINGS
    assert_one_line_error(run.output, "refusing to run against the production host")


def test_missing_ids_are_named(tmp_path: Path) -> None:
    run = run_suite(
        {"DEVTUNE_BASE_URL": "http://127.0.0.1:9/api/v2", "DEVTUNE_API_KEY": KEY}, tmp_path
    )
    assert run.returncode == BAD_SETTINGS
    assert_one_line_error(run.output, "DEVTUNE_PROJECT_ID, DEVTUNE_WEBHOOK_ID")


def test_skips_are_listed_with_reasons(tmp_path: Path) -> None:
    server = EmbeddedServer()
    try:
        environment = server.environment()
        del environment["DEVTUNE_READONLY_API_KEY"]
        run = run_suite(environment, tmp_path)
    finally:
        server.close()
    assert run.returncode == 0
    assert "SKIP  test  test_read_only_key_is_forbidden" in run.output
    assert "DEVTUNE_READONLY_API_KEY is not set" in run.output


def run_against_reference(
    tmp_path: Path, config: ServerConfig | None = None, **settings: str
) -> SuiteRun:
    server = EmbeddedServer(config)
    try:
        return run_suite({**server.environment(), **settings}, tmp_path)
    finally:
        server.close()


def test_rotation_cap_is_never_exceeded(tmp_path: Path) -> None:
    run = run_against_reference(tmp_path, DEVTUNE_MAX_ROTATIONS="2")
    assert run.returncode == 0
    assert run.summary["rotations"] == 0
    verdict = run.summary["scenarios"]["test_rotation_returns_a_new_secret_each_time"]
    assert verdict["verdict"] == "skip"
    assert "rotation cap reached (DEVTUNE_MAX_ROTATIONS=2)" in verdict["detail"]


def test_a_demanded_rate_limit_that_never_comes_fails(tmp_path: Path) -> None:
    run = run_against_reference(
        tmp_path, ServerConfig(rate_limit=100_000), DEVTUNE_REQUIRE_RATE_LIMIT="1"
    )
    assert run.returncode == 1
    probe = run.summary["scenarios"]["test_rate_limit_is_enforced_with_documented_headers"]
    assert probe["verdict"] == "fail"
    assert "no 429 within 200 requests" in probe["detail"]


def test_the_deadline_stops_the_run(tmp_path: Path) -> None:
    run = run_against_reference(tmp_path, DEVTUNE_DEADLINE="0.001")
    assert run.returncode == 1
    assert "the run passed its deadline of 0.001 s (DEVTUNE_DEADLINE)" in run.output
    assert run.summary["requests"] == PREFLIGHT_REQUESTS  # nothing after the preflight


def test_a_selection_that_runs_nothing_is_red(tmp_path: Path) -> None:
    """``check -k typo`` exits 5; a green JUnit with 0 tests would pass a CI gate."""
    run = run_suite_selecting(tmp_path, "-k", "no_test_has_this_name")
    assert run.returncode == NO_TESTS
    assert run.summary["outcome"] == "no-tests"
    assert "no-tests: the run ended with exit code 5" in run.reports


def run_suite_selecting(report_dir: Path, *pytest_args: str) -> SuiteRun:
    server = EmbeddedServer()
    try:
        return run_suite({**server.environment(), "DEVTUNE_PROBE": "off"}, report_dir, *pytest_args)
    finally:
        server.close()
