"""The suite's small parts on their own: cap, secret detection, curl, waits, transport words."""

from __future__ import annotations

import json
import secrets
import ssl
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from devtune_contract.masking import Redactor, looks_like_secret
from devtune_contract.operations import ROTATE_SECRET
from devtune_contract.settings import Pace
from devtune_contract.suite.engine import exchanges, transport, waiting
from devtune_contract.suite.engine.rotation_cap import CapReached, RotationCap
from devtune_contract.suite.reports import files as reports


def test_the_cap_counts_by_outcome() -> None:
    cap = RotationCap(2)
    for status in (401, 403, 404, 429):
        cap.reserve()
        cap.settle(status)
    assert cap.spent == 0
    cap.reserve()
    cap.settle(200)
    cap.reserve()
    cap.settle(None)  # lost: the webhook may have rotated
    assert cap.spent == 2
    with pytest.raises(CapReached, match="DEVTUNE_MAX_ROTATIONS=2"):
        cap.reserve()


def test_a_burst_reserves_all_or_nothing() -> None:
    cap = RotationCap(3)
    cap.reserve()
    with pytest.raises(CapReached):
        cap.reserve(3)
    assert cap.reserved == 1
    cap.release(1)
    cap.reserve(3)


def test_an_exchange_registers_its_secrets_before_any_check_reads_it() -> None:
    """Whatever the field is called: the one registration point is the exchange cache."""
    renamed, in_header = secrets.token_hex(32), "whsec_" + secrets.token_urlsafe(32)
    timestamp = "2026-11-27T06:18:11.123456+00:00"
    body = {"data": {"signingSecret": renamed}, "meta": {"timestamp": timestamp}}
    response = SimpleNamespace(
        status_code=200,
        headers={"Content-Type": ["application/json"], "X-Signing-Secret": [in_header]},
        content=json.dumps(body).encode(),
        request=SimpleNamespace(headers={}),
    )
    case = SimpleNamespace(
        method="POST", path=ROTATE_SECRET.path, path_parameters={"projectId": str(uuid.uuid4())}
    )
    redactor = Redactor()
    exchanges.ExchangeCache(redactor).view(case, response)
    assert renamed in redactor
    assert in_header in redactor
    assert timestamp not in redactor


def unremarkable_secret() -> str:
    """A random 128-bit base64url secret that the value rule alone misses (2-3% of them)."""
    while looks_like_secret(candidate := secrets.token_urlsafe(16)):
        pass
    return candidate


def test_a_success_registers_an_unremarkable_secret_under_any_name() -> None:
    """A renamed field whose value does not look random is still the rotated secret."""
    hidden = unremarkable_secret()
    rotated_at = "2026-11-27T06:18:11Z"
    webhook_id = str(uuid.uuid4())
    data = {"value": hidden, "rotatedAt": rotated_at, "webhookId": webhook_id}
    data |= {"algorithm": "hmac-sha256", "note": "rotated by the 2026 key-rotation policy"}
    body = {"data": data, "meta": {"timestamp": rotated_at, "projectId": str(uuid.uuid4())}}
    response = SimpleNamespace(
        status_code=200,
        headers={"Content-Type": ["application/json"]},
        content=json.dumps(body).encode(),
        request=SimpleNamespace(headers={}),
    )
    case = SimpleNamespace(
        method="POST", path=ROTATE_SECRET.path, path_parameters={"webhookId": webhook_id}
    )
    redactor = Redactor()
    exchanges.ExchangeCache(redactor).view(case, response)
    assert hidden in redactor
    for shown in (rotated_at, webhook_id, "hmac-sha256", data["note"]):
        assert shown not in redactor


ROTATE_URL = (
    f"http://127.0.0.1:8000/api/v2/projects/{uuid.uuid4()}/webhooks/{uuid.uuid4()}/rotate-secret"
)


class FakeRequest:
    method = "POST"

    def __init__(
        self, authorization: str | None, headers: dict[str, str], url: str = ROTATE_URL
    ) -> None:
        self.url = url
        self.headers = {"User-Agent": "schemathesis", "Accept": "*/*", **headers}
        if authorization is not None:
            self.headers["Authorization"] = authorization


class FakeResponse:
    def __init__(self, authorization: str | None, url: str = ROTATE_URL, **headers: str) -> None:
        self.request = FakeRequest(authorization, headers, url)


def test_curl_reads_keys_from_the_environment_and_warns_when_it_rotates() -> None:
    key = "dtk_live_" + secrets.token_hex(32)
    derived = key[:-1]
    shell = {key: "$DEVTUNE_API_KEY", derived: "${DEVTUNE_API_KEY%?}"}
    redactor = Redactor([key, derived])
    rotating = reports.curl(FakeResponse(f"Bearer {key}"), shell, redactor, rotates=True)
    assert rotating.startswith("# WARNING: this request can rotate")
    assert '-H "Authorization: Bearer $DEVTUNE_API_KEY"' in rotating
    assert key not in rotating
    refused = reports.curl(FakeResponse(f"Bearer {derived}"), shell, redactor, rotates=False)
    assert "Bearer ${DEVTUNE_API_KEY%?}" in refused
    assert "WARNING" not in refused
    literal = reports.curl(FakeResponse('Basic "$x"'), shell, redactor, rotates=False)
    assert r"Basic \"\$x\"" in literal


