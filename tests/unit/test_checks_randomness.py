"""secret_randomness: the stated false-failure bound holds, random secrets pass, bad ones fail."""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Callable

import pytest
from unit.conftest import exchange as build
from unit.conftest import rotation_body

from devtune_contract.checks import ContractViolation, Exchange, RunState
from devtune_contract.checks.randomness import (
    BASE64,
    BUDGET,
    HEX,
    MAX_JUDGED_SYMBOLS,
    Encoding,
    alphabet_bound,
    block_bound,
    false_failure_bound,
    padding_bound,
    run_bound,
    thresholds,
)
from devtune_contract.checks.secrets import secret_randomness
from devtune_contract.credentials import API_KEY_PREFIX
from devtune_contract.settings import Settings

PROJECT = str(uuid.uuid4())
WEBHOOK = str(uuid.uuid4())
KEY = API_KEY_PREFIX + secrets.token_hex(32)
RANDOM_SECRETS_PER_ENCODING = 20_000
HEX_SYMBOLS_FOR_128_BITS = 32
BASE64_SYMBOLS_FOR_128_BITS = 22  # 132 bits: 21 symbols hold only 126


def rotation(secret: str) -> Exchange:
    body = rotation_body(secret, PROJECT)
    return build(200, body, authorization=f"Bearer {KEY}", project_id=PROJECT, webhook_id=WEBHOOK)


@pytest.fixture
def run() -> RunState:
    settings = Settings(api_key=KEY, project_id=PROJECT, webhook_id=WEBHOOK)
    return RunState(settings=settings)


@pytest.mark.parametrize(
    ("encoding", "shortest", "may_look_hex"),
    [
        (HEX, HEX_SYMBOLS_FOR_128_BITS, False),
        (BASE64, BASE64_SYMBOLS_FOR_128_BITS, True),  # base64 without the whsec_ prefix
        (BASE64, BASE64_SYMBOLS_FOR_128_BITS, False),
    ],
)
def test_false_failure_bound_is_below_one_in_a_billion_for_every_accepted_length(
    encoding: Encoding, shortest: int, may_look_hex: bool
) -> None:
    worst = max(
        false_failure_bound(encoding, n, may_look_hex=may_look_hex)
        for n in range(shortest, MAX_JUDGED_SYMBOLS + 1)
    )
    assert worst < 8e-10  # the figure the docstrings state; the issue asks for 1e-9


@pytest.mark.parametrize("encoding", [HEX, BASE64])
@pytest.mark.parametrize("n", [22, 32, 43, 44, 64, 88, 1000])
def test_each_threshold_is_the_most_sensitive_within_budget(encoding: Encoding, n: int) -> None:
    limits = thresholds(encoding, n)
    assert limits.run is not None
    assert limits.padding is not None
    assert limits.block is not None
    # Within budget...
    assert run_bound(encoding, n, limits.run) <= BUDGET
    assert padding_bound(encoding, limits.padding) <= BUDGET
    assert alphabet_bound(encoding, n, limits.distinct) <= BUDGET
    assert block_bound(encoding, n, limits.block) <= BUDGET
    # ...and one step more sensitive would not be.
    assert run_bound(encoding, n, limits.run - 1) > BUDGET
    assert padding_bound(encoding, limits.padding - 1) > BUDGET
    assert alphabet_bound(encoding, n, limits.distinct + 1) > BUDGET
    assert block_bound(encoding, n, limits.block - 1) > BUDGET


def b64(size: int) -> str:
    return base64.b64encode(secrets.token_bytes(size)).decode()


def b64url(size: int) -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(size)).decode().rstrip("=")


