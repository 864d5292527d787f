"""The generated client against the reference server, and against what no correct server does."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from devtune_api_client import (
    NO_RETRIES,
    AuthenticatedClient,
    ForbiddenError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimit,
    RateLimitError,
    RetryPolicy,
    UnauthorizedError,
    UnexpectedResponseError,
)
from devtune_api_client.api.default import rotate_webhook_secret
from devtune_api_client.models import ErrorBody, RotatedSecret, RotatedSecretData

from devtune_contract.server.embedded import EmbeddedServer

FAST_RETRIES = RetryPolicy(max_attempts=3, max_wait=5.0, jitter=0.05)


def client_for(
    server: EmbeddedServer, key: str | None = None, **options: object
) -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url=server.server.base_url,
        token=key or server.demo.write_key,
        **options,  # type: ignore[arg-type]
    )


def ids(server: EmbeddedServer) -> tuple[uuid.UUID, uuid.UUID]:
    return uuid.UUID(server.demo.project_id), uuid.UUID(server.demo.webhook_id)


def test_sync_rotation_returns_the_secret_and_rate_limit(server: EmbeddedServer) -> None:
    project, webhook = ids(server)
    response = rotate_webhook_secret.sync_detailed(project, webhook, client=client_for(server))
    assert response.status_code == 200
    assert isinstance(response.parsed, RotatedSecret)
    assert isinstance(response.parsed.data, RotatedSecretData)
    assert response.parsed.data.secret == server.store.current_secret(server.demo.webhook_id)
    assert response.rate_limit is not None
    assert response.rate_limit.limit == 100
    assert response.rate_limit.remaining == 99
    assert response.rate_limit.reset_at.tzinfo is not None
    assert response.rate_limit.reset_at > datetime.now(UTC)


def test_async_rotation_returns_a_new_secret(server: EmbeddedServer) -> None:
    project, webhook = ids(server)

    async def rotate_twice() -> list[RotatedSecret | ErrorBody | None]:
        async with client_for(server, raise_on_error=True) as client:
            return [
                await rotate_webhook_secret.asyncio(project, webhook, client=client)
                for _ in range(2)
            ]

    first, second = asyncio.run(rotate_twice())
    assert isinstance(first, RotatedSecret)
    assert isinstance(second, RotatedSecret)
    assert isinstance(first.data, RotatedSecretData)
    assert isinstance(second.data, RotatedSecretData)
    assert first.data.secret != second.data.secret


@pytest.mark.parametrize(
    ("situation", "error"),
    [
        ("unknown_key", UnauthorizedError),
        ("read_only", ForbiddenError),
        ("unknown_webhook", NotFoundError),
    ],
)
def test_raising_mode_maps_documented_errors(
    server: EmbeddedServer, situation: str, error: type[Exception]
) -> None:
    project, webhook = ids(server)
    key = {"unknown_key": "dtk_live_" + "0" * 64, "read_only": server.demo.read_only_key}.get(
        situation
    )
    if situation == "unknown_webhook":
        webhook = uuid.uuid4()
    client = client_for(server, key, raise_on_error=True)
    with pytest.raises(error) as raised:
        rotate_webhook_secret.sync(project, webhook, client=client)
    assert raised.value.body.status == raised.value.status_code  # type: ignore[attr-defined]


def test_non_raising_mode_returns_error_bodies(server: EmbeddedServer) -> None:
    project, _ = ids(server)
    parsed = rotate_webhook_secret.sync(project, uuid.uuid4(), client=client_for(server))
    assert isinstance(parsed, ErrorBody)
    assert parsed.error == "not_found"


def test_rate_limit_error_carries_body_and_reset(tiny_quota_server: EmbeddedServer) -> None:
    project, webhook = ids(tiny_quota_server)
    client = client_for(tiny_quota_server, raise_on_error=True, retry=NO_RETRIES)
    for _ in range(2):
        rotate_webhook_secret.sync(project, webhook, client=client)
    with pytest.raises(RateLimitError) as raised:
        rotate_webhook_secret.sync(project, webhook, client=client)
    assert raised.value.body is not None
    assert raised.value.body.error == "rate_limit_exceeded"
    assert raised.value.rate_limit is not None
    assert raised.value.rate_limit.remaining == 0
    assert raised.value.rate_limit.reset >= time.time()


def test_429_is_retried_after_the_real_reset(tiny_quota_server: EmbeddedServer) -> None:
    project, webhook = ids(tiny_quota_server)
    client = client_for(tiny_quota_server, raise_on_error=True, retry=FAST_RETRIES)
    for _ in range(2):
        rotate_webhook_secret.sync(project, webhook, client=client)
    started = time.monotonic()
    third = rotate_webhook_secret.sync(project, webhook, client=client)
    assert isinstance(third, RotatedSecret)
    assert time.monotonic() - started > 0.2, "the client retried without waiting for the reset"


def test_async_429_is_retried_after_the_real_reset(tiny_quota_server: EmbeddedServer) -> None:
    project, webhook = ids(tiny_quota_server)

    async def three_rotations() -> object:
        async with client_for(tiny_quota_server, raise_on_error=True, retry=FAST_RETRIES) as client:
            for _ in range(2):
                await rotate_webhook_secret.asyncio(project, webhook, client=client)
            return await rotate_webhook_secret.asyncio(project, webhook, client=client)

    assert isinstance(asyncio.run(three_rotations()), RotatedSecret)


# --- MockTransport: what a correct server never does -----------------------------------------

PROJECT, WEBHOOK = uuid.uuid4(), uuid.uuid4()


class Recorder:
    """A MockTransport handler that counts requests and answers from a script."""

    def __init__(self, *answers: Callable[[httpx.Request], httpx.Response]) -> None:
        self.answers = list(answers)
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        return answer(request)


def mocked(recorder: Recorder, **options: object) -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url="http://127.0.0.1:9/api/v2",
        token="dtk_live_" + "1" * 64,
        httpx_args={"transport": httpx.MockTransport(recorder)},
        retry=FAST_RETRIES,
        **options,  # type: ignore[arg-type]
    )


def answer(
    status: int, content: bytes, content_type: str = "application/json"
) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(
        status, content=content, headers={"Content-Type": content_type}
    )


def fail_with(error: type[httpx.TransportError]) -> Callable[[httpx.Request], httpx.Response]:
    def raise_error(request: httpx.Request) -> httpx.Response:
        raise error("simulated", request=request)

    return raise_error


BROKEN_BODIES = [
    pytest.param(answer(401, b"<html>Unauthorized</html>", "text/html"), 401, id="html-401"),
    pytest.param(answer(502, b"<html>Bad gateway</html>", "text/html"), 502, id="html-502"),
    pytest.param(answer(520, b"origin error", "text/plain"), 520, id="non-standard-520"),
    pytest.param(answer(404, b'{"error": "not_found"}'), 404, id="error-missing-fields"),
    pytest.param(answer(200, b"not json"), 200, id="200-not-json"),
]


@pytest.mark.parametrize(("handler", "status"), BROKEN_BODIES)
def test_broken_bodies_never_crash_the_default_mode(
    handler: Callable[[httpx.Request], httpx.Response], status: int
) -> None:
    response = rotate_webhook_secret.sync_detailed(
        PROJECT, WEBHOOK, client=mocked(Recorder(handler))
    )
    assert response.status_code == status
    assert response.parsed is None


@pytest.mark.parametrize(("handler", "status"), BROKEN_BODIES)
def test_broken_bodies_raise_one_clear_error(
    handler: Callable[[httpx.Request], httpx.Response], status: int
) -> None:
    client = mocked(Recorder(handler), raise_on_error=True)
    with pytest.raises(UnexpectedResponseError) as raised:
        rotate_webhook_secret.sync(PROJECT, WEBHOOK, client=client)
    assert raised.value.status_code == status
    assert f"HTTP {status}" in str(raised.value)


def test_long_bodies_are_truncated_in_the_error() -> None:
    client = mocked(Recorder(answer(520, b"x" * 10_000, "text/plain")), raise_on_error=True)
    with pytest.raises(UnexpectedResponseError) as raised:
        rotate_webhook_secret.sync(PROJECT, WEBHOOK, client=client)
    assert len(str(raised.value)) < 400


@pytest.mark.parametrize(
    "error",
    [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteTimeout],
)
def test_failures_after_sending_are_never_retried(error: type[httpx.TransportError]) -> None:
    recorder = Recorder(fail_with(error), answer(200, b'{"data": {"secret": "s"}}'))
    with pytest.raises(OutcomeUnknownError) as raised:
        rotate_webhook_secret.sync(PROJECT, WEBHOOK, client=mocked(recorder))
    assert isinstance(raised.value.__cause__, error)
    assert recorder.calls == 1, "a request that may have rotated the secret was sent again"


def test_server_errors_are_never_retried() -> None:
    recorder = Recorder(answer(503, b'{"error": "x", "message": "y", "status": 503}'))
    rotate_webhook_secret.sync_detailed(PROJECT, WEBHOOK, client=mocked(recorder))
    assert recorder.calls == 1


@pytest.mark.parametrize("error", [httpx.ConnectError, httpx.ConnectTimeout])
def test_connect_failures_are_retried(error: type[httpx.TransportError]) -> None:
    body = b'{"data": {"secret": "abc"}, "meta": {"projectId": "%s"}}' % str(PROJECT).encode()
    recorder = Recorder(fail_with(error), answer(200, body))
    parsed = rotate_webhook_secret.sync(PROJECT, WEBHOOK, client=mocked(recorder))
    assert isinstance(parsed, RotatedSecret)
    assert recorder.calls == 2


def test_async_read_timeout_is_not_retried() -> None:
    recorder = Recorder(fail_with(httpx.ReadTimeout), answer(200, b"{}"))

    async def call() -> None:
        await rotate_webhook_secret.asyncio(PROJECT, WEBHOOK, client=mocked(recorder))

    with pytest.raises(OutcomeUnknownError) as raised:
        asyncio.run(call())
    assert isinstance(raised.value.__cause__, httpx.ReadTimeout)
    assert recorder.calls == 1


def test_rate_limit_waits_are_bounded_by_max_wait() -> None:
    far_reset = str(int(time.time()) + 3600)
    headers = {
        "X-RateLimit-Limit": "1",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": far_reset,
    }
    body = b'{"error": "rate_limit_exceeded", "message": "m", "status": 429}'
    recorder = Recorder(lambda request: httpx.Response(429, content=body, headers=headers))
    started = time.monotonic()
    response = rotate_webhook_secret.sync_detailed(PROJECT, WEBHOOK, client=mocked(recorder))
    assert response.status_code == 429
    assert recorder.calls == 1, "a wait beyond max_wait must not be attempted"
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-RateLimit-Limit": "10"},
        {"X-RateLimit-Limit": "ten", "X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "1"},
    ],
)
def test_absent_or_malformed_rate_limit_headers_give_none(headers: dict[str, str]) -> None:
    assert RateLimit.from_headers(headers) is None


def test_client_repr_hides_the_token() -> None:
    token = "dtk_live_" + "2" * 64
    client = AuthenticatedClient(base_url="http://127.0.0.1:9", token=token)
    assert token not in repr(client)
