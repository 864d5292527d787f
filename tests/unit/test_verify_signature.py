"""``devtune_api_client.webhooks.verify_signature``: what it refuses, and what it never shows."""

from __future__ import annotations

import logging
import pickle
import secrets

import pytest
from devtune_api_client import DevTuneError, InvalidSignatureError
from devtune_api_client.webhooks import verify_signature

from devtune_contract.signing import sign

BODY = b'{"event":"webhook.test","data":{"customer":"confidential-body-marker"}}'
CURRENT = secrets.token_hex(32)
PREVIOUS = secrets.token_hex(32)
GOOD = sign(BODY, CURRENT)

MALFORMED = {
    "empty": "",
    "63 hex digits": GOOD[:-1],
    "65 hex digits": GOOD + "0",
    "a non-hex digit": GOOD[:-1] + "g",
    "prefix only": "sha256=",
    "another prefix": "sha1=" + GOOD,
    "prefix in capitals": "SHA256=" + GOOD,
    "prefix twice": "sha256=sha256=" + GOOD,
    "colon instead of equals": "sha256:" + GOOD,
    "surrounding spaces": f" {GOOD} ",
    "trailing newline": GOOD + "\n",
    "base64 of the digest": "3q2+7w==" * 5,
    "two signatures": f"{GOOD},{GOOD}",
    "full-width digits": "\uff10" * 64,
}


def reason_for(signature: str | None, secrets_: str | list[str] = CURRENT) -> str:
    with pytest.raises(InvalidSignatureError) as raised:
        verify_signature(BODY, signature, secrets_)
    return raised.value.reason


def test_a_matching_signature_returns_none() -> None:
    assert verify_signature(BODY, GOOD, CURRENT) is None  # type: ignore[func-returns-value]


def test_a_missing_header_is_refused() -> None:
    assert reason_for(None) == "missing"


@pytest.mark.parametrize("name", MALFORMED)
def test_anything_but_64_hex_digits_is_malformed(name: str) -> None:
    assert reason_for(MALFORMED[name]) == "malformed"


def test_the_body_changed_after_signing_is_a_mismatch() -> None:
    with pytest.raises(InvalidSignatureError) as raised:
        verify_signature(BODY + b" ", GOOD, CURRENT)
    assert raised.value.reason == "mismatch"


def test_several_secrets_any_one_matching_is_enough() -> None:
    verify_signature(BODY, GOOD, [CURRENT, PREVIOUS])
    verify_signature(BODY, GOOD, (PREVIOUS, CURRENT))
    assert reason_for(GOOD, [PREVIOUS, secrets.token_hex(32)]) == "mismatch"


def test_a_one_secret_str_is_not_taken_for_a_sequence_of_characters() -> None:
    assert reason_for(sign(BODY, CURRENT[0]), CURRENT) == "mismatch"


@pytest.mark.parametrize("configured", [[], (), [""], [CURRENT, ""], ""])
def test_an_empty_configuration_is_a_value_error_before_the_header_is_read(
    configured: list[str],
) -> None:
    with pytest.raises(ValueError, match="secret") as raised:
        verify_signature(BODY, None, configured)
    assert not isinstance(raised.value, DevTuneError)  # a mistake in the code, not the delivery
    assert CURRENT not in str(raised.value)


def test_a_secret_of_the_wrong_type_is_a_value_error_naming_its_type_not_its_value() -> None:
    raw = CURRENT.encode()
    with pytest.raises(ValueError, match="bytes") as raised:
        verify_signature(BODY, GOOD, [raw])  # type: ignore[list-item]
    assert CURRENT not in str(raised.value)


OTHER = sign(BODY, secrets.token_hex(32))
REFUSED = {"missing": None, "malformed": "sha256=" + "z" * 64, "mismatch": OTHER}


@pytest.mark.parametrize("reason", REFUSED)
def test_no_error_shows_a_secret_the_header_or_the_body(
    reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(InvalidSignatureError) as raised:
        verify_signature(BODY, REFUSED[reason], [CURRENT, PREVIOUS])
    error = raised.value
    assert error.reason == reason
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own object)
    assert isinstance(copy, InvalidSignatureError)
    assert copy.reason == error.reason
    shown = " ".join([str(error), repr(error), str(copy), repr(copy), caplog.text])
    for hidden in (CURRENT, PREVIOUS, GOOD, OTHER, "confidential-body-marker"):
        assert hidden not in shown
    assert "z" * 64 not in shown
    assert error.__cause__ is None
    assert error.__context__ is None
