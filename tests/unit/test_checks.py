"""Each contract check passes a conforming response and names the break in a failing one."""

from __future__ import annotations

import json
import re
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
from devtune_contract.checks.exchange import same_id
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
ZERO_ID = "00000000-0000-0000-0000-000000000000"


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
            "401 response is text/plain, not application/json",
        ),
        (
            success_envelope,
            exchange(200, {"meta": {}}),
            r"200 body has no data\.secret: the new secret is lost",
        ),
        (
            success_envelope,
            exchange(200, {"data": {"secret": ""}, "meta": {}}),
            r"200 body has no data\.secret: the new secret is lost",
        ),
        (
            success_envelope,
            exchange(200, {"data": {"secret": SECRET}}),
            "200 body has no meta object",
        ),
        (
            success_envelope,
            exchange(200, {"data": {"secret": SECRET}, "meta": {"projectId": PROJECT}}),
            r"meta\.timestamp is missing",
        ),
        (
            success_envelope,
            exchange(200, {**rotation_body(SECRET), "meta": {"timestamp": now()}}),
            r"meta\.projectId is missing",
        ),
        (
            success_envelope,
            with_timestamp("yesterday"),
            "meta.timestamp 'yesterday' is not RFC 3339 with an offset",
        ),
        (
            success_envelope,
            with_timestamp("2026-01-01T00:00:00"),
            "meta.timestamp '2026-01-01T00:00:00' is not RFC 3339 with an offset",
        ),
        (
            success_envelope,
            with_timestamp((datetime.now(UTC) - timedelta(hours=1)).isoformat()),
            r"meta.timestamp '[^']+' is 3600 s from now \(allowed: 300 s, DEVTUNE_CLOCK_SKEW\)",
        ),
        (
            success_envelope,
            with_timestamp(datetime.now(UTC).isoformat(), ZERO_ID),
            f"meta.projectId '{ZERO_ID}' is not the path's '{PROJECT}'",
        ),
        (
            error_envelope,
            exchange(404, {"error": "not_found", "status": 404}),
            "404 body lacks message",
        ),
        (error_envelope, exchange(404, {"status": 404}), "404 body lacks error, message"),
        (success_envelope, exchange(200, [SECRET]), "200 body is not a JSON object"),
        (
            rate_limit_headers,
            exchange(headers={"x-ratelimit-limit": "100", "x-ratelimit-remaining": "5"}),
            "x-ratelimit-limit, x-ratelimit-remaining sent without x-ratelimit-reset",
        ),
        (
            error_envelope,
            exchange(404, {"error": "not_found", "message": "m", "status": 400}),
            "error body says status 400 but the response is 404",
        ),
        (
            error_envelope,
            error(403, "unauthorized"),
            "403 error code is 'unauthorized', documented: 'forbidden'",
        ),
        (
            error_envelope,
            error(400, "not_found"),
            "400 error code is 'not_found', documented: 'bad_request'",
        ),
        (error_envelope, exchange(400, b"bad request"), "400 body is not a JSON object"),
        # 405 has no documented code: any code will do, but not an empty or absent one.
        (error_envelope, error(405, ""), "405 error code is empty"),
        (error_envelope, error(405, 405), "405 error code is empty"),
        (error_envelope, error(405, "method_not_allowed", ""), "405 error message is empty"),
        (error_envelope, error(404, "not_found", None), "404 error message is empty"),
        (
            error_hygiene,
            error(400, "bad_request", "SELECT name FROM webhooks"),
            r"400 error body exposes SQL \(SELECT … FROM\)",
        ),
        (error_envelope, exchange(500, b"<html>"), "500 body is not a JSON object"),
        (
            secret_strength,
            exchange(200, {"data": {"secret": "ab" * 8}}),
            r"secret abab…\(16 chars\) holds 64 bits, at least 128 are needed",
        ),
        # 128 bits: 32 hex or 22 base64 symbols; one symbol fewer fails.
        (
            secret_strength,
            exchange(200, rotation_body("ab" * 15 + "a")),
            r"secret abab…\(31 chars\) holds 124 bits, at least 128 are needed",
        ),
        (
            secret_strength,
            exchange(200, rotation_body("Zz" * 10 + "Z")),
            r"secret ZzZz…\(21 chars\) holds 126 bits, at least 128 are needed",
        ),
        (
            secret_strength,
            exchange(200, rotation_body("whsec_" + "Zz" * 10 + "Z=")),
            r"secret whsec_ZzZz…\(28 chars\) holds 126 bits, at least 128 are needed",
        ),
        (
            secret_strength,
            exchange(200, {"data": {"secret": "not a secret!"}}),
            r"secret not …\(13 chars\) is neither hex nor base64",
        ),
        (
            no_credential_echo,
            exchange(401, {"error": "unauthorized", "message": f"bad key {KEY}", "status": 401}),
            r"the response body echoes the API key dtk_live_cccc…\(73 chars\)",
        ),
        (
            no_credential_echo,
            echoing("k" * 16),
            r"the response body echoes the API key kkkk…\(16 chars\)",
        ),
        (
            rate_limit_headers,
            exchange(headers={"x-ratelimit-limit": "100"}),
            r"x\-ratelimit\-limit sent without x\-ratelimit\-remaining, x\-ratelimit\-reset",
        ),
        (
            rate_limit_headers,
            exchange(headers={**limits(), "x-ratelimit-remaining": "\u00b2"}),  # "²".isdigit()
            "x-ratelimit-remaining is '\u00b2', not an integer in ASCII digits",
        ),
        (
            rate_limit_headers,
            exchange(headers={**limits(), "x-ratelimit-remaining": "\u0663"}),  # Arabic-Indic 3
            "x-ratelimit-remaining is '\u0663', not an integer in ASCII digits",
        ),
        (
            rate_limit_headers,
            exchange(headers={**limits(), "x-ratelimit-reset": "9" * 5000}),
            "x-ratelimit-reset is '9{40}', not an integer in ASCII digits",
        ),
        (
            rate_limit_headers,
            exchange(headers={**limits(), "x-ratelimit-limit": "many"}),
            "x-ratelimit-limit is 'many', not an integer in ASCII digits",
        ),
        (
            rate_limit_headers,
            exchange(headers=limits(limit=0, remaining=0)),
            r"x\-ratelimit\-limit is 0, must be at least 1",
        ),
        (
            rate_limit_headers,
            exchange(headers=limits(remaining=101)),
            r"x\-ratelimit\-remaining is 101, outside 0\.\.x\-ratelimit\-limit \(100\)",
        ),
        (
            rate_limit_headers,
            exchange(headers=limits(remaining=-1)),
            r"x\-ratelimit\-remaining is \-1, outside 0\.\.x\-ratelimit\-limit \(100\)",
        ),
        (
            rate_limit_headers,
            exchange(headers=limits(limit=1, remaining=2)),
            r"x\-ratelimit\-remaining is 2, outside 0\.\.x\-ratelimit\-limit \(1\)",
        ),
        (
            rate_limit_headers,
            exchange(headers=limits(reset=60)),
            r"x-ratelimit-reset is 60, \d+ s in the past: not a Unix time in seconds",
        ),
        (
            rate_limit_headers,
            exchange(headers=limits(reset=time.time() * 1000)),
            r"x-ratelimit-reset is \d+, \d+ s ahead: beyond one 60 s window "
            r"\(DEVTUNE_RATE_WINDOW\) plus DEVTUNE_CLOCK_SKEW \(300 s\); a local time sent as UTC, "
            r"or not a Unix time in seconds",
        ),
        (
            rate_limited_response,
            error(429, "rate_limit_exceeded"),
            r"429 without x\-ratelimit\-limit, x\-ratelimit\-remaining, x\-ratelimit\-reset",
        ),
        (
            rate_limited_response,
            exchange(
                429,
                {"error": "rate_limit_exceeded", "message": "m", "status": 429},
                limits(remaining=3),
            ),
            r"429 with x\-ratelimit\-remaining 3, must be 0",
        ),
        (
            rate_limited_response,
            exchange(429, [{"error": "rate_limit_exceeded"}], limits(remaining=0)),
            "429 error code is None, documented: 'rate_limit_exceeded'",
        ),
        (
            json_content_type,
            build(401, b"nope", content_type=None),
            "401 response is no Content-Type, not application/json",
        ),
        (
            json_content_type,
            build(401, b"nope", content_type="text/" + "x" * 100),
            f"401 response is text/{'x' * 55}, not application/json",
        ),
        (
            json_content_type,
            build(401, b"nope", content_type="text/\u00a0plain"),
            r"401 response is 'text/\\xa0plain', not application/json",  # shown as its repr
        ),
        (
            success_envelope,
            with_timestamp("x" * 100),
            f"meta.timestamp '{'x' * 64}' is not RFC 3339 with an offset",
        ),
        (
            rate_limited_response,
            exchange(
                429, {"error": "slow_down", "message": "m", "status": 429}, limits(remaining=0)
            ),
            "429 error code is 'slow_down', documented: 'rate_limit_exceeded'",
        ),
        (
            rate_limited_response,
            exchange(
                429,
                {"error": "rate_limit_exceeded", "message": "m", "status": 429},
                {**limits(), "x-ratelimit-remaining": "\uff10"},  # fullwidth zero
            ),
            "x-ratelimit-remaining is '\uff10', not an integer in ASCII digits",
        ),
    ]


