"""The suite has teeth: it fails against every broken variant, for the right reason, and passes
against the reference server in every legitimate configuration.

Each case runs the whole suite in a process of its own (about 2 s, see ``suite_runner``); run
them in parallel with ``pytest -n auto tests/integration/test_teeth.py`` (pytest-xdist).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from leaks import assert_nothing_leaked, recording
from suite_runner import SuiteRun, run_suite
from teeth import CATEGORIES, FAULTS, VARIANTS, Catcher, Fault, Variant, Wrapper, catcher_name
from teeth.conforming import SlidingWindowLimiter, TokenBucketLimiter

from devtune_contract import scenarios
from devtune_contract.checks import ALL_CHECKS
from devtune_contract.checks.caching import secret_not_cacheable
from devtune_contract.checks.hygiene import error_hygiene
from devtune_contract.checks.rate_limit import rate_limit_consistency
from devtune_contract.checks.secrets import secret_randomness
from devtune_contract.operations import ROTATE_SECRET
from devtune_contract.server import Policy, RunningServer, ServerConfig, create_app
from devtune_contract.server.embedded import EmbeddedServer
from devtune_contract.suite.engine.ledger import RED
from devtune_contract.suite.engine.schemas import builtin_checks


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[EmbeddedServer]:
    policy, config, wrap = request.param
    server = EmbeddedServer(config, policy=recording(policy))
    if wrap is not None:
        server.server.close()
        server.server = RunningServer(wrap(create_app(server.policy)))
    yield server
    server.close()


def assert_server_leaked_nothing(run: SuiteRun, server: EmbeddedServer) -> None:
    issued: list[str] = server.policy.issued  # type: ignore[attr-defined]
    assert_nothing_leaked(run, [server.demo.write_key, server.demo.read_only_key, *issued])


def served_as(policy: type[Policy], config: ServerConfig | None, wrap: Wrapper | None) -> object:
    return (policy, config, wrap)


@pytest.mark.slow
@pytest.mark.parametrize(
    "served",
    [pytest.param(served_as(f.policy, None, f.wrap), id=f.name) for f in FAULTS.values()],
    indirect=True,
)
def test_suite_catches_broken_variant(
    served: EmbeddedServer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    fault: Fault = FAULTS[request.node.callspec.id]
    run = run_suite({**served.environment(), **fault.environment}, tmp_path)
    assert run.returncode != 0, f"the suite passed against {fault.name}: {fault.summary}"
    assert run.failed_names() & fault.caught_by_names, (
        f"{fault.name} failed the suite, but not through {sorted(fault.caught_by_names)}; "
        f"failed: {sorted(run.failed_names())}"
    )
    if fault.headline is not None:
        details = [
            s["detail"]
            for name, s in run.summary["scenarios"].items()
            if name.split("[")[0] == fault.headline.scenario.name and s["verdict"] in RED
        ]
        if run.summary.get("situation") == fault.headline.scenario.name:  # stopped in preflight
            details.append(str(run.summary.get("reason", "")))
        assert any(detail.startswith(fault.headline.starts) for detail in details), (
            f"{fault.name}: {fault.headline.scenario.name} does not start with "
            f"{fault.headline.starts!r}: {details}"
        )
    assert_server_leaked_nothing(run, served)


@pytest.mark.slow
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
    # No limiter of a server the run has to itself may pass for another client (issue 21).
    assert run.summary["remarks"] == [], run.summary["remarks"]
    assert_server_leaked_nothing(run, served)


def test_fault_catalogue_covers_every_category() -> None:
    categories = {fault.category for fault in FAULTS.values()}
    assert len(FAULTS) >= 50
    assert categories == set(CATEGORIES)


def test_every_new_check_has_a_broken_variant() -> None:
    caught = set().union(*(fault.caught_by for fault in FAULTS.values()))
    for catcher in (
        secret_randomness,
        rate_limit_consistency,
        secret_not_cacheable,
        error_hygiene,
        scenarios.NEARLY_RIGHT_KEY,
        scenarios.FOREIGN_WEBHOOK,
        scenarios.CONCURRENT_ROTATIONS,
        scenarios.UNDOCUMENTED_METHOD,
        scenarios.KEY_PRESENTED_OTHERWISE,
        scenarios.MISSING_KEY,
    ):
        assert catcher in caught, f"no broken variant is caught by {catcher_name(catcher)}"


def test_every_catcher_is_a_real_check_or_scenario() -> None:
    """``caught_by`` holds objects; each is one the suite really runs and reports."""
    known: set[Catcher] = {*ALL_CHECKS, *scenarios.SCENARIOS, *builtin_checks()}
    for fault in FAULTS.values():
        strays = [catcher_name(c) for c in fault.caught_by if c not in known]
        assert not strays, f"{fault.name} is caught by {strays}, which the suite never runs"
        assert fault.caught_by, f"{fault.name} names nothing that catches it"


def test_legitimate_variants_cover_the_issue() -> None:
    assert len(VARIANTS) >= 16


def rotate(server: EmbeddedServer, *, project: str | None = None, key: str | None = "") -> Any:
    key = server.demo.write_key if key == "" else key
    parameters = {
        "projectId": project or server.demo.project_id,
        "webhookId": server.demo.webhook_id,
    }
    url = server.server.base_url + ROTATE_SECRET.url_path(parameters)
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    return requests.post(url, headers=headers, timeout=10)


WIRE: dict[str, Callable[[EmbeddedServer], bool]] = {
    "gzip": lambda s: rotate(s).headers.get("content-encoding") == "gzip",
    "connection-close": lambda s: rotate(s, key=None).headers.get("connection") == "close",
    "extra-fields-and-headers": lambda s: "links" in rotate(s).json(),
    "upper-case-project-id": lambda s: (
        rotate(s).json()["meta"]["projectId"] == s.demo.project_id.upper()
    ),
    "offset-timestamps": lambda s: rotate(s).json()["meta"]["timestamp"].endswith("+00:00"),
    "base64url-secrets": lambda s: len(rotate(s).json()["data"]["secret"]) == 43,
    "not-found-for-foreign-projects": lambda s: (
        rotate(s, project=s.demo.foreign_project_id).status_code == 404
    ),
    "rate-limit-on-401-per-client": lambda s: "x-ratelimit-limit" in rotate(s, key=None).headers,
    # A fixed window's first Reset is a window away; a full bucket's is a second away.
    "token-bucket": lambda s: int(rotate(s).headers["x-ratelimit-reset"]) <= time.time() + 2,
}


@pytest.mark.parametrize(
    "served",
    [
        pytest.param(served_as(VARIANTS[n].policy, VARIANTS[n].config, VARIANTS[n].wrap), id=n)
        for n in WIRE
    ],
    indirect=True,
)
def test_each_variant_really_differs(
    served: EmbeddedServer, request: pytest.FixtureRequest
) -> None:
    """A legitimate variant that quietly behaved like the reference would prove nothing."""
    assert WIRE[request.node.callspec.id](served)


def test_sliding_window_frees_one_request_at_a_time() -> None:
    now = [1000.0]
    limiter = SlidingWindowLimiter(2, 10, clock=lambda: now[0])
    assert limiter.hit("k").remaining == 1
    now[0] += 4
    assert limiter.hit("k").remaining == 0
    assert not limiter.hit("k").allowed
    now[0] += 6.5  # the first request left the window, the second has not
    decision = limiter.hit("k")
    assert (decision.allowed, decision.remaining, decision.reset) == (True, 0, 1014)


def test_token_bucket_refills_continuously() -> None:
    now = [1000.0]
    limiter = TokenBucketLimiter(10, 10, clock=lambda: now[0])  # one token per second
    assert [limiter.hit("k").remaining for _ in range(3)] == [9, 8, 7]
    now[0] += 2.5
    assert limiter.hit("k").remaining == 8  # 7 + 2.5 - 1, rounded down
    for _ in range(8):
        limiter.hit("k")
    refused = limiter.hit("k")
    assert not refused.allowed
    assert refused.reset == 1003  # the next token
