"""The key and the one-time secret stay safe on every path of the generated client.

Each test here reproduces one defect found by using the package as a consumer would.
"""

from __future__ import annotations

import pickle
import secrets
import socket
import uuid

import httpx
import pytest
from devtune_api_client import NO_RETRIES, AuthenticatedClient, errors
from devtune_api_client.api.default import rotate_webhook_secret
from devtune_api_client.models import RotatedSecret, RotatedSecretData

PROJECT, WEBHOOK = uuid.uuid4(), uuid.uuid4()


def api_key() -> str:
    return "dtk_live_" + secrets.token_hex(32)


def webhook_secret() -> str:
    return secrets.token_hex(32)


def mocked(handler: httpx.MockTransport, key: str, **options: object) -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url="http://127.0.0.1:9/api/v2",
        token=key,
        httpx_args={"transport": handler},
        **options,  # type: ignore[arg-type]
    )


def rotated_body(secret: str, meta: object) -> httpx.Response:
    return httpx.Response(200, json={"data": {"secret": secret}, "meta": meta})


def test_key_is_never_in_repr_and_callers_headers_are_untouched() -> None:
    key, headers = api_key(), {"X-Trace": "1"}
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return rotated_body(webhook_secret(), {})

    client = mocked(httpx.MockTransport(handler), key, headers=headers)
    rotate_webhook_secret.sync_detailed(PROJECT, WEBHOOK, client=client)
    assert seen == [f"Bearer {key}"]
    assert headers == {"X-Trace": "1"}
    for shown in (repr(client), str(client), repr(client.get_httpx_client().headers)):
        assert key not in shown


def test_raising_mode_refuses_a_200_without_a_secret() -> None:
    client = mocked(
        httpx.MockTransport(lambda r: httpx.Response(200, json={})), api_key(), raise_on_error=True
    )
    with pytest.raises(errors.UnexpectedResponseError):
        rotate_webhook_secret.sync_detailed(PROJECT, WEBHOOK, client=client)


def test_raising_mode_keeps_a_secret_despite_a_malformed_meta() -> None:
    secret = webhook_secret()
    transport = httpx.MockTransport(lambda r: rotated_body(secret, {"timestamp": "yesterday"}))
    client = mocked(transport, api_key(), raise_on_error=True)
    response = rotate_webhook_secret.sync_detailed(PROJECT, WEBHOOK, client=client)
    assert response.parsed is not None
    assert response.parsed.data.secret == secret  # type: ignore[union-attr]


def test_default_mode_keeps_a_secret_despite_a_malformed_meta() -> None:
    secret = webhook_secret()
    transport = httpx.MockTransport(lambda r: rotated_body(secret, {"projectId": "nope"}))
    parsed = rotate_webhook_secret.sync(PROJECT, WEBHOOK, client=mocked(transport, api_key()))
    assert isinstance(parsed, RotatedSecret)
    assert isinstance(parsed.data, RotatedSecretData)
    assert parsed.data.secret == secret


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (httpx.ConnectError, "ConnectionFailedError"),
        (httpx.ReadTimeout, "OutcomeUnknownError"),
        (httpx.RemoteProtocolError, "OutcomeUnknownError"),
    ],
)
def test_transport_failures_are_devtune_errors(
    failure: type[httpx.TransportError], expected: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure("simulated", request=request)

    client = mocked(httpx.MockTransport(handler), api_key(), retry=NO_RETRIES)
    with pytest.raises(errors.DevTuneError) as raised:
        rotate_webhook_secret.sync_detailed(PROJECT, WEBHOOK, client=client)
    assert type(raised.value).__name__ == expected
    assert isinstance(raised.value.__cause__, failure)


def test_there_is_a_finite_default_timeout() -> None:
    client = AuthenticatedClient(base_url="http://127.0.0.1:9", token=api_key())
    timeout = client.get_httpx_client().timeout
    assert None not in (timeout.connect, timeout.read, timeout.write, timeout.pool)


def test_with_timeout_leaves_the_original_untouched() -> None:
    client = AuthenticatedClient(base_url="http://127.0.0.1:9", token=api_key())
    before = client.get_httpx_client().timeout
    faster = client.with_timeout(httpx.Timeout(1.0))
    assert client.get_httpx_client().timeout == before
    assert faster.get_httpx_client().timeout == httpx.Timeout(1.0)


def test_errors_pickle() -> None:
    client = mocked(
        httpx.MockTransport(
            lambda r: httpx.Response(
                404, json={"error": "not_found", "message": "m", "status": 404}
            )
        ),
        api_key(),
        raise_on_error=True,
    )
    with pytest.raises(errors.NotFoundError) as raised:
        rotate_webhook_secret.sync_detailed(PROJECT, WEBHOOK, client=client)
    copy = pickle.loads(pickle.dumps(raised.value))  # noqa: S301
    assert type(copy) is errors.NotFoundError
    assert str(copy) == str(raised.value)


# --- beyond the reproduced defects: every path that could show the key or the secret ---------


def shown_forms(error: BaseException) -> list[str]:
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301
    return [str(error), repr(error), str(copy), repr(copy), repr(vars(copy)), repr(error.args)]


def test_requests_and_auth_never_show_the_key() -> None:
    key, requests = api_key(), []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return rotated_body(webhook_secret(), {})

    client = mocked(httpx.MockTransport(handler), key)
    rotate_webhook_secret.sync_detailed(PROJECT, WEBHOOK, client=client)
    auth = client.request_auth()
    for shown in (repr(requests[0]), str(requests[0]), repr(requests[0].headers), repr(auth)):
        assert key not in shown
    assert errors.mask(key) in repr(auth)


def test_an_error_body_echoing_the_key_is_masked_everywhere() -> None:
    key = api_key()
    echo = {"error": "unauthorized", "message": f"bad key {key}", "status": 401}
    transport = httpx.MockTransport(lambda r: httpx.Response(401, json=echo))
    with pytest.raises(errors.UnauthorizedError) as raised:
        rotate_webhook_secret.sync(
            PROJECT, WEBHOOK, client=mocked(transport, key, raise_on_error=True)
        )
    for shown in shown_forms(raised.value):
        assert key not in shown
    assert errors.mask(key) in str(raised.value)
    assert raised.value.body is not None
    assert raised.value.body.message == f"bad key {errors.mask(key)}"
    assert key.encode() not in pickle.dumps(raised.value)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(lambda s: {"secret": s}, id="secret-misplaced"),
        pytest.param(lambda s: {"data": {"secret": ""}, "extra": s}, id="empty-secret"),
        pytest.param(lambda s: {"data": {"token": s}}, id="no-secret-field"),
    ],
)
def test_a_success_without_data_secret_raises_without_showing_the_body(body: object) -> None:
    secret = webhook_secret()
    make = body  # a callable building the JSON body around ``secret``
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=make(secret)))  # type: ignore[operator]
    with pytest.raises(errors.MissingSecretError) as raised:
        rotate_webhook_secret.sync(
            PROJECT, WEBHOOK, client=mocked(transport, api_key(), raise_on_error=True)
        )
    assert "rotate again" in str(raised.value)
    for shown in shown_forms(raised.value):
        assert secret not in shown
    assert raised.value.content == b""


