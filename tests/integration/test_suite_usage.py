"""How the suite treats bad targets and bad settings: one line, non-zero, nothing sent."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from suite_runner import SUITE_TIMEOUT, SuiteRun, assert_junit_tells_the_truth, run_suite

from devtune_contract.check_command import usage
from devtune_contract.env_file import read_env_file
from devtune_contract.server import ServerConfig
from devtune_contract.server.embedded import EmbeddedServer

# Each test here runs the whole suite, a build or a type check: seconds each.
pytestmark = pytest.mark.slow

KEY = "dtk_live_" + "0" * 64
ERROR_PREFIX = "devtune-contract check: "
WARNING_PREFIX = ERROR_PREFIX + "warning: "
SERVER_START_TIMEOUT = 60
SERVER_AND_SUITE = (
    "devtune_contract.server",
    "devtune_contract.suite.adapter.runner",
    "devtune_contract.drift",
)
BAD_SETTINGS, UNREACHABLE, NO_TESTS = 6, 8, 5
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
    assert_one_line_error(run.output, "no complete response from")


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
    """The preflight is part of the run: a deadline that passed before it sends nothing."""
    run = run_against_reference(tmp_path, DEVTUNE_DEADLINE="0.001")
    assert run.returncode == 1
    assert "deadline: the run passed its deadline of 0.001 s (DEVTUNE_DEADLINE)" in run.output
    assert run.summary["requests"] == 0


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


def test_check_help_starts_nothing(tmp_path: Path) -> None:
    """``check --help`` prints the suite's usage: no server, no pytest, no report cleared."""
    report_dir = tmp_path / "reports"
    report_dir.mkdir()
    (report_dir / "contract-summary.json").write_text("{}")
    run = cli_run(["check", "--help"], {"DEVTUNE_REPORT_DIR": str(report_dir)})
    assert run.returncode == 0, run.stderr
    assert run.stdout == usage()
    assert "DevTune contract suite against" not in run.stdout + run.stderr
    assert (report_dir / "contract-summary.json").read_text() == "{}"
    heavy = ("pytest", "_pytest", "schemathesis", "uvicorn", *SERVER_AND_SUITE)
    imported = cli_run(
        [],
        {},
        code="import sys; from devtune_contract.cli import main; main(['check', '-h']); "
        f"print(sorted(m for m in sys.modules if m.startswith({heavy!r})), file=sys.stderr)",
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stderr.strip().splitlines()[-1] == "[]"


def test_serve_env_file_then_check_env_file_passes(tmp_path: Path) -> None:
    """Issue 20: ``serve --env-file`` in one shell, ``check --env-file`` in another, nothing
    exported: the run reaches that server with its demo credentials and passes."""
    env_file = tmp_path / "demo.env"
    port = closed_port()
    serve = ["serve", "--port", str(port), "--env-file", str(env_file)]
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "devtune_contract.cli", *serve],
        env=clean_environment(),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_listening(server, port)
        report_dir = tmp_path / "reports"
        run = cli_run(["check", "--env-file", str(env_file), "--report-dir", str(report_dir)], {})
    finally:
        server.terminate()
        server.wait(timeout=30)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    assert f"DevTune contract suite against http://127.0.0.1:{port}/api/v2" in output
    assert "warning" not in run.stderr  # serve writes the file with mode 600
    keys = [v for k, v in read_env_file(env_file).values.items() if k.endswith("API_KEY")]
    assert len(keys) == 2
    reports = "".join(p.read_text() for p in report_dir.iterdir())
    assert json.loads((report_dir / "contract-summary.json").read_text())["outcome"] == "passed"
    assert not [key for key in keys if key in output or key in reports]
    assert_junit_tells_the_truth(report_dir / "contract-junit.xml", run.returncode)


def test_a_key_given_as_a_flag_is_refused(tmp_path: Path) -> None:
    run = run_suite({}, tmp_path, "--api-key", KEY, "-k", "rotation")
    assert run.returncode == BAD_SETTINGS
    assert_one_line_error(run.output, "--api-key is refused: a key is never a flag")
    assert "shell history" in run.output
    assert run.summary["outcome"] == "bad-settings"
    assert KEY not in run.reports


def test_a_malformed_env_file_is_one_line_and_reported(tmp_path: Path) -> None:
    env_file = tmp_path / "staging.env"
    env_file.write_text(f"DEVTUNE_BASE_URL=http://127.0.0.1:9/api/v2\nDEVTUNE_API_KEY='{KEY}\n")
    env_file.chmod(0o600)
    run = run_suite({}, tmp_path / "reports", "--env-file", str(env_file))
    assert run.returncode == BAD_SETTINGS
    assert_one_line_error(run.output, f"{env_file} line 2: the single quote is not closed")
    assert WARNING_PREFIX not in run.output
    assert run.summary["outcome"] == "bad-settings"
    assert KEY not in run.reports


def test_a_file_others_can_read_is_read_with_one_warning(tmp_path: Path) -> None:
    env_file = tmp_path / "staging.env"
    env_file.write_text("DEVTUNE_SEED=abc\n")
    env_file.chmod(0o644)
    run = run_suite({}, tmp_path / "reports", "--env-file", str(env_file))
    assert run.returncode == BAD_SETTINGS  # the file was read: its bad seed is what stops the run
    lines = run.output.splitlines()
    warnings = [line for line in lines if line.startswith(WARNING_PREFIX)]
    assert warnings == [
        f"{WARNING_PREFIX}{env_file} is readable by others (mode 644), keys and all: "
        f"chmod 600 {env_file}"
    ]
    errors = "\n".join(line for line in lines if line not in warnings)
    assert_one_line_error(errors, "DEVTUNE_SEED must be a number, got 'abc'")


def clean_environment(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DEVTUNE_")}
    return {**base, **extra}


def cli_run(
    arguments: list[str], environment: dict[str, str], code: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``devtune-contract ARGUMENTS`` (or ``python -c CODE``) with no other DEVTUNE_* set."""
    command = ["-c", code] if code is not None else ["-m", "devtune_contract.cli", *arguments]
    return subprocess.run(  # noqa: S603
        [sys.executable, *command],
        env=clean_environment(**environment),
        capture_output=True,
        text=True,
        timeout=SUITE_TIMEOUT,
        check=False,
    )


def wait_until_listening(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, f"serve exited with {process.returncode}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.1)
            continue
        return
    raise AssertionError(f"serve did not listen on port {port} in {SERVER_START_TIMEOUT} s")
