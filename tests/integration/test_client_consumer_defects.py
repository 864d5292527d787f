"""Defects a consumer met (issue 17): a key with a newline, chained errors holding the key, a
404 that never came from the API; and the client's masking held against ``masking.mask``."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import httpx
import pytest
from devtune_api_client import (
    NO_RETRIES,
    ConfigurationError,
    DevTune,
    DevTuneError,
    NotFoundError,
)
from devtune_api_client import errors as client_errors

from devtune_contract import masking
from devtune_contract.testing import DevTuneServer

PROJECT = "0b0f5b5e-8f3a-4c55-9d43-7d1f6b8f2f10"
WEBHOOK = "5d1c9a7e-2b4f-4e8a-a1c3-9f0e6d2b7c44"
LOCAL = "http://127.0.0.1:9/api/v2"


def api_key() -> str:
    return "dtk_live_" + secrets.token_hex(32)


@pytest.fixture(scope="module")
def kit() -> Iterator[DevTuneServer]:
    with DevTuneServer() as server:
        yield server


def chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception chained to it, by ``__cause__`` or ``__context__``."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [current.__cause__, current.__context__]


def assert_chain_holds_none_of(error: BaseException, *values: str) -> None:
    for link in chain(error):
        shown = f"{link!s} {link!r} {link.args!r}"
        for value in values:
            assert value not in shown, f"{type(link).__name__} in the chain of {error!r} holds it"
            assert value.strip() not in shown


def raised_by(call: Callable[[], object]) -> DevTuneError:
    with pytest.raises(DevTuneError) as raised:
        call()
    return raised.value


def never_sent(request: httpx.Request) -> httpx.Response:
    raise AssertionError("the request was sent")


def mocked(handler: Callable[[httpx.Request], httpx.Response], key: str) -> DevTune:
    return DevTune(
        key,
        base_url=LOCAL,
        retry=NO_RETRIES,
        httpx_args={"transport": httpx.MockTransport(handler)},
    )


# --- the key's surrounding whitespace --------------------------------------------------------


@pytest.mark.parametrize("padding", ["\n", "\r\n", " ", "\t", "  \n"])
def test_a_key_read_from_a_file_is_stripped(kit: DevTuneServer, padding: str) -> None:
    with DevTune(kit.api_key + padding, base_url=kit.base_url) as client:
        rotated = client.webhooks.rotate_secret(kit.project_id, kit.webhook_id)
    assert rotated.secret == kit.current_secret()


@pytest.mark.parametrize("padding", ["\n", " \n"])
def test_a_key_from_the_environment_is_stripped(
    kit: DevTuneServer, monkeypatch: pytest.MonkeyPatch, padding: str
) -> None:
    monkeypatch.setenv("DEVTUNE_API_KEY", kit.api_key + padding)
    with DevTune(base_url=kit.base_url) as client:
        client.webhooks.rotate_secret(kit.project_id, kit.webhook_id)


# --- other control or non-printable characters: refused before sending ---------------------


@pytest.mark.parametrize("bad", ["\n", "\x00", "\x1b", "\x7f", "\u200b", "\u2028", "é"])
def test_a_key_with_a_control_character_inside_is_refused_before_sending(bad: str) -> None:
    key = api_key()
    broken = key[:20] + bad + key[20:]
    with pytest.raises(ConfigurationError) as raised:
        mocked(never_sent, broken).webhooks.rotate_secret(PROJECT, WEBHOOK)
    assert "api_key" in str(raised.value)
    assert_chain_holds_none_of(raised.value, key[:20], key[20:])


def test_the_environment_key_is_named_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVTUNE_API_KEY", api_key() + "\x1b")
    with pytest.raises(ConfigurationError, match="DEVTUNE_API_KEY"):
        DevTune(base_url=LOCAL)


@pytest.mark.parametrize("bad", ["\n", "\r", "\t", "\x00", "\x7f", "\u200b", " "])
def test_a_base_url_with_a_control_character_is_refused_before_sending(bad: str) -> None:
    url = "http://127.0.0.1:9/api/v2"
    for broken in (url + bad, url[:10] + bad + url[10:]):
        with pytest.raises(ConfigurationError) as raised:
            DevTune(
                api_key(),
                base_url=broken,
                httpx_args={"transport": httpx.MockTransport(never_sent)},
            )
        assert "base URL" in str(raised.value)
        assert broken not in str(raised.value)
        assert "127.0.0.1" not in str(raised.value)


# --- no chained exception holds the key or a secret ------------------------------------------


def test_a_transport_error_quoting_the_key_is_scrubbed() -> None:
    key = api_key()

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.LocalProtocolError(f"Illegal header value b'Bearer {key}'", request=request)

    error = raised_by(lambda: mocked(handler, key).webhooks.rotate_secret(PROJECT, WEBHOOK))
    assert isinstance(error.__cause__, httpx.LocalProtocolError)  # still says what httpx saw
    assert_chain_holds_none_of(error, key)


def test_a_transport_error_quoting_a_secret_is_scrubbed() -> None:
    key, secret = api_key(), secrets.token_hex(32)

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError(f'partial body {{"data": {{"secret": "{secret}"', request=request)

    error = raised_by(lambda: mocked(handler, key).webhooks.rotate_secret(PROJECT, WEBHOOK))
    assert_chain_holds_none_of(error, key, secret)


def test_a_connect_error_quoting_a_non_standard_key_is_scrubbed() -> None:
    key = "not-a-devtune-key-" + secrets.token_hex(8)

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"refused for {key}", request=request)

    error = raised_by(lambda: mocked(handler, key).webhooks.rotate_secret(PROJECT, WEBHOOK))
    assert_chain_holds_none_of(error, key)


def secret_echoing(status: int, secret: str, key: str) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        body = f'{{"error": "x", "message": "key {key}", "status": {status}, "secret": "{secret}"'
        return httpx.Response(status, content=body.encode())  # cut short: not JSON

    return handler


@pytest.mark.parametrize("status", [200, 401, 403, 404, 429, 500, 520])
def test_no_error_chains_an_exception_holding_the_key_or_secret(status: int) -> None:
    key, secret = api_key(), secrets.token_hex(32)
    client = mocked(secret_echoing(status, secret, key), key)
    error = raised_by(lambda: client.webhooks.rotate_secret(PROJECT, WEBHOOK))
    assert_chain_holds_none_of(error, key, secret)


def test_every_fault_of_the_testing_kit_raises_clean_chains(kit: DevTuneServer) -> None:
    kit.reset()
    for fault in ("lost_response", "reset_before_commit", "server_error"):
        kit.fail_next(fault)
        with DevTune(kit.api_key, base_url=kit.base_url, retry=NO_RETRIES) as client:
            error = raised_by(lambda: client.webhooks.rotate_secret(kit.project_id, kit.webhook_id))
        assert_chain_holds_none_of(error, kit.api_key, kit.current_secret())


def test_a_key_passed_as_an_id_is_not_chained(kit: DevTuneServer) -> None:
    with DevTune(kit.api_key, base_url=kit.base_url) as client:
        error = raised_by(lambda: client.webhooks.rotate_secret(kit.api_key, kit.webhook_id))
    assert isinstance(error, ConfigurationError)
    assert_chain_holds_none_of(error, kit.api_key)


# --- a 404 that did not come from the API ----------------------------------------------------


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(404, html="<html><body><h1>404 Not Found</h1></body></html>"),
        httpx.Response(404),
        httpx.Response(404, json={"detail": "Not Found"}),
        httpx.Response(404, json=["not", "an", "object"]),
    ],
    ids=["html", "empty", "other-json", "json-array"],
)
def test_a_404_not_from_the_api_says_to_check_the_base_url(response: httpx.Response) -> None:
    error = raised_by(
        lambda: mocked(lambda r: response, api_key()).webhooks.rotate_secret(PROJECT, WEBHOOK)
    )
    assert isinstance(error, NotFoundError)
    message = str(error)
    assert "did not come from the DevTune API" in message
    assert "check the base URL" in message
    assert "/api/v2" in message
    assert error.status_code == 404


def test_a_base_url_without_the_prefix_gets_the_hint(kit: DevTuneServer) -> None:
    origin = kit.base_url.removesuffix("/api/v2")
    with DevTune(kit.api_key, base_url=origin) as client:
        error = raised_by(lambda: client.webhooks.rotate_secret(kit.project_id, kit.webhook_id))
    # The reference server answers its JSON error for any path: that one did come from it.
    assert isinstance(error, NotFoundError)


def test_the_apis_own_404_is_a_plain_not_found(kit: DevTuneServer) -> None:
    with DevTune(kit.api_key, base_url=kit.base_url) as client:
        error = raised_by(
            lambda: client.webhooks.rotate_secret(kit.project_id, kit.foreign_webhook_id)
        )
    assert type(error) is NotFoundError
    assert "did not come from" not in str(error)


# --- one masking rule ------------------------------------------------------------------------

MASK_SAMPLES = [
    "",
    "a",
    "abcd",
    "abcde",
    "dtk_live_",
    "dtk_live_ab",
    "dtk_live_" + "0123456789abcdef" * 4,
    "whsec_",
    "whsec_" + "A" * 44,
    "whse",
    "c564" + "f" * 60,
    "é" * 10,
    "  padded secret  ",
    "DTK_LIVE_" + "a" * 64,
]


@pytest.mark.parametrize("sample", MASK_SAMPLES)
def test_the_client_masks_as_masking_py_does(sample: str) -> None:
    assert client_errors.mask(sample) == masking.mask(sample)


def test_the_client_masks_key_shaped_text_as_masking_py_does() -> None:
    key = api_key()
    text = f"server said: key {key} and truncated {key[:14]}... ok"
    assert client_errors.mask_text(text) == masking.Redactor().redact(text)
