"""The suite has teeth: it fails against every broken variant, for the right reason, and passes
against the reference server in every legitimate configuration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from suite_runner import SuiteRun, run_suite

from devtune_contract.faults import FAULTS, Fault
from devtune_contract.server import Policy, ServerConfig
from devtune_contract.suite.embedded import EmbeddedServer


class RecordingPolicy(Policy):
    """Remembers every secret it hands out, so the test can look for leaks."""

    issued: list[str]

    def new_secret(self) -> str:
        secret = super().new_secret()
        self.issued.append(secret)
        return secret


def recording(policy: type[Policy]) -> type[Policy]:
    return type(f"Recording{policy.__name__}", (RecordingPolicy, policy), {"issued": []})


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[EmbeddedServer]:
    policy, config = request.param
    server = EmbeddedServer(config, policy=recording(policy))
    yield server
    server.close()


def assert_nothing_leaked(run: SuiteRun, server: EmbeddedServer) -> None:
    secrets = [server.demo.write_key, server.demo.read_only_key, *server.policy.issued]  # type: ignore[attr-defined]
    # Count, never show: an assertion that printed the value would leak it itself.
    in_output = sum(secret in run.output for secret in secrets)
    in_reports = sum(secret in run.reports for secret in secrets)
    assert in_output == 0, f"{in_output} keys or secrets appeared in the suite's output"
    assert in_reports == 0, f"{in_reports} keys or secrets appeared in a report file"


@pytest.mark.parametrize(
    "served",
    [pytest.param((f.policy, None), id=f.name) for f in FAULTS.values()],
    indirect=True,
)
def test_suite_catches_broken_variant(
    served: EmbeddedServer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    fault: Fault = FAULTS[request.node.callspec.id]
    run = run_suite({**served.environment(), **fault.environment}, tmp_path)
    assert run.returncode != 0, f"the suite passed against {fault.name}: {fault.summary}"
    assert run.failed_names() & fault.caught_by, (
        f"{fault.name} failed the suite, but not through {sorted(fault.caught_by)}; "
        f"failed: {sorted(run.failed_names())}"
    )
    assert_nothing_leaked(run, served)


LEGITIMATE = [
    pytest.param((Policy, ServerConfig()), id="reference-defaults"),
    pytest.param((Policy, ServerConfig(rate_limit_headers="on_429")), id="headers-only-on-429"),
    pytest.param((Policy, ServerConfig(rate_limit=100_000)), id="quota-never-reached"),
    pytest.param((Policy, ServerConfig(rate_limit=25, rate_window=15)), id="small-quota"),
    pytest.param((Policy, ServerConfig(secret_format="whsec")), id="whsec-secrets"),
]


@pytest.mark.parametrize("served", LEGITIMATE, indirect=True)
def test_suite_passes_conforming_server(served: EmbeddedServer, tmp_path: Path) -> None:
    run = run_suite(served.environment(), tmp_path)
    assert run.returncode == 0, (
        f"the suite failed a conforming server: {sorted(run.failed_names())}"
    )
    assert (tmp_path / "contract-junit.xml").is_file()
    assert "DevTune contract summary" in run.output
    assert_nothing_leaked(run, served)


def test_fault_catalogue_covers_every_category() -> None:
    categories = {fault.category for fault in FAULTS.values()}
    assert len(FAULTS) >= 20
    assert categories == {
        "generated",
        "scenario",
        "envelope",
        "secret",
        "rate-limit",
        "good-citizen",
        "secrecy",
    }
