"""Pipelines sharing a key (issue 21): a spent quota is reported as rate limited, not as a
contract failure, and a run that sees another client spending its key leaves the window alone.

Each test runs ``devtune-contract check`` in subprocesses against a reference server in this
process, the way two CI pipelines meet on one staging key.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import requests
from suite_runner import SuiteRun, run_suite
from teeth import FAULTS

from devtune_contract.server import Policy, ServerConfig
from devtune_contract.server.embedded import EmbeddedServer
from devtune_contract.server.policy import Reply, RotateRequest
from devtune_contract.server.ratelimit import RateLimitDecision, RateLimiter
from devtune_contract.server.storage import Store
from devtune_contract.suite.engine.quota import noise
from devtune_contract.suite.reports.files import ExitCode

PROBE = "test_rate_limit_is_enforced_with_documented_headers"
QUOTA = 300  # a run sends ~130 requests before the probe, the other client half as many


def junit_counts(report_dir: Path) -> dict[str, int]:
    suite = ET.parse(report_dir / "contract-junit.xml").getroot().find("testsuite")  # noqa: S314
    assert suite is not None
    return {name: int(suite.get(name, "0")) for name in ("failures", "errors", "skipped")}


def verdicts(run: SuiteRun) -> dict[str, list[str]]:
    by_verdict: dict[str, list[str]] = {}
    for name, scenario in run.summary["scenarios"].items():
        by_verdict.setdefault(scenario["verdict"], []).append(name)
    return by_verdict


def shared_remarks(run: SuiteRun) -> list[str]:
    return [r for r in run.summary.get("remarks", []) if r.startswith("shared key: ")]


@pytest.fixture
def short_window_server() -> Iterator[EmbeddedServer]:
    """The reference quota (100 requests) in a 10 s window instead of 60 s: two runs still
    spend it several times over and wait for its resets, in a sixth of the time."""
    embedded = EmbeddedServer(ServerConfig(rate_window=10))
    yield embedded
    embedded.close()


@pytest.mark.slow
def test_two_concurrent_default_runs_on_one_key_both_pass(
    short_window_server: EmbeddedServer, tmp_path: Path
) -> None:
    """The issue's reproduction: both runs failed with exit 1 and ~20 "429 asks for a 61 s wait"."""
    environment = short_window_server.environment()
    with ThreadPoolExecutor(2) as pool:
        runs = list(
            pool.map(lambda name: run_suite(environment, tmp_path / name), ("first", "second"))
        )
    for run in runs:
        assert run.returncode == 0, (run.summary.get("outcome"), verdicts(run), run.output[-3000:])
    # The two spent the quota between them and waited for its resets.
    assert sum(run.summary["rate_limited"] for run in runs) > 0
    # Each saw the other spending the key, unless one was done before the other began.
    assert any(shared_remarks(run) for run in runs), [run.summary["remarks"] for run in runs]


@pytest.fixture
def small_quota_server() -> Iterator[EmbeddedServer]:
    """20 requests per 30 s: a default run spends it during its generated requests."""
    embedded = EmbeddedServer(ServerConfig(rate_limit=20, rate_window=30))
    yield embedded
    embedded.close()


def test_a_spent_quota_beyond_patience_ends_rate_limited_with_one_junit_error(
    small_quota_server: EmbeddedServer, tmp_path: Path
) -> None:
    environment = {
        **small_quota_server.environment(),
        "DEVTUNE_MAX_RESET_WAIT": "1",
        "DEVTUNE_PROBE": "off",
    }
    run = run_suite(environment, tmp_path)
    assert run.returncode == ExitCode.RATE_LIMITED, run.output[-3000:]
    assert run.summary["outcome"] == "rate-limited"
    by_verdict = verdicts(run)
    assert "fail" not in by_verdict
    assert len(by_verdict["error"]) == 1  # reported once ...
    (errored,) = by_verdict["error"]
    detail = run.summary["scenarios"][errored]["detail"]
    assert detail.startswith("rate limited: 429 asks for a ")
    assert "more than DEVTUNE_MAX_RESET_WAIT=1: the key's quota is spent" in detail
    skipped_for_it = [
        name
        for name in by_verdict["skip"]
        if f"reported once, as the error of {errored}" in run.summary["scenarios"][name]["detail"]
    ]
    assert skipped_for_it  # ... and the tests after it that needed the key are skipped
    counts = junit_counts(tmp_path)
    assert counts["failures"] == 0
    assert counts["errors"] == 1
    assert counts["skipped"] >= len(skipped_for_it)
    assert "rate limited, not a contract failure (exit code 9)" in run.output


def test_a_contract_failure_beside_a_spent_quota_still_exits_1(tmp_path: Path) -> None:
    """``ignores_scopes`` lets the read-only key rotate; that key's quota is not spent."""
    fault = FAULTS["ignores_scopes"]
    server = EmbeddedServer(ServerConfig(rate_limit=20, rate_window=30), policy=fault.policy)
    try:
        environment = {
            **server.environment(),
            "DEVTUNE_MAX_RESET_WAIT": "1",
            "DEVTUNE_PROBE": "off",
        }
        run = run_suite(environment, tmp_path)
    finally:
        server.close()
    assert run.returncode == ExitCode.CONTRACT_FAILED, run.output[-3000:]
    assert "test_read_only_key_is_forbidden" in run.failed_names()
    assert verdicts(run).get("error"), "the spent quota is still reported, as an error"
    counts = junit_counts(tmp_path)
    assert counts["failures"] >= 1
    assert counts["errors"] >= 1