def test_a_non_json_error_page_is_shown_masked() -> None:
    key = api_key()
    page = f"<html>upstream rejected Bearer {key}</html>".encode()
    transport = httpx.MockTransport(lambda r: httpx.Response(502, content=page))
    with pytest.raises(errors.UnexpectedResponseError) as raised:
        rotate_webhook_secret.sync(
            PROJECT, WEBHOOK, client=mocked(transport, key, raise_on_error=True)
        )
    assert key not in str(raised.value)
    assert "HTTP 502" in str(raised.value)


@pytest.mark.parametrize(
    "error",
    [
        errors.ConnectionFailedError("ConnectError: refused"),
        errors.OutcomeUnknownError("ReadTimeout: timed out"),
        errors.MissingSecretError(200, b'{"secret": "abc"}'),
        errors.UnexpectedStatus(520, b"origin error"),
        errors.RateLimitError(429, None, None),
        errors.ConfigurationError("no base URL"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_every_error_pickles_to_the_same_type_and_message(error: errors.DevTuneError) -> None:
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert vars(copy) == vars(error)


def test_a_pickled_transport_error_leaves_the_request_and_key_behind() -> None:
    key = api_key()

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(errors.OutcomeUnknownError) as raised:
        rotate_webhook_secret.sync(
            PROJECT, WEBHOOK, client=mocked(httpx.MockTransport(handler), key)
        )
    assert raised.value.__cause__ is not None
    pickled = pickle.dumps(raised.value)
    assert key.encode() not in pickled
    assert b"Authorization" not in pickled
    assert "rotate again to hold a known secret" in str(pickle.loads(pickled))  # noqa: S301


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client = AuthenticatedClient(
            base_url=f"http://127.0.0.1:{listener.getsockname()[1]}", token=api_key(), timeout=0.3
        )
        with pytest.raises(errors.OutcomeUnknownError) as raised:
            rotate_webhook_secret.sync(PROJECT, WEBHOOK, client=client)
    assert isinstance(raised.value.__cause__, httpx.ReadTimeout)


def test_with_headers_and_cookies_leave_the_original_untouched() -> None:
    client = AuthenticatedClient(base_url="http://127.0.0.1:9", token=api_key(), headers={"A": "1"})
    original = client.get_httpx_client()
    client.with_headers({"B": "2"}).with_cookies({"c": "3"}).get_httpx_client()
    assert "B" not in original.headers
    assert not original.cookies


def test_timeout_accepts_seconds() -> None:
    client = AuthenticatedClient(base_url="http://127.0.0.1:9", token=api_key(), timeout=2.5)
    assert client.timeout == httpx.Timeout(2.5)
    assert client.with_timeout(1).timeout == httpx.Timeout(1)
    assert client.timeout == httpx.Timeout(2.5)
