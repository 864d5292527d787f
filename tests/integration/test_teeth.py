"""The suite has teeth: it fails against every broken variant, for the right reason, and passes
against the reference server in every legitimate configuration.

Each case runs the whole suite in a subprocess (3-5 s); run them in parallel with
``pytest -n 2 tests/integration/test_teeth.py`` (pytest-xdist).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from suite_runner import SuiteRun, run_suite

from devtune_contract.faults import FAULTS, Fault
from devtune_contract.server import Policy, RunningServer, ServerConfig, create_app
from devtune_contract.suite.embedded import EmbeddedServer
from devtune_contract.variants import VARIANTS, Variant, Wrapper


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
    policy, config, wrap = request.param
    server = EmbeddedServer(config, policy=recording(policy))
    if wrap is not None:
        server.server.stop()
        server.server = RunningServer(wrap(create_app(server.policy)))
    yield server
    server.close()


def assert_nothing_leaked(run: SuiteRun, server: EmbeddedServer) -> None:
    secrets = [server.demo.write_key, server.demo.read_only_key, *server.policy.issued]  # type: ignore[attr-defined]
    # Count, never show: an assertion that printed the value would leak it itself.
    in_output = sum(secret in run.output for secret in secrets)
    in_reports = sum(secret in run.reports for secret in secrets)
    assert in_output == 0, f"{in_output} keys or secrets appeared in the suite's output"
    assert in_reports == 0, f"{in_reports} keys or secrets appeared in a report file"


def served_as(policy: type[Policy], config: ServerConfig | None, wrap: Wrapper | None) -> object:
    return (policy, config, wrap)


@pytest.mark.parametrize(
    "served",
    [pytest.param(served_as(f.policy, None, None), id=f.name) for f in FAULTS.values()],
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


@pytest.mark.parametrize(
    "served",
    [pytest.param(served_as(v.policy, v.config, v.wrap), id=v.name) for v in VARIANTS.values()],
    indirect=True,
)
def test_suite_passes_conforming_server(
    served: EmbeddedServer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    variant: Variant = VARIANTS[request.node.callspec.id]
    run = run_suite(variant.environment(served.environment()), tmp_path)
    assert run.returncode == 0, (
        f"the suite failed a conforming server ({variant.summary}): {sorted(run.failed_names())}"
    )
    assert (tmp_path / "contract-junit.xml").is_file()
    assert "DevTune contract summary" in run.output
    assert_nothing_leaked(run, served)


def test_fault_catalogue_covers_every_category() -> None:
    categories = {fault.category for fault in FAULTS.values()}
    assert len(FAULTS) >= 50
    assert categories == {
        "generated",
        "scenario",
        "authentication",
        "authorization",
        "envelope",
        "parsing",
        "secret",
        "rate-limit",
        "concurrency",
        "caching",
        "error-hygiene",
        "good-citizen",
        "secrecy",
    }


def test_every_new_check_has_a_broken_variant() -> None:
    caught = set().union(*(fault.caught_by for fault in FAULTS.values()))
    for name in (
        "secret_randomness",
        "rate_limit_consistency",
        "secret_not_cacheable",
        "error_hygiene",
        "test_nearly_right_key_is_unauthorized",
        "test_foreign_webhook_is_not_rotated",
        "test_concurrent_rotations_return_distinct_secrets",
    ):
        assert name in caught, f"no broken variant is caught by {name}"


def test_legitimate_variants_cover_the_issue() -> None:
    assert len(VARIANTS) >= 16