GENERATORS: dict[str, Callable[[], str]] = {
    "hex-16-bytes": lambda: secrets.token_hex(16),
    "hex-32-bytes": lambda: secrets.token_hex(32),
    "HEX-32-bytes": lambda: secrets.token_hex(32).upper(),
    "whsec-base64-24-bytes": lambda: "whsec_" + b64(24),
    "whsec-base64-32-bytes": lambda: "whsec_" + b64(32),
    "whsec-base64-17-bytes": lambda: "whsec_" + b64(17),  # 23 symbols, "==" padding
    "base64-16-bytes": lambda: b64(16),
    "base64url-32-bytes-unpadded": lambda: b64url(32),
    "base64url-17-bytes-unpadded": lambda: b64url(17),
}


@pytest.mark.parametrize("generate", GENERATORS.values(), ids=GENERATORS.keys())
def test_truly_random_secrets_pass(generate: Callable[[], str], run: RunState) -> None:
    failures = 0
    for _ in range(RANDOM_SECRETS_PER_ENCODING):
        try:
            secret_randomness(rotation(generate()), run)
        except ContractViolation:
            failures += 1
    assert failures == 0


def counter_hex(counter: int) -> str:
    return f"{counter:064x}"


NOT_RANDOM = {
    "zero-padded-hex": ("0" * 24 + secrets.token_hex(20), "zero padding"),
    "hex-of-a-counter": (counter_hex(1_764_223_091_123), "zero padding"),
    "hex-of-a-large-counter": (f"{2**250 + 12345:064x}", "zero padding|repeated"),
    # A doubled block also halves the distinct characters: that finding may come first
    # (for base64 in about 7% of draws), and either one names the fault.
    "repeated-block": (secrets.token_hex(16) * 2, "block of|distinct"),
    "repeated-short-block": (secrets.token_hex(4) * 8, "block of|distinct"),
    # A random bit string also has long runs or leading zeros now and then (about 3%).
    "binary-digits": (
        "".join(secrets.choice("01") for _ in range(64)),
        "distinct|in a row|zero padding",
    ),
    "few-hex-digits": ("".join(secrets.choice("abc123") for _ in range(64)), "distinct"),
    "run-in-the-middle": (secrets.token_hex(10) + "f" * 16 + secrets.token_hex(10), "in a row"),
    "base64-zero-bytes-at-the-end": (
        "whsec_" + base64.b64encode(secrets.token_bytes(16) + bytes(16)).decode(),
        "zero padding",
    ),
    "base64-zero-bytes-at-the-start": (
        base64.b64encode(bytes(12) + secrets.token_bytes(20)).decode(),
        "zero padding",
    ),
    "base64-repeated-block": ("whsec_" + b64(12) * 2, "block of|distinct"),
}


@pytest.mark.parametrize(("secret", "finding"), NOT_RANDOM.values(), ids=NOT_RANDOM.keys())
def test_visibly_generated_secrets_fail(secret: str, finding: str, run: RunState) -> None:
    with pytest.raises(ContractViolation, match=finding) as raised:
        secret_randomness(rotation(secret), run)
    assert secret not in str(raised.value)


def test_base64_equals_padding_is_not_zero_padding(run: RunState) -> None:
    for _ in range(2000):
        secret_randomness(rotation("whsec_" + b64(16)), run)  # always ends in "=="


CONTAINING = {
    "webhook-id": (WEBHOOK + secrets.token_hex(16), "webhook id"),
    "webhook-id-without-dashes": (WEBHOOK.replace("-", "") + secrets.token_hex(16), "webhook id"),
    "webhook-id-upper-case": (secrets.token_hex(8) + WEBHOOK.replace("-", "").upper(), "webhook"),
    "project-id": (secrets.token_hex(16) + PROJECT.replace("-", ""), "project id"),
    "api-key-hex-part": (KEY.removeprefix(API_KEY_PREFIX), "API key"),
    "api-key": ("whsec_" + KEY, "API key"),
}


@pytest.mark.parametrize(("secret", "name"), CONTAINING.values(), ids=CONTAINING.keys())
def test_secrets_containing_identifiers_fail(secret: str, name: str, run: RunState) -> None:
    with pytest.raises(ContractViolation, match=f"contains the {name}") as raised:
        secret_randomness(rotation(secret), run)
    assert KEY not in str(raised.value)
