"""``DevTune`` / ``AsyncDevTune``: the obvious path, against the reference server and mocks."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from devtune_api_client import (
    AsyncDevTune,
    ConfigurationError,
    ConnectionFailedError,
    DevTune,
    ForbiddenError,
    MissingSecretError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    RetryPolicy,
    RotatedSecretResult,
    UnauthorizedError,
)
from devtune_api_client.errors import mask
from teeth import envelope

from devtune_contract.server.embedded import EmbeddedServer

FAST_RETRIES = RetryPolicy(max_attempts=3, max_wait=5.0, jitter=0.05)
LOGGER = "devtune_api_client"


def api_key() -> str:
    return "dtk_live_" + secrets.token_hex(32)


def devtune_for(server: EmbeddedServer, key: str | None = None, **options: object) -> DevTune:
    return DevTune(
        key or server.demo.write_key,
        base_url=server.server.base_url,
        **options,  # type: ignore[arg-type]
    )


# --- the reference server: real statuses, real resets ----------------------------------------


def test_rotate_secret_returns_the_stored_secret(server: EmbeddedServer) -> None:
    with devtune_for(server) as client:
        rotated = client.webhooks.rotate_secret(server.demo.project_id, server.demo.webhook_id)
    assert rotated.secret == server.store.current_secret(server.demo.webhook_id)
    assert rotated.project_id == uuid.UUID(server.demo.project_id)
    assert rotated.timestamp is not None
    assert abs((rotated.timestamp - datetime.now(UTC)).total_seconds()) < 60
    assert rotated.rate_limit is not None
    assert rotated.rate_limit.remaining == 99
    assert rotated.secret not in repr(rotated)
    assert mask(rotated.secret) in repr(rotated)


def test_ids_may_be_uuids_or_strings(server: EmbeddedServer) -> None:
    with devtune_for(server) as client:
        client.webhooks.rotate_secret(uuid.UUID(server.demo.project_id), server.demo.webhook_id)
        client.webhooks.rotate_secret(
            server.demo.project_id.upper(), uuid.UUID(server.demo.webhook_id)
        )
    assert server.store.rotation_count(server.demo.webhook_id) == 2


def test_an_id_that_is_not_a_uuid_is_refused_before_sending(server: EmbeddedServer) -> None:
    with devtune_for(server) as client, pytest.raises(ConfigurationError, match="webhook_id"):
        client.webhooks.rotate_secret(server.demo.project_id, "not-a-uuid")
    assert server.store.rotation_count(server.demo.webhook_id) == 0


def test_raw_response_carries_status_headers_and_rate_limit(server: EmbeddedServer) -> None:
    with devtune_for(server) as client:
        raw = client.webhooks.with_raw_response.rotate_secret(
            server.demo.project_id, server.demo.webhook_id
        )
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("application/json")
    assert raw.rate_limit is not None
    assert raw.rate_limit.limit == 100
    assert raw.parse().secret == server.store.current_secret(server.demo.webhook_id)


@pytest.mark.parametrize(
    ("situation", "error"),
    [
        ("unknown_key", UnauthorizedError),
        ("read_only", ForbiddenError),
        ("unknown_webhook", NotFoundError),
    ],
)
def test_documented_errors_raise_typed(
    server: EmbeddedServer, situation: str, error: type[Exception]
) -> None:
    key = {"unknown_key": api_key(), "read_only": server.demo.read_only_key}.get(situation)
    webhook = str(uuid.uuid4()) if situation == "unknown_webhook" else server.demo.webhook_id
    with devtune_for(server, key) as client, pytest.raises(error) as raised:
        client.webhooks.rotate_secret(server.demo.project_id, webhook)
    assert server.demo.write_key not in str(raised.value)
    assert server.demo.read_only_key not in repr(raised.value)


def test_429_waits_for_the_real_reset_and_logs_it(
    tiny_quota_server: EmbeddedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server = tiny_quota_server
    caplog.set_level(logging.WARNING, logger=LOGGER)
    with devtune_for(server, retry=FAST_RETRIES) as client:
        results = [
            client.webhooks.rotate_secret(server.demo.project_id, server.demo.webhook_id)
            for _ in range(3)
        ]
    assert len({result.secret for result in results}) == 3
    waits = [record for record in caplog.records if "rate limited" in record.getMessage()]
    assert waits, "the rate-limit wait was not logged"
    assert "attempt 2 of 3" in waits[0].getMessage()
    assert "waiting" in waits[0].getMessage()
    text = caplog.text
    assert server.demo.write_key not in text
    assert all(result.secret not in text for result in results)


def test_429_beyond_the_retry_budget_raises_with_reset(tiny_quota_server: EmbeddedServer) -> None:
    server = tiny_quota_server
    with devtune_for(server, retry=RetryPolicy(max_attempts=1)) as client:
        for _ in range(2):
            client.webhooks.rotate_secret(server.demo.project_id, server.demo.webhook_id)
        with pytest.raises(RateLimitError) as raised:
            client.webhooks.rotate_secret(server.demo.project_id, server.demo.webhook_id)
    assert raised.value.reset_at is not None
    assert raised.value.reset_at.timestamp() >= time.time() - 1


def test_async_rotations_and_429_wait(tiny_quota_server: EmbeddedServer) -> None:
    server = tiny_quota_server

    async def rotate_three_times() -> list[RotatedSecretResult]:
        async with AsyncDevTune(
            server.demo.write_key, base_url=server.server.base_url, retry=FAST_RETRIES
        ) as client:
            return [
                await client.webhooks.rotate_secret(server.demo.project_id, server.demo.webhook_id)
                for _ in range(3)
            ]

    results = asyncio.run(rotate_three_times())
    assert results[-1].secret == server.store.current_secret(server.demo.webhook_id)
    assert len({result.secret for result in results}) == 3


def test_async_raw_response_and_errors(server: EmbeddedServer) -> None:
    async def calls() -> int:
        async with AsyncDevTune(server.demo.write_key, base_url=server.server.base_url) as client:
            raw = await client.webhooks.with_raw_response.rotate_secret(
                server.demo.project_id, server.demo.webhook_id
            )
            with pytest.raises(NotFoundError):
                await client.webhooks.rotate_secret(server.demo.project_id, uuid.uuid4())
            return raw.status_code

    assert asyncio.run(calls()) == 200


def test_a_real_200_without_data_raises_missing_secret() -> None:
    server = EmbeddedServer(policy=envelope.OmitsData)
    try:
        with devtune_for(server) as client, pytest.raises(MissingSecretError, match="rotate again"):
            client.webhooks.rotate_secret(server.demo.project_id, server.demo.webhook_id)
        assert server.store.rotation_count(server.demo.webhook_id) == 1, "it did rotate, unseen"
    finally:
        server.close()


def test_a_real_malformed_timestamp_keeps_the_secret(caplog: pytest.LogCaptureFixture) -> None:
    server = EmbeddedServer(policy=envelope.TimestampNotRfc3339)
    caplog.set_level(logging.WARNING, logger=LOGGER)
    try:
        with devtune_for(server) as client:
            rotated = client.webhooks.rotate_secret(server.demo.project_id, server.demo.webhook_id)
        assert rotated.secret == server.store.current_secret(server.demo.webhook_id)
        assert rotated.timestamp is None
        assert rotated.project_id == uuid.UUID(server.demo.project_id)
        assert "meta.timestamp" in caplog.text
        assert rotated.secret not in caplog.text
    finally:
        server.close()


# --- configuration ----------------------------------------------------------------------------


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("DEVTUNE_API_KEY", raising=False)
    monkeypatch.delenv("DEVTUNE_BASE_URL", raising=False)
    return monkeypatch


def test_configuration_comes_from_the_environment(
    server: EmbeddedServer, environment: pytest.MonkeyPatch
) -> None:
    environment.setenv("DEVTUNE_API_KEY", server.demo.write_key)
    environment.setenv("DEVTUNE_BASE_URL", server.server.base_url)
    with DevTune() as client:
        rotated = client.webhooks.rotate_secret(server.demo.project_id, server.demo.webhook_id)
    assert rotated.secret == server.store.current_secret(server.demo.webhook_id)


def test_explicit_arguments_win_over_the_environment(
    server: EmbeddedServer, environment: pytest.MonkeyPatch
) -> None:
    environment.setenv("DEVTUNE_API_KEY", api_key())
    environment.setenv("DEVTUNE_BASE_URL", "http://127.0.0.1:9/api/v2")
    with devtune_for(server) as client:
        client.webhooks.rotate_secret(server.demo.project_id, server.demo.webhook_id)
    assert repr(client) == f"DevTune(base_url={server.server.base_url!r})"


def test_the_base_url_is_required(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("DEVTUNE_API_KEY", api_key())
    with pytest.raises(ConfigurationError) as raised:
        DevTune()
    assert "DEVTUNE_BASE_URL" in str(raised.value)
    assert "no default" in str(raised.value)


def test_the_api_key_is_required(environment: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="DEVTUNE_API_KEY"):
        DevTune(base_url="http://127.0.0.1:9/api/v2")


def test_a_base_url_without_scheme_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="https://"):
        DevTune(api_key(), base_url="devtune.ai/api/v2")


def test_repr_and_str_never_show_the_key() -> None:
    key = api_key()
    for client in (
        DevTune(key, base_url="http://127.0.0.1:9"),
        AsyncDevTune(key, base_url="http://127.0.0.1:9"),
    ):
        for shown in (repr(client), str(client), repr(client.http_client), repr(vars(client))):
            assert key not in shown


def test_with_timeout_returns_a_new_client() -> None:
    client = DevTune(api_key(), base_url="http://127.0.0.1:9")
    faster = client.with_timeout(0.5)
    assert faster.timeout == httpx.Timeout(0.5)
    assert client.timeout.read == 30.0
    assert client.timeout.connect == 10.0
    assert faster.webhooks is not client.webhooks


# --- MockTransport: what a correct server never does -------------------------------------------

PROJECT, WEBHOOK = uuid.uuid4(), uuid.uuid4()


def mocked(handler: Callable[[httpx.Request], httpx.Response], **options: object) -> DevTune:
    return DevTune(
        api_key(),
        base_url="http://127.0.0.1:9/api/v2",
        httpx_args={"transport": httpx.MockTransport(handler)},
        **options,  # type: ignore[arg-type]
    )


def test_a_malformed_meta_keeps_the_secret_and_warns_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = secrets.token_hex(32)
    body = {"data": {"secret": secret}, "meta": {"timestamp": "yesterday", "projectId": 42}}
    caplog.set_level(logging.WARNING, logger=LOGGER)
    rotated = mocked(lambda r: httpx.Response(200, json=body)).webhooks.rotate_secret(
        PROJECT, WEBHOOK
    )
    assert rotated.secret == secret
    assert rotated.timestamp is None
    assert rotated.project_id is None
    messages = [record.getMessage() for record in caplog.records]
    assert any("meta.timestamp" in message for message in messages)
    assert any("meta.projectId" in message for message in messages)
    assert secret not in caplog.text
    assert mask(secret) in caplog.text


def test_a_meta_that_is_not_an_object_keeps_the_secret() -> None:
    body = {"data": {"secret": "whsec_" + secrets.token_hex(24)}, "meta": "broken"}
    rotated = mocked(lambda r: httpx.Response(200, json=body)).webhooks.rotate_secret(
        PROJECT, WEBHOOK
    )
    assert rotated.secret.startswith("whsec_")
    assert rotated.timestamp is None


@pytest.mark.parametrize(
    "body",
    [{}, {"data": None}, {"data": {"secret": ""}}, {"data": {"secret": 123}}, [1, 2]],
    ids=["empty", "data-null", "secret-empty", "secret-number", "not-an-object"],
)
def test_a_success_without_a_secret_raises(body: object) -> None:
    with pytest.raises(MissingSecretError, match="rotate again"):
        mocked(lambda r: httpx.Response(200, json=body)).webhooks.rotate_secret(PROJECT, WEBHOOK)


def test_a_dropped_connection_is_outcome_unknown_and_not_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )

    caplog.set_level(logging.WARNING, logger=LOGGER)
    with pytest.raises(OutcomeUnknownError, match="may already have rotated") as raised:
        mocked(handler, retry=FAST_RETRIES).webhooks.rotate_secret(PROJECT, WEBHOOK)
    assert len(calls) == 1
    assert isinstance(raised.value.__cause__, httpx.RemoteProtocolError)
    assert "not retried" in caplog.text


def test_a_connection_that_never_opened_is_retried_then_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("refused", request=request)

    caplog.set_level(logging.WARNING, logger=LOGGER)
    with pytest.raises(ConnectionFailedError, match="not sent") as raised:
        mocked(handler, retry=FAST_RETRIES).webhooks.rotate_secret(PROJECT, WEBHOOK)
    assert len(calls) == FAST_RETRIES.max_attempts
    assert isinstance(raised.value.__cause__, httpx.ConnectError)
    retries = [r.getMessage() for r in caplog.records if "connection failed" in r.getMessage()]
    assert [m.split("(attempt ")[1] for m in retries] == ["2 of 3)", "3 of 3)"]


def test_the_authorization_header_is_added_per_request_only() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(200, json={"data": {"secret": "s" * 64}})

    client = mocked(handler)
    client.webhooks.rotate_secret(PROJECT, WEBHOOK)
    assert seen[0].startswith("Bearer dtk_live_")
    assert "Authorization" not in client.http_client.get_httpx_client().headers


def test_the_async_client_maps_transport_failures() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    async def call() -> None:
        async with AsyncDevTune(
            api_key(),
            base_url="http://127.0.0.1:9/api/v2",
            httpx_args={"transport": httpx.MockTransport(handler)},
        ) as client:
            await client.webhooks.rotate_secret(PROJECT, WEBHOOK)

    with pytest.raises(OutcomeUnknownError):
        asyncio.run(call())
