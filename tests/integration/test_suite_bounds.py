"""Issue 16 against misbehaving servers on loopback: every run ends within its bounds, with a red
report naming what came of the request (not sent, no answer), and a server that stops
listening mid-run is said once, not failed twenty times over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET  # our own report files, not untrusted input
from pathlib import Path

import pytest
from leaks import assert_nothing_leaked
from suite_gateway import Gateway, Misbehaviour, Rotations, endless, huge, trickle
from suite_runner import ROOT, SuiteRun, assert_junit_tells_the_truth, run_suite

from devtune_contract.server.embedded import EmbeddedServer
from devtune_contract.suite.engine.ledger import RED
from devtune_contract.suite.engine.unanswered import AnswerLost

UNKNOWN = AnswerLost.name
TIMEOUT = 2.0
# The run itself takes ~10 s on this machine; each bound adds at most a few timeouts.
RUN_BOUND = 60.0


def junit_messages(report_dir: Path, outcome: str) -> list[str]:
    root = ET.parse(report_dir / "contract-junit.xml").getroot()  # noqa: S314 (our own file)
    return [element.get("message", "") for element in root.iter(outcome)]


def through(server: EmbeddedServer, gateway: Gateway, **extra: str) -> dict[str, str]:
    return {**server.environment(), "DEVTUNE_BASE_URL": gateway.base_url(), **extra}


def run_misbehaving(
    server: EmbeddedServer,
    tmp_path: Path,
    misbehaviour: Misbehaviour,
    *args: str,
    **extra: str,
) -> SuiteRun:
    """The suite (with pytest ``args``) through a gateway that sends every rotation's 200 by
    ``misbehaviour``; the whole run must end within :data:`RUN_BOUND`."""
    gateway = Gateway(server.server.port, respond=Rotations(misbehaviour))
    started = time.monotonic()
    try:
        environment = through(server, gateway, DEVTUNE_PROBE="off", **extra)
        run = run_suite(environment, tmp_path, *args)
    finally:
        gateway.close()
    assert time.monotonic() - started < RUN_BOUND
    assert run.returncode == 1, run.output[-3000:]
    return run


def assert_leaked_nothing(run: SuiteRun, server: EmbeddedServer) -> None:
    assert_nothing_leaked(run, [server.demo.write_key, server.demo.read_only_key])


@pytest.mark.parametrize(
    ("misbehaviour", "why"),
    [
        pytest.param(trickle, "within 2 s (DEVTUNE_REQUEST_TIMEOUT)", id="trickling-body"),
        pytest.param(endless, "within 2 s (DEVTUNE_REQUEST_TIMEOUT)", id="endless-body"),
        pytest.param(huge, "larger than DEVTUNE_MAX_BODY_BYTES=1048576", id="huge-body"),
    ],
)
def test_a_body_that_never_completes_ends_the_request_in_time(
    server: EmbeddedServer, tmp_path: Path, misbehaviour: Misbehaviour, why: str
) -> None:
    """Was: a 200 trickling one byte every 2 s, or never ending, kept the run past 300 s."""
    run = run_misbehaving(
        server,
        tmp_path,
        misbehaviour,
        DEVTUNE_REQUEST_TIMEOUT=str(TIMEOUT),
        DEVTUNE_MAX_BODY_BYTES=str(1024 * 1024),
    )
    rotation = run.summary["scenarios"]["test_rotation_returns_a_new_secret_each_time"]
    assert rotation["detail"].startswith(f"{UNKNOWN}: "), rotation
    assert why in rotation["detail"]
    assert "counted against DEVTUNE_MAX_ROTATIONS" in rotation["detail"]
    errors = junit_messages(tmp_path, "error")
    assert any(message.startswith(f"{UNKNOWN}: ") for message in errors), errors
    assert_leaked_nothing(run, server)


def test_a_server_that_stops_listening_is_said_once_and_costs_no_rotation(
    server: EmbeddedServer, tmp_path: Path
) -> None:
    """Was: a refused connection was "outcome unknown", counted against the cap, and every
    remaining test failed with the same line."""
    gateway = Gateway(server.server.port, stop_listening_after=12)
    try:
        run = run_suite(through(server, gateway, DEVTUNE_PROBE="off"), tmp_path)
    finally:
        gateway.close()
    assert run.returncode == 1, run.output[-3000:]
    scenarios = run.summary["scenarios"]
    red = {name: s for name, s in scenarios.items() if s["verdict"] in RED}
    assert [s["verdict"] for s in red.values()] == ["error"], red
    (detail,) = (s["detail"] for s in red.values())
    assert detail.startswith("not sent: cannot reach "), detail
    assert "connection refused" in detail
    assert "the server stopped answering mid-run" in detail
    skipped = [s["detail"] for s in scenarios.values() if s["verdict"] == "skip"]
    assert len(skipped) >= 10
    assert {d.split(":")[0] for d in skipped} == {"the server stopped answering"}
    assert run.summary["lost_responses"] == 0
    assert run.summary["rotations"] == 0
    assert [m for m in junit_messages(tmp_path, "error") if m.startswith("not sent: ")]


def test_the_deadline_abandons_the_request_in_flight(
    server: EmbeddedServer, tmp_path: Path
) -> None:
    """Was: DEVTUNE_DEADLINE was looked at only before a request, never during one.

    The run's first rotation comes right after the preflight, and its endless body holds it
    until the deadline."""
    run = run_misbehaving(
        server,
        tmp_path,
        endless,
        *("-k", "test_rotation_returns_a_new_secret_each_time"),
        DEVTUNE_REQUEST_TIMEOUT="120",
        DEVTUNE_DEADLINE="5",
    )
    assert "stopped: deadline: " in run.output
    assert run.summary["reason"].startswith("deadline: ")
    assert run.summary["reason"].endswith("the request in flight was abandoned")
    assert run.summary["lost_responses"] == 1
    assert any(m.startswith("deadline: ") for m in junit_messages(tmp_path, "error"))


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_signal_still_writes_a_red_report(
    server: EmbeddedServer, tmp_path: Path, signal_number: int
) -> None:
    """Was: CI's SIGTERM on a job timeout left no JUnit at all."""
    gateway = Gateway(server.server.port, respond=Rotations(endless))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DEVTUNE_")} | through(
        server,
        gateway,
        DEVTUNE_REQUEST_TIMEOUT="300",
        DEVTUNE_PROBE="off",
        DEVTUNE_REPORT_DIR=str(tmp_path),
    )
    command = [sys.executable, "-m", "devtune_contract.cli", "check"]
    process = subprocess.Popen(  # noqa: S603
        command, env=environment, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while gateway.requests < 25 and time.monotonic() < deadline:
            time.sleep(0.2)  # until the run is in its tests (a rotation hangs there)
        time.sleep(1)
        process.send_signal(signal_number)
        output, _ = process.communicate(timeout=30)
    finally:
        process.kill()
        gateway.close()
    name = signal.Signals(signal_number).name
    assert process.returncode != 0
    assert_junit_tells_the_truth(tmp_path / "contract-junit.xml", process.returncode)
    assert any(m.startswith(f"interrupted: {name}") for m in junit_messages(tmp_path, "error")), (
        output.decode(errors="replace")[-2000:]
    )
    summary = (tmp_path / "contract-summary.json").read_text()
    assert f'"reason": "interrupted: {name}"' in summary
