"""What send() returns, and the order a failure message lists its parts in (issue 16, item 1)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from unit.conftest import exchange

from devtune_contract.suite.adapter.plugin import ContractPlugin
from devtune_contract.suite.engine.answers import (
    Answer,
    ContractFailure,
    Failure,
    Severity,
    expect,
)
from devtune_contract.suite.engine.unanswered import NotSent, RateLimitedBeyondPatience


def answer(status: int, *failures: Failure) -> Answer:
    exchanged = exchange(status, project_id=None, webhook_id=None, content_type=None)
    return Answer(SimpleNamespace(), SimpleNamespace(), exchanged, failures)


STALE = Failure.of_check("success_envelope", "meta.timestamp '2019-08-24T14:15:22Z' is old", 200)


def test_the_expectation_comes_before_every_check() -> None:
    """Was: Prism's any-key 200 failed with the timestamp; the accepted key was nowhere."""
    with pytest.raises(ContractFailure) as raised:
        expect(answer(200, STALE), {401}, "unknown key")
    assert str(raised.value).startswith("unknown key accepted: 200, expected 401; ")
    assert "success_envelope: meta.timestamp" in str(raised.value)


def test_a_met_expectation_still_reports_the_checks() -> None:
    with pytest.raises(ContractFailure, match=r"^success_envelope: "):
        expect(answer(200, STALE), {200}, "rotation")
    expect(answer(401), {401}, "unknown key")  # nothing wrong: nothing raised


def test_other_statuses_read_as_got_and_ranges_as_a_class() -> None:
    with pytest.raises(ContractFailure, match=r"^GET: got 500, expected a 4xx$"):
        expect(answer(500), range(400, 500), "GET")
    with pytest.raises(ContractFailure, match=r"^x: got 418, expected 403 or 404$"):
        expect(answer(418), {404, 403}, "x")


def test_generated_failures_are_ordered_by_severity_not_by_text() -> None:
    """A 2xx where a refusal is documented, then an undocumented status, then details."""
    detail = Failure.of_check("a_detail", "envelope", 200)
    status = Failure.of_check("status_code_conformance", "undocumented 200", 200)
    accepted = Failure.of_check("ignored_auth", "accepted without key", 200)
    ordered = answer(200, detail, status, accepted).failures
    assert [f.severity for f in ordered] == [
        Severity.ACCEPTED,
        Severity.UNDOCUMENTED_STATUS,
        Severity.DETAIL,
    ]
    # A refusal check that fails on a 4xx is about the status, not an acceptance.
    assert Failure.of_check("ignored_auth", "x", 404).severity == Severity.UNDOCUMENTED_STATUS


def test_a_run_red_only_from_rate_limits_exits_9_in_the_adapter() -> None:
    """RateLimitedBeyondPatience is the run's patience, not the contract: exit 9, not 1."""
    plugin = ContractPlugin(SimpleNamespace())  # type: ignore[arg-type]
    plugin._failed = {"a", "b"}
    plugin._outcomes = {"a": RateLimitedBeyondPatience("wait"), "b": RateLimitedBeyondPatience("w")}
    assert plugin._exit_code_of_the_outcomes() == 9
    plugin._outcomes["b"] = NotSent("refused")
    assert plugin._exit_code_of_the_outcomes() != 9
    plugin._failed.add("c")  # a contract failure besides
    plugin._outcomes["b"] = RateLimitedBeyondPatience("w")
    assert plugin._exit_code_of_the_outcomes() is None