@pytest.mark.parametrize(
    ("response", "shown"),
    [
        pytest.param(
            lambda key: FakeResponse(f"Token {key}"),
            '-H "Authorization: Token $DEVTUNE_API_KEY"',
            id="token-scheme",
        ),
        pytest.param(
            lambda key: FakeResponse(key), '-H "Authorization: $DEVTUNE_API_KEY"', id="bare-key"
        ),
        pytest.param(
            lambda key: FakeResponse(None, **{"X-API-Key": key}),
            '-H "X-API-Key: $DEVTUNE_API_KEY"',
            id="x-api-key-header",
        ),
        pytest.param(
            lambda key: FakeResponse(None, f"{ROTATE_URL}?api_key={key}"),
            f'"{ROTATE_URL}?api_key=$DEVTUNE_API_KEY"',
            id="api-key-query",
        ),
    ],
)
def test_curl_runs_as_shown_wherever_the_key_was_sent(response: Any, shown: str) -> None:
    """Was: only ``Authorization`` was shown, and a key elsewhere appeared masked, so the
    reproducer of a server that accepts ``X-API-Key`` or ``?api_key=`` could not be run."""
    key = "dtk_live_" + secrets.token_hex(32)
    command = reports.curl(response(key), {key: "$DEVTUNE_API_KEY"}, Redactor([key]), rotates=True)
    assert shown in command
    assert key not in command
    assert "User-Agent" not in command  # what any client sends is left out


def test_one_line_failures_give_junit_one_line() -> None:
    failure = reports.OneLineFailure.of("secret_strength: too short (status 200)", "body")
    assert failure.reprcrash.message == "secret_strength: too short (status 200)"
    assert str(failure).splitlines()[-1] == "body"


def test_long_waits_are_announced(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    said: list[str] = []
    monkeypatch.setattr("devtune_contract.suite.engine.waiting.time.sleep", slept.append)
    waiting.wait(1.0, "short", said.append)
    waiting.wait(42.0, "rate limited (429) until X-RateLimit-Reset", said.append)
    assert slept == [1.0, 42.0]
    assert said == ["waiting 42 s: rate limited (429) until X-RateLimit-Reset"]


def test_the_pacer_spreads_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("devtune_contract.suite.engine.waiting.time.sleep", slept.append)
    pacer = waiting.Pacer(Pace(2, 10.0), lambda line: None)
    for _ in range(3):
        pacer.before_request()
    assert len(slept) == 2
    assert slept[-1] == pytest.approx(10.0, abs=0.5)


def test_tls_failures_name_the_cause_and_the_variables() -> None:
    reason = ssl.SSLCertVerificationError(
        1,
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
        "unable to get local issuer certificate (_ssl.c:1006)",
    )
    error = requests.exceptions.SSLError(reason)
    line = transport.describe(error, "https://staging.example.com/api/v2", 10)
    assert "unable to get local issuer certificate" in line
    assert "REQUESTS_CA_BUNDLE or SSL_CERT_FILE" in line
    assert "/api/v2" not in line


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, True),
        ({"SSL_CERT_FILE": "/ca.pem"}, "/ca.pem"),
        ({"REQUESTS_CA_BUNDLE": "/bundle.pem", "SSL_CERT_FILE": "/ca.pem"}, "/bundle.pem"),
    ],
)
def test_ca_bundle_follows_the_variables(environ: dict[str, str], expected: Any) -> None:
    assert transport.ca_bundle(environ) == expected


def test_an_origin_never_shows_credentials_or_paths() -> None:
    assert transport.origin("https://u:p@staging.example.com:8443/api/v2?x=1") == (
        "https://staging.example.com:8443"
    )


@pytest.mark.parametrize(
    ("reset", "expected"),
    [
        pytest.param("1000", 40.0, id="ahead"),
        pytest.param("900", 0.0, id="past"),
        pytest.param("\u00b3", waiting.UNREADABLE_RESET_WAIT, id="superscript-digit"),
        pytest.param("9" * 5000, None, id="thousands-of-digits"),
        pytest.param("-5", waiting.UNREADABLE_RESET_WAIT, id="negative"),
        pytest.param("", waiting.UNREADABLE_RESET_WAIT, id="absent"),
    ],
)
def test_a_429_reset_of_any_shape_gives_a_wait_not_a_crash(
    reset: str, expected: float | None
) -> None:
    delay = waiting.seconds_until_reset(reset, now=960.0)
    if expected is None:
        assert delay >= 0.0  # too far ahead: the caller's DEVTUNE_MAX_RESET_WAIT refuses it
    else:
        assert delay == expected


def test_repeated_header_lines_are_joined_so_checks_see_them_all() -> None:
    raw = SimpleNamespace(
        headers={"Cache-Control": ["no-cache", "public, max-age=60"], "X-One": "1"}
    )
    assert exchanges.response_headers(raw) == {
        "cache-control": "no-cache, public, max-age=60",
        "x-one": "1",
    }
