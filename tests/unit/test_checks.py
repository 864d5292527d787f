"""Each contract check passes a conforming response and names the break in a failing one."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from unit.conftest import exchange as build
from unit.conftest import rotation_body

from devtune_contract.checks import ALL_CHECKS, ContractViolation, Exchange, RunState
from devtune_contract.checks.envelope import error_envelope, json_content_type, success_envelope
from devtune_contract.checks.hygiene import error_hygiene
from devtune_contract.checks.rate_limit import rate_limit_headers, rate_limited_response
from devtune_contract.checks.secrets import (
    fresh_secret,
    no_credential_echo,
    secret_bits,
    secret_strength,
)
from devtune_contract.settings import Settings

PROJECT = "6f1c2a4e-2b7d-4c1e-9a53-0f3e8d2b1a77"
KEY = "dtk_live_" + "c" * 64
SECRET = secrets.token_hex(32)


def exchange(
    status: int = 200, body: Any = None, headers: dict[str, str] | None = None, **kw: Any
) -> Exchange:
    if body is None and status == 200:
        body = rotation_body(SECRET, PROJECT)
    return build(
        status,
        body,
        headers=headers,
        authorization=f"Bearer {KEY}",
        project_id=PROJECT,
        id=kw.pop("id", 1),
    )


@pytest.fixture
def run() -> RunState:
    return RunState(settings=Settings(api_key=KEY))


def limits(limit: int = 100, remaining: int = 5, reset: float | None = None) -> dict[str, str]:
    """Rate-limit headers; the default Reset is 30 s from when the test runs."""
    return {
        "x-ratelimit-limit": str(limit),
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-reset": str(int(time.time() + 30 if reset is None else reset)),
    }


def error(status: int, code: object, message: object = "m") -> Exchange:
    return exchange(status, {"error": code, "message": message, "status": status})


def now() -> str:
    return datetime.now(UTC).isoformat()


def echoing(sent: str) -> Exchange:
    """A 401 whose message repeats the key the request carried."""
    body = {"error": "unauthorized", "message": f"bad key {sent}", "status": 401}
    return build(401, body, authorization=f"Bearer {sent}")


def test_conforming_responses_pass_every_check(run: RunState) -> None:
    for response in (
        exchange(headers=limits()),
        error(401, "unauthorized"),
        error(429, "rate_limit_exceeded"),
    ):
        if response.status == 429:
            response = exchange(429, json.loads(response.body), limits(remaining=0))
        for check in ALL_CHECKS:
            check(response, run)


def with_timestamp(timestamp: str, project_id: str = PROJECT) -> Exchange:
    meta = {"timestamp": timestamp, "projectId": project_id}
    return exchange(200, {"data": {"secret": SECRET}, "meta": meta})


def broken() -> list[tuple[Any, Exchange, str]]:
    """Each check with a response it must fail and its title's words, built when a test runs:
    timestamps and Resets made at collection go stale in a long run (DEVTUNE_CLOCK_SKEW)."""
    return [
        (
            json_content_type,
            exchange(401, b"nope", {"content-type": "text/plain"}),
            "not application/json",
        ),
        (success_envelope, exchange(200, {"meta": {}}), "no data.secret"),
        (success_envelope, exchange(200, {"data": {"secret": ""}, "meta": {}}), "no data.secret"),
        (success_envelope, exchange(200, {"data": {"secret": SECRET}}), "no meta"),
        (
            success_envelope,
            exchange(200, {"data": {"secret": SECRET}, "meta": {"projectId": PROJECT}}),
            "meta.timestamp is missing",
        ),
        (
            success_envelope,
            exchange(200, {**rotation_body(SECRET), "meta": {"timestamp": now()}}),
            "meta.projectId is missing",
        ),
        (success_envelope, with_timestamp("yesterday"), "not RFC 3339"),
        (success_envelope, with_timestamp("2026-01-01T00:00:00"), "offset"),
        (
            success_envelope,
            with_timestamp((datetime.now(UTC) - timedelta(hours=1)).isoformat()),
            "from now",
        ),
        (
            success_envelope,
            with_timestamp(datetime.now(UTC).isoformat(), "00000000-0000-0000-0000-000000000000"),
            "not the path's",
        ),
        (error_envelope, exchange(404, {"error": "not_found", "status": 404}), "lacks message"),
        (
            error_envelope,
            exchange(404, {"error": "not_found", "message": "m", "status": 400}),
            "says status 400",
        ),
        (error_envelope, error(403, "unauthorized"), "documented: 'forbidden'"),
        (error_envelope, error(400, "not_found"), "documented: 'bad_request'"),
        (error_envelope, exchange(400, b"bad request"), "400 body is not a JSON object"),
        # 405 has no documented code: any code will do, but not an empty or absent one.
        (error_envelope, error(405, ""), "405 error code is empty"),
        (error_envelope, error(405, 405), "405 error code is empty"),
        (error_envelope, error(405, "method_not_allowed", ""), "405 error message is empty"),
        (error_envelope, error(404, "not_found", None), "404 error message is empty"),
        (error_hygiene, error(400, "bad_request", "SELECT name FROM webhooks"), "400 error body"),
        (error_envelope, exchange(500, b"<html>"), "not a JSON object"),
        (secret_strength, exchange(200, {"data": {"secret": "ab" * 8}}), "64 bits"),
        # 128 bits: 32 hex or 22 base64 symbols; one symbol fewer fails.
        (secret_strength, exchange(200, rotation_body("ab" * 15 + "a")), "124 bits"),
        (secret_strength, exchange(200, rotation_body("Zz" * 10 + "Z")), "126 bits"),
        (secret_strength, exchange(200, rotation_body("whsec_" + "Zz" * 10 + "Z=")), "126 bits"),
        (
            secret_strength,
            exchange(200, {"data": {"secret": "not a secret!"}}),
            "neither hex nor base64",
        ),
        (
            no_credential_echo,
            exchange(401, {"error": "unauthorized", "message": f"bad key {KEY}", "status": 401}),
            "echoes the API key",
        ),
        (no_credential_echo, echoing("k" * 16), "echoes the API key"),
        (rate_limit_headers, exchange(headers={"x-ratelimit-limit": "100"}), "without"),
        (
            rate_limit_headers,
            exchange(headers={**limits(), "x-ratelimit-remaining": "\u00b2"}),  # "²".isdigit()
            "ASCII digits",
        ),
        (
            rate_limit_headers,
            exchange(headers={**limits(), "x-ratelimit-remaining": "\u0663"}),  # Arabic-Indic 3
            "ASCII digits",
        ),
        (
            rate_limit_headers,
            exchange(headers={**limits(), "x-ratelimit-reset": "9" * 5000}),
            "ASCII",
        ),
        (
            rate_limit_headers,
            exchange(headers={**limits(), "x-ratelimit-limit": "many"}),
            "not an integer",
        ),
        (rate_limit_headers, exchange(headers=limits(limit=0, remaining=0)), "at least 1"),
        (rate_limit_headers, exchange(headers=limits(remaining=101)), "outside"),
        (rate_limit_headers, exchange(headers=limits(remaining=-1)), "is -1, outside"),
        (rate_limit_headers, exchange(headers=limits(limit=1, remaining=2)), "outside"),
        (rate_limit_headers, exchange(headers=limits(reset=60)), "in the past"),
        (rate_limit_headers, exchange(headers=limits(reset=time.time() * 1000)), "24 h ahead"),
        (rate_limited_response, error(429, "rate_limit_exceeded"), "429 without"),
        (
            rate_limited_response,
            exchange(
                429,
                {"error": "rate_limit_exceeded", "message": "m", "status": 429},
                limits(remaining=3),
            ),
            "must be 0",
        ),
        (
            rate_limited_response,
            exchange(
                429, {"error": "slow_down", "message": "m", "status": 429}, limits(remaining=0)
            ),
            "documented",
        ),
        (
            rate_limited_response,
            exchange(
                429,
                {"error": "rate_limit_exceeded", "message": "m", "status": 429},
                {**limits(), "x-ratelimit-remaining": "\uff10"},  # fullwidth zero
            ),
            "ASCII digits",
        ),
    ]


@pytest.mark.parametrize(
    "index", range(len(broken())), ids=[f"{c.name}-{i}" for i, (c, _, _) in enumerate(broken())]
)
def test_each_break_is_named(index: int, run: RunState) -> None:
    check, response, title = broken()[index]
    with pytest.raises(ContractViolation, match=title) as raised:
        check(response, run)
    assert KEY not in str(raised.value)


def passing() -> list[tuple[Any, Exchange]]:
    """Each check with a response just inside one of its bounds."""
    return [
        (error_envelope, error(400, "bad_request")),
        (error_envelope, error(405, "method_not_allowed")),
        (error_hygiene, error(400, "bad_request", "Select a webhook from the list")),
        (secret_strength, exchange(200, rotation_body("ab" * 16))),
        (secret_strength, exchange(200, rotation_body("Zz" * 11))),
        (secret_strength, exchange(200, rotation_body("whsec_" + "Zz" * 11))),
        (no_credential_echo, echoing("k" * 15)),
        (rate_limit_headers, exchange(headers=limits(limit=100, remaining=100))),
        (rate_limit_headers, exchange(headers=limits(limit=1, remaining=1))),
        (rate_limit_headers, exchange(headers=limits(limit=1, remaining=0))),
    ]


@pytest.mark.parametrize(
    "index", range(len(passing())), ids=[f"{c.name}-{i}" for i, (c, _) in enumerate(passing())]
)
def test_each_bound_is_inclusive(index: int, run: RunState) -> None:
    check, response = passing()[index]
    check(response, run)


@pytest.mark.parametrize(
    ("reset", "passes"),
    [(-300, True), (-301, False), (30, True)],
    ids=["skew-ago", "beyond-the-skew", "ahead"],
)
def test_a_reset_may_lie_in_the_past_by_the_clock_skew(reset: int, passes: bool) -> None:
    now = 1_900_000_000.0
    run = RunState(settings=Settings(api_key=KEY), clock=lambda: now)
    assert run.settings.clock_skew == 300
    response = exchange(headers=limits(reset=now + reset))
    if passes:
        rate_limit_headers(response, run)
    else:
        with pytest.raises(ContractViolation, match=r"1899999699, 301 s in the past"):
            rate_limit_headers(response, run)


def test_repeated_secret_fails_but_revalidation_does_not(run: RunState) -> None:
    fresh_secret(exchange(id=1), run)
    fresh_secret(exchange(id=1), run)  # the same response validated again
    with pytest.raises(ContractViolation, match="already returned"):
        fresh_secret(exchange(id=2), run)


@pytest.mark.parametrize(
    ("secret", "bits"),
    [
        ("a" * 32, 128),
        ("whsec_" + "A" * 22, 132),
        ("whsec_" + "A" * 21 + "=", 126),
        ("Zm9v+/==", 36),
        ("x y", None),
    ],
)
def test_secret_bits_by_encoding(secret: str, bits: int | None) -> None:
    assert secret_bits(secret) == bits


def test_secret_failures_never_show_the_secret(run: RunState) -> None:
    weak = "0123456789abcdef"
    with pytest.raises(ContractViolation) as raised:
        secret_strength(exchange(200, {"data": {"secret": weak}}), run)
    assert weak not in str(raised.value)


Render = Callable[[datetime], str]


@pytest.mark.parametrize(
    "timestamp",
    [
        pytest.param(lambda now: now.strftime("%Y%m%dT%H%M%SZ"), id="basic-format"),
        pytest.param(lambda now: now.strftime("%G-W%V-%uT%H:%M:%SZ"), id="week-date"),
        pytest.param(lambda now: now.strftime("%Y-%m-%dT%HZ"), id="hour-only"),
        pytest.param(lambda now: now.strftime("%Y-%m-%dT%H:%MZ"), id="no-seconds"),
        pytest.param(lambda now: now.strftime("%Y-%m-%dT%H:%M:%S+0000"), id="offset-without-colon"),
        pytest.param(lambda now: now.strftime("%Y-%m-%dT%H:%M:%S,123Z"), id="comma-fraction"),
        pytest.param(lambda now: now.strftime("%Y-%m-%d %H:%M:%SZ") + "\n", id="trailing-newline"),
        pytest.param(lambda now: now.strftime("%Y-%m-%dT%H:%M:%SZ") + "\n", id="final-newline"),
        pytest.param(lambda now: now.strftime("%Y-%m-%dT%H:%M:%S"), id="no-offset"),
        pytest.param(lambda now: now.strftime("%Y-%m-%d"), id="date-only"),
    ],
)
def test_timestamps_fromisoformat_reads_but_rfc3339_forbids_fail(
    timestamp: Render, run: RunState
) -> None:
    with pytest.raises(ContractViolation, match="not RFC 3339"):
        success_envelope(with_timestamp(timestamp(datetime.now(UTC))), run)


@pytest.mark.parametrize(
    "timestamp",
    [
        pytest.param(lambda now: now.isoformat(), id="offset-with-microseconds"),
        pytest.param(
            lambda now: now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            id="z-milliseconds",
        ),
        pytest.param(lambda now: now.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z", id="z-nanoseconds"),
        pytest.param(
            lambda now: now.astimezone(timezone(timedelta(hours=-5, minutes=-30))).isoformat(),
            id="negative-half-hour-offset",
        ),
    ],
)
def test_rfc3339_timestamps_pass(timestamp: Render, run: RunState) -> None:
    success_envelope(with_timestamp(timestamp(datetime.now(UTC))), run)
