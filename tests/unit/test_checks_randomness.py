"""secret_randomness: the stated false-failure bound holds, random secrets pass, bad ones fail."""

from __future__ import annotations

import base64
import math
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
    MAX_IDENTIFIERS,
    MAX_JUDGED_SYMBOLS,
    MIN_IDENTIFIER_LENGTH,
    Encoding,
    Thresholds,
    alphabet_bound,
    block_bound,
    false_failure_bound,
    longest_run,
    not_random,
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
    limits = thresholds.__wrapped__(encoding, n)  # computed afresh, not from the cache
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


@pytest.mark.parametrize("encoding", [HEX, BASE64])
@pytest.mark.parametrize("n", [22, 32, 64])
@pytest.mark.parametrize("may_look_hex", [True, False])
def test_the_false_failure_bound_sums_every_term(
    encoding: Encoding, n: int, may_look_hex: bool
) -> None:
    limits = thresholds(encoding, n)
    assert limits.run is not None
    assert limits.padding is not None
    assert limits.block is not None
    terms = [
        MAX_IDENTIFIERS * n * encoding.case_folded_match**MIN_IDENTIFIER_LENGTH,
        run_bound(encoding, n, limits.run),
        padding_bound(encoding, limits.padding),
        alphabet_bound(encoding, n, limits.distinct),
        block_bound(encoding, n, limits.block),
        (22 / 64) ** (n - 1) if may_look_hex else 0.0,
    ]
    bound = false_failure_bound(encoding, n, may_look_hex=may_look_hex)
    assert bound == pytest.approx(sum(terms), rel=1e-12, abs=0)


@pytest.mark.parametrize(
    ("bound", "expected"),
    [
        (lambda: run_bound(HEX, 32, 33), 0.0),  # a run longer than the secret
        (lambda: run_bound(HEX, 32, 32), 16.0**-31),  # one place for it
        (lambda: run_bound(HEX, 32, 31), 2 * 16.0**-30),
        (lambda: block_bound(HEX, 4, 5), 0.0),  # a block longer than the secret
        (lambda: block_bound(HEX, 4, 4), 0.0),  # one place: nothing to repeat
        (lambda: block_bound(HEX, 5, 4), 16.0**-4),  # two places, one pair
        (lambda: padding_bound(HEX, 9), 16.0**-9 + 16.0**-8 / 16),
        (lambda: alphabet_bound(HEX, 32, 5), math.comb(16, 5) * (5 / 16) ** 31),
    ],
)
def test_bounds_count_the_places_a_run_or_block_can_start(
    bound: Callable[[], float], expected: float
) -> None:
    assert bound() == pytest.approx(expected, rel=1e-12, abs=0)


# 32 hex symbols that pass (thresholds for hex of 32: run 11, padding 9, distinct 5, block 11).
PLAIN_HEX = "5b8e1f3a9c7d2e6b4f0a8c1d3e5f7a9b"
SIX_SYMBOLS = "44135443435252321535652316163451"


@pytest.mark.parametrize(
    ("symbols", "finding"),
    [
        pytest.param(PLAIN_HEX, None, id="plain"),
        pytest.param(PLAIN_HEX.upper(), None, id="upper-case"),
        pytest.param("0" * 9 + PLAIN_HEX[9:], "zero padding of 9 symbols", id="9-zeros-first"),
        pytest.param("0" * 8 + PLAIN_HEX[8:], None, id="8-zeros-first"),
        pytest.param(PLAIN_HEX[:23] + "0" * 9, "zero padding of 9 symbols", id="9-zeros-last"),
        pytest.param(PLAIN_HEX[:24] + "0" * 8, None, id="8-zeros-last"),
        pytest.param(
            PLAIN_HEX[:10] + "7" * 11 + PLAIN_HEX[21:],
            "one character repeated 11 times in a row",
            id="run-of-11",
        ),
        pytest.param(PLAIN_HEX[:10] + "7" * 10 + PLAIN_HEX[20:], None, id="run-of-10"),
        pytest.param(SIX_SYMBOLS, None, id="6-distinct"),
        pytest.param(
            SIX_SYMBOLS.replace("6", "5"), "only 5 distinct characters of 16", id="5-distinct"
        ),
        pytest.param(
            PLAIN_HEX[:21] + PLAIN_HEX[:11],
            "a block of 11 characters occurs twice",
            id="block-of-11-at-the-end",
        ),
        pytest.param(PLAIN_HEX[:22] + PLAIN_HEX[:10], None, id="block-of-10"),
    ],
)
def test_each_statistic_fails_at_its_threshold_and_passes_below(
    symbols: str, finding: str | None
) -> None:
    assert len(symbols) == 32
    assert not_random(HEX, symbols) == finding


def test_a_secret_too_short_for_any_statistic_has_no_thresholds() -> None:
    assert thresholds.__wrapped__(HEX, 4) == Thresholds(None, None, 0, None)


def test_a_128_bit_secret_is_judged(run: RunState) -> None:
    with pytest.raises(ContractViolation, match="zero padding of 9 symbols"):
        secret_randomness(rotation("0" * 9 + PLAIN_HEX[9:]), run)


def test_a_secret_neither_hex_nor_base64_is_left_to_secret_strength(run: RunState) -> None:
    secret_randomness(rotation("not a secret!"), run)


@pytest.mark.parametrize(("text", "run"), [("", 0), ("a", 1), ("ab", 1), ("abbba", 3)])
def test_longest_run(text: str, run: int) -> None:
    assert longest_run(text) == run


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