@pytest.mark.parametrize(
    "index", range(len(broken())), ids=[f"{c.name}-{i}" for i, (c, _, _) in enumerate(broken())]
)
def test_each_break_is_named(index: int, run: RunState) -> None:
    check, response, title = broken()[index]
    with pytest.raises(ContractViolation) as raised:
        check(response, run)
    assert re.fullmatch(title, str(raised.value)), f"{check.name}: {raised.value}"
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
        # No new secret to judge: success_envelope reports the body.
        (secret_strength, exchange(200, {"data": {"secret": ""}})),
        (secret_strength, exchange(200, {"data": {"secret": 5}})),
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
        ("ab_cd_" + "a" * 32, 210),  # only the first prefix is dropped
        ("x y", None),
    ],
)
def test_secret_bits_by_encoding(secret: str, bits: int | None) -> None:
    assert secret_bits(secret) == bits


@pytest.mark.parametrize(("skew", "passes"), [(300, True), (301, False)])
def test_a_timestamp_may_be_off_by_the_clock_skew(skew: int, passes: bool) -> None:
    moment = datetime(2026, 11, 27, 6, 18, 11, tzinfo=UTC)
    run = RunState(settings=Settings(api_key=KEY), clock=lambda: moment.timestamp() + skew)
    response = with_timestamp(moment.isoformat())
    if passes:
        success_envelope(response, run)
    else:
        with pytest.raises(ContractViolation, match="is 301 s from now"):
            success_envelope(response, run)


def test_different_secrets_are_fresh(run: RunState) -> None:
    fresh_secret(exchange(200, rotation_body(secrets.token_hex(32)), id=1), run)
    fresh_secret(exchange(200, rotation_body(secrets.token_hex(32)), id=2), run)


@pytest.mark.parametrize(
    ("value", "expected", "same"),
    [
        (PROJECT.upper(), PROJECT, True),
        (PROJECT, ZERO_ID, False),
        ("p", "p", True),
        ("p", "q", False),
        (None, "p", False),
        ("p", None, False),
        (None, None, False),
        ("None", None, False),  # no id, not the word
    ],
)
def test_ids_are_the_same_ignoring_case_when_both_are_uuids(
    value: str | None, expected: str | None, same: bool
) -> None:
    assert same_id(value, expected) is same


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
