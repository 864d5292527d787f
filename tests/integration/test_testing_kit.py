"""``DevTuneServer``: fresh state, state to assert on, and each fault's effect on both."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from devtune_api_client import (
    AsyncDevTune,
    DevTune,
    OutcomeUnknownError,
    RetryPolicy,
    UnauthorizedError,
)

from devtune_contract.testing import DevTuneServer
from devtune_contract.testing.faults import BROKEN_META, FAULTS

FAST_RETRIES = RetryPolicy(max_attempts=3, max_wait=5.0, jitter=0.05)
ATTRIBUTES = (
    "base_url",
    "api_key",
    "read_only_api_key",
    "project_id",
    "webhook_id",
    "foreign_project_id",
    "foreign_webhook_id",
)


@pytest.fixture(scope="module")
def kit() -> Iterator[DevTuneServer]:
    with DevTuneServer() as server:
        yield server


@pytest.fixture
def fresh(kit: DevTuneServer) -> DevTuneServer:
    kit.reset()
    return kit


def client_for(server: DevTuneServer) -> DevTune:
    return DevTune(server.api_key, base_url=server.base_url, retry=FAST_RETRIES)


def rotate(server: DevTuneServer, key: str | None = None) -> httpx.Response:
    url = (
        f"{server.base_url}/projects/{server.project_id}/webhooks/{server.webhook_id}/rotate-secret"
    )
    headers = {"Authorization": f"Bearer {key or server.api_key}"}
    return httpx.post(url, headers=headers, timeout=10)


def test_attributes_point_at_a_loopback_server_with_demo_data(fresh: DevTuneServer) -> None:
    assert fresh.base_url.startswith("http://127.0.0.1:")
    assert fresh.base_url.endswith("/api/v2")
    assert fresh.env == {
        "DEVTUNE_BASE_URL": fresh.base_url,
        "DEVTUNE_API_KEY": fresh.api_key,
        "DEVTUNE_PROJECT_ID": fresh.project_id,
        "DEVTUNE_WEBHOOK_ID": fresh.webhook_id,
        "DEVTUNE_READONLY_API_KEY": fresh.read_only_api_key,
        "DEVTUNE_FOREIGN_PROJECT_ID": fresh.foreign_project_id,
        "DEVTUNE_FOREIGN_WEBHOOK_ID": fresh.foreign_webhook_id,
    }
    assert fresh.rotation_count() == 0
    assert fresh.rotation_count(fresh.foreign_webhook_id) == 0
    assert fresh.current_secret() != fresh.current_secret(fresh.foreign_webhook_id)


def test_a_rotation_is_visible_in_the_state(fresh: DevTuneServer) -> None:
    with client_for(fresh) as client:
        rotated = client.webhooks.rotate_secret(fresh.project_id, fresh.webhook_id)
    assert rotated.secret == fresh.current_secret()
    assert fresh.rotation_count() == 1
    assert rotate(fresh, fresh.read_only_api_key).status_code == 403
    assert fresh.rotation_count() == 1


def test_unknown_webhook_is_a_value_error(fresh: DevTuneServer) -> None:
    with pytest.raises(ValueError, match="no webhook"):
        fresh.current_secret("00000000-0000-4000-8000-000000000000")


def test_reset_gives_new_ids_keys_secrets_and_empty_counters(fresh: DevTuneServer) -> None:
    before = {name: getattr(fresh, name) for name in ATTRIBUTES}
    old_secret = fresh.current_secret()
    assert rotate(fresh).status_code == 200
    fresh.set_rate_limit(1, 60)
    fresh.fail_next("server_error")
    fresh.reset()
    after = {name: getattr(fresh, name) for name in ATTRIBUTES}
    for name in ATTRIBUTES[1:]:
        assert after[name] != before[name], name
    assert after["base_url"] == before["base_url"]
    assert fresh.current_secret() != old_secret
    assert fresh.rotation_count() == 0
    assert rotate(fresh, before["api_key"]).status_code == 401  # the old key is gone
    # No pending fault, and the default limit again: more than one request goes through.
    assert [rotate(fresh).status_code for _ in range(3)] == [200, 200, 200]


def test_set_rate_limit(fresh: DevTuneServer) -> None:
    fresh.set_rate_limit(2, 60)
    statuses = [rotate(fresh).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert fresh.rotation_count() == 2
    with pytest.raises(ValueError, match="positive"):
        fresh.set_rate_limit(0, 60)


def test_lost_response_commits_then_drops_the_connection(fresh: DevTuneServer) -> None:
    old = fresh.current_secret()
    fresh.fail_next("lost_response")
    with client_for(fresh) as client, pytest.raises(OutcomeUnknownError):
        client.webhooks.rotate_secret(fresh.project_id, fresh.webhook_id)
    assert fresh.current_secret() != old
    assert fresh.rotation_count() == 1


def test_reset_before_commit_drops_the_connection_and_changes_nothing(
    fresh: DevTuneServer,
) -> None:
    old = fresh.current_secret()
    fresh.fail_next("reset_before_commit")
    with pytest.raises(httpx.RemoteProtocolError):  # not one byte of an answer
        rotate(fresh)
    with client_for(fresh) as client:
        fresh.fail_next("reset_before_commit")
        with pytest.raises(OutcomeUnknownError):
            client.webhooks.rotate_secret(fresh.project_id, fresh.webhook_id)
        assert (fresh.current_secret(), fresh.rotation_count()) == (old, 0)
        # The same client goes on working on a new connection.
        assert client.webhooks.rotate_secret(fresh.project_id, fresh.webhook_id).secret


def test_server_error_is_a_500_envelope_and_changes_nothing(fresh: DevTuneServer) -> None:
    old = fresh.current_secret()
    fresh.fail_next("server_error")
    response = rotate(fresh)
    assert response.status_code == 500
    assert response.json() == {
        "error": "internal_error",
        "message": "The server failed to handle the request",
        "status": 500,
    }
    assert (fresh.current_secret(), fresh.rotation_count()) == (old, 0)


def test_rate_limited_is_a_429_with_the_documented_headers(fresh: DevTuneServer) -> None:
    old = fresh.current_secret()
    fresh.fail_next("rate_limited", seconds=30)
    response = rotate(fresh)
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limit_exceeded"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert response.headers["X-RateLimit-Limit"] == "100"
    assert 29 <= int(response.headers["X-RateLimit-Reset"]) - time.time() <= 31
    assert (fresh.current_secret(), fresh.rotation_count()) == (old, 0)


def test_rate_limited_client_waits_and_succeeds(fresh: DevTuneServer) -> None:
    fresh.fail_next("rate_limited", seconds=0)
    with client_for(fresh) as client:
        rotated = client.webhooks.rotate_secret(fresh.project_id, fresh.webhook_id)
    assert rotated.secret == fresh.current_secret()
    assert fresh.rotation_count() == 1


def test_slow_answers_late_after_the_commit(fresh: DevTuneServer) -> None:
    fresh.fail_next("slow", seconds=2)
    with client_for(fresh).with_timeout(0.5) as client, pytest.raises(OutcomeUnknownError):
        client.webhooks.rotate_secret(fresh.project_id, fresh.webhook_id)
    assert fresh.rotation_count() == 1  # committed although the answer never arrived in time


def test_malformed_meta_keeps_the_secret(fresh: DevTuneServer) -> None:
    fresh.fail_next("malformed_meta")
    response = rotate(fresh)
    assert response.status_code == 200
    assert response.json()["meta"] == BROKEN_META
    assert response.json()["data"]["secret"] == fresh.current_secret()
    fresh.fail_next("malformed_meta")
    with client_for(fresh) as client:
        rotated = client.webhooks.rotate_secret(fresh.project_id, fresh.webhook_id)
    assert rotated.secret == fresh.current_secret()
    assert rotated.timestamp is None


def test_faults_apply_only_after_authentication_and_times_counts(fresh: DevTuneServer) -> None:
    fresh.fail_next("server_error", times=2)
    with pytest.raises(UnauthorizedError):
        DevTune("dtk_live_" + "0" * 64, base_url=fresh.base_url).webhooks.rotate_secret(
            fresh.project_id, fresh.webhook_id
        )
    not_found = httpx.post(fresh.base_url + "/nowhere", timeout=10)
    assert not_found.status_code == 404
    assert [rotate(fresh).status_code for _ in range(3)] == [500, 500, 200]


def test_faults_apply_in_the_order_asked(fresh: DevTuneServer) -> None:
    fresh.fail_next("server_error")
    fresh.fail_next("malformed_meta")
    first, second, third = (rotate(fresh) for _ in range(3))
    assert first.status_code == 500
    assert second.json()["meta"] == BROKEN_META
    assert third.json()["meta"] != BROKEN_META


@pytest.mark.parametrize(
    ("fault", "options", "message"),
    [
        (
            "lost_responses",
            {},
            "unknown fault 'lost_responses'; valid faults: " + ", ".join(FAULTS),
        ),
        ("slow", {"delay": 1.0}, "unknown option 'delay' for slow; valid options: seconds"),
        (
            "server_error",
            {"seconds": 1.0},
            "unknown option 'seconds' for server_error; valid options: none",
        ),
        ("slow", {"seconds": -1.0}, "slow: seconds must be a number of seconds >= 0"),
    ],
)
def test_bad_faults_are_value_errors_listing_the_valid_ones(
    fresh: DevTuneServer, fault: str, options: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        fresh.fail_next(fault, **options)  # type: ignore[arg-type]
    assert rotate(fresh).status_code == 200  # nothing was queued


@pytest.mark.parametrize("times", [0, -1, True, 1.5])
def test_times_must_be_a_positive_integer(fresh: DevTuneServer, times: int) -> None:
    with pytest.raises(ValueError, match="times"):
        fresh.fail_next("server_error", times=times)


def test_async_clients_work_against_it(fresh: DevTuneServer) -> None:
    async def scenario() -> tuple[str, int]:
        async with AsyncDevTune(fresh.api_key, base_url=fresh.base_url) as client:
            rotated = await client.webhooks.rotate_secret(fresh.project_id, fresh.webhook_id)
            fresh.fail_next("lost_response")
            with pytest.raises(OutcomeUnknownError):
                await client.webhooks.rotate_secret(fresh.project_id, fresh.webhook_id)
        async with httpx.AsyncClient(base_url=fresh.base_url) as raw:
            path = f"/projects/{fresh.project_id}/webhooks/{fresh.webhook_id}/rotate-secret"
            response = await raw.post(path, headers={"Authorization": f"Bearer {fresh.api_key}"})
        return rotated.secret, response.status_code

    secret, status = asyncio.run(scenario())
    assert status == 200
    assert secret != fresh.current_secret()  # two rotations since
    assert fresh.rotation_count() == 3


def test_importing_the_package_and_plugin_loads_no_server() -> None:
    probe = (
        "import sys, devtune_contract.testing, devtune_contract.testing.plugin\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('uvicorn', 'uvloop', 'httptools',"
        " 'schemathesis', 'hypothesis') or m.startswith('devtune_contract.server')"
        " or m.startswith('devtune_contract.suite')]\n"
        "print(heavy)\n"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