class NeverFreed(RateLimiter):
    """Once its quota is spent, every request is refused with a Reset a second away: what a
    run sees when another client takes the quota each time it frees, or when a server's Reset
    frees nothing."""

    spent = False

    def hit(self, key_id: str) -> RateLimitDecision:
        decision = super().hit(key_id)
        self.spent = self.spent or not decision.allowed
        if not self.spent:
            return decision
        return RateLimitDecision(False, self.limit, 0, math.ceil(time.time()) + 1)


class QuotaNeverFreed(Policy):
    def __init__(self, store: Store, config: ServerConfig | None = None) -> None:
        super().__init__(store, config)
        self.limiter = NeverFreed(self.config.rate_limit, self.config.rate_window)


def test_a_quota_that_never_frees_ends_rate_limited_naming_both_readings(
    tmp_path: Path,
) -> None:
    """Was: after three waits for the reset, the test failed as a contract break, although
    the run cannot tell a lying Reset from another client taking the quota first."""
    server = EmbeddedServer(ServerConfig(rate_limit=3), policy=QuotaNeverFreed)
    try:
        environment = {**server.environment(), "DEVTUNE_PROBE": "off"}
        run = run_suite(environment, tmp_path, "-k", "test_rotation_returns_a_new_secret_each_time")
    finally:
        server.close()
    assert run.returncode == ExitCode.RATE_LIMITED, run.output[-3000:]
    (errored,) = verdicts(run)["error"]
    detail = run.summary["scenarios"][errored]["detail"]
    assert detail.startswith(
        "rate limited: 429 again after each of 3 waits for X-RateLimit-Reset: "
    )
    assert "another client takes the quota as it frees, or the server's Reset frees nothing" in (
        detail
    )


OTHER_CLIENTS_WEBHOOK = str(uuid.uuid4())  # unknown: a 404, counted against the key


class CountingPolicy(Policy):
    """The reference behaviour, counting the requests that are not the other client's."""

    def __init__(self, store: Store, config: ServerConfig | None = None) -> None:
        super().__init__(store, config)
        self.from_the_run = 0

    async def handle(self, request: RotateRequest) -> Reply:
        if request.webhook_id != OTHER_CLIENTS_WEBHOOK:
            self.from_the_run += 1
        return await super().handle(request)


class OtherClient:
    """Another pipeline on the same key: one request for every two the run sends, in step
    with it however fast the machine is (requests to an unknown webhook: nothing rotates)."""

    def __init__(self, server: EmbeddedServer) -> None:
        assert isinstance(server.policy, CountingPolicy)
        self._policy = server.policy
        self._url = (
            f"{server.server.base_url}/projects/{server.demo.project_id}/webhooks/"
            f"{OTHER_CLIENTS_WEBHOOK}/rotate-secret"
        )
        self._headers = {"Authorization": f"Bearer {server.demo.write_key}"}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._spend, daemon=True)
        self.sent = 0

    def _spend(self) -> None:
        with requests.Session() as http:
            while not self._stop.wait(0.005):
                if 2 * self.sent >= self._policy.from_the_run:
                    continue
                self.sent += 1
                try:
                    http.post(self._url, headers=self._headers, timeout=10)
                except requests.RequestException:
                    continue  # counted or not, the next one follows the run again

    def __enter__(self) -> OtherClient:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture
def counting_server() -> Iterator[EmbeddedServer]:
    """Counting the run's requests; room for the run and the other client before the probe."""
    embedded = EmbeddedServer(ServerConfig(rate_limit=QUOTA), policy=CountingPolicy)
    yield embedded
    embedded.close()


def test_the_probe_turns_itself_off_when_another_client_spends_the_key(
    counting_server: EmbeddedServer, tmp_path: Path
) -> None:
    with OtherClient(counting_server) as other:
        run = run_suite(counting_server.environment(), tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    probe = run.summary["scenarios"][PROBE]
    assert probe["verdict"] == "skip"
    assert probe["detail"].startswith("the 429 probe turned itself off: another client used ")
    assert probe["detail"].endswith("DEVTUNE_PROBE=on runs it anyway")
    # It stops as soon as it sees the other client: before it starts, or a few requests in.
    assert run.summary["probe_requests"] <= 5
    (remark,) = shared_remarks(run)
    assert "requests of this key's window during the run" in remark
    assert "devtune-contract: the 429 probe turned itself off" in run.output
    assert other.sent > 2 * noise(QUOTA)


def test_dev_tune_probe_on_runs_the_probe_on_a_shared_key_anyway(
    counting_server: EmbeddedServer, tmp_path: Path
) -> None:
    environment = {**counting_server.environment(), "DEVTUNE_PROBE": "on"}
    with OtherClient(counting_server):
        run = run_suite(environment, tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    assert run.summary["probe_requests"] > 5
    assert run.summary["scenarios"][PROBE]["verdict"] == "pass"  # it met its 429
    assert shared_remarks(run)


def test_a_run_alone_on_its_key_sees_no_other_client(
    server: EmbeddedServer, tmp_path: Path
) -> None:
    run = run_suite(server.environment(), tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    assert run.summary["probe_requests"] > 0
    assert run.summary["remarks"] == []
