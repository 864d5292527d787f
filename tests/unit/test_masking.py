"""Masking by value: every rule, and every guard against masking what is not a secret.

Secrets are built in code (never a committed literal) and only ever counted in assertion
messages, so a failing test cannot show one.
"""

from __future__ import annotations

import base64
import json
import secrets
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devtune_contract.credentials import new_api_key
from devtune_contract.masking import (
    MIN_ESTIMATED_BITS,
    MIN_SECRET_LENGTH,
    Redactor,
    estimated_bits,
    letter_digit_changes,
    looks_like_secret,
    mask,
)

KEY = "dtk_live_" + "ab12" * 16
UUID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
DOCUMENTED_MESSAGES = [
    "Invalid or missing API key",
    "The API key may not rotate this webhook's secret",
    "The requested resource was not found",
    "Only POST is allowed on this path",
    "Rate limit exceeded. Please try again later.",
]
ORDINARY = [
    *DOCUMENTED_MESSAGES,
    "unauthorized forbidden not_found method_not_allowed rate_limit_exceeded bad_request",
    "2026-11-27T10:54:13.123Z 1764240853 X-RateLimit-Reset: 1764240900",
    "X-RateLimit-Remaining Content-Type: application/json; charset=utf-8 Cache-Control: no-store",
    f"POST /api/v2/projects/{UUID}/webhooks/{UUID.upper()}/rotate-secret",
    "test_rotation_returns_new_secret_each_time[hex-20] DEVTUNE_PROBE_MAX_REQUESTS",
    "/tmp/pytest-of-root/pytest-12/test_masking0/contract-junit.xml python3-devtune-contract-0.1.0",
    "signingSecretRotatedAt test_secret_strength_rejects_weak_secret_a1 schemathesis-4.32.5",
    "Schemathesis found 2 distinct failures; response_schema_conformance negative_data_rejection",
]


def hex_secret() -> str:
    return secrets.token_hex(32)


def whsec_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_kinds() -> list[str]:
    return [hex_secret(), whsec_secret(), secrets.token_urlsafe(32), new_api_key()]


def leaked(values: list[str], text: str) -> int:
    return sum(value in text for value in values)


def test_mask_shows_prefix_and_length_only() -> None:
    assert mask(KEY) == "dtk_live_ab12…(73 chars)"
    assert mask("whsec_c2VjcmV0c2VjcmV0") == "whsec_c2Vj…(22 chars)"
    assert mask("0123456789abcdef") == "0123…(16 chars)"


def test_redactor_hides_registered_values_everywhere() -> None:
    redactor = Redactor(["s3cr3t-value-1234"])
    text = redactor.redact("value s3cr3t-value-1234 twice xs3cr3t-value-1234y")
    assert "s3cr3t-value-1234" not in text
    assert text.count("s3cr…(17 chars)") == 2


@pytest.mark.parametrize(
    "template",
    [
        '{{"data": {{"signingSecret": "{}"}}}}',
        '{{"data": {{"signing-secret": "{}"}}}}',
        '{{"hmacKey": "{}"}}',
        '{{"a": {{"b": [{{"c": ["x", "{}"]}}]}}}}',
        "X-Webhook-Secret: {}\r\nContent-Type: text/plain",
        "your new secret is {} - store it now",
        "sig={}&next=1",
    ],
)
def test_unregistered_secrets_are_masked_whatever_their_name(template: str) -> None:
    values = secret_kinds()
    text = Redactor().redact("\n".join(template.format(value) for value in values))
    assert leaked(values, text) == 0, f"{leaked(values, text)} of {len(values)} secrets shown"
    assert text.count("chars)") == len(values)


def test_unregistered_keys_are_masked_even_truncated() -> None:
    text = Redactor().redact(f"Bearer {KEY} {{'bearer': 'dtk_live_8397f03b8eefff71...'}}")
    assert leaked([KEY, "8397f03b8eefff71"], text) == 0
    assert text.count("dtk_live_ab12…(73 chars)") == 1


def test_a_registered_secret_is_masked_once_not_twice() -> None:
    secret = hex_secret()
    body = json.dumps({"data": {"secret": secret}, "meta": {"projectId": UUID}})
    text = Redactor([secret]).redact(body)
    masked_once = f'"secret": "{secret[:4]}…(64 chars)"' in text
    assert masked_once, "the secret is not shown as its prefix and full length"
    assert text.count("chars)") == 1


@pytest.mark.parametrize(
    "value",
    [KEY, hex_secret(), whsec_secret(), "s3cr3t-value-1234"],
    ids=["api-key", "hex", "whsec", "short-word"],
)
def test_masked_tokens_are_never_masked_again(value: str) -> None:
    redactor = Redactor([value])
    for shown in (mask(value), redactor.redact(f"a {value}, b x{value}y, c {value}...")):
        assert leaked([value], shown) == 0
        stable = redactor.redact(shown) == shown == Redactor().redact(shown)  # never shown
        assert stable, "a masked value was masked again"


def test_the_longest_registered_value_wins() -> None:
    short, long = "abcdefgh12", "abcdefgh12345678"
    redactor = Redactor([short, long])
    assert redactor.redact(f"{long} {short}") == f"{mask(long)} {mask(short)}"


def test_overlapping_values_leave_no_visible_tail() -> None:
    first, second = "k3y-part-one-OVERLAP", "OVERLAP-part-two-k3y"
    text = Redactor([first, second]).redact("x " + first + second.removeprefix("OVERLAP") + " y")
    assert "part" not in text
    assert text == "x k3y-…(33 chars) y"


def test_truncated_displays_of_a_registered_value_are_masked() -> None:
    secret = "c6b4e1" + "f" * 58  # a weak secret: nothing but its registration hides it
    redactor = Redactor([secret])
    assert redactor.redact(f'"secret": "{secret[:12]}..."') == '"secret": "c6b4…(12 chars)..."'
    assert redactor.redact("c6b4e1 is not cut short") == "c6b4e1 is not cut short"


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_ids_and_documented_messages_survive(text: str) -> None:
    assert Redactor().redact(text) == text
    assert Redactor([KEY]).redact(text) == text


def test_canonical_uuids_are_never_secrets() -> None:
    assert not looks_like_secret(UUID)
    assert not looks_like_secret(UUID.upper())
    assert looks_like_secret(UUID.replace("-", "") + "0a1b")  # 36 hex without the dashes: a secret


def test_secret_thresholds() -> None:
    mixed_hex = "9f8e7d6c5b4a3f2e1d0c"  # 20 hex digits: 80 bits, letters and digits alternating
    assert len(mixed_hex) == MIN_SECRET_LENGTH
    assert looks_like_secret(mixed_hex)
    assert not looks_like_secret(mixed_hex[:-1])
    assert estimated_bits("a1" * 10) == MIN_ESTIMATED_BITS  # hex: 4 bits a character
    assert estimated_bits("aZ" * 10) == pytest.approx(20 * 5.7, abs=0.01)  # log2(52)
    assert not looks_like_secret("a1" * 16)  # long and mixed, but 1 bit a character
    assert not looks_like_secret("0" * 64)
    assert not looks_like_secret("deadbeefcafe" * 3)  # no digit: hex-looking words
    assert looks_like_secret("whsec_" + base64.b64encode(bytes(range(32))).decode())


@pytest.mark.parametrize(
    "make",
    [hex_secret, whsec_secret, lambda: secrets.token_urlsafe(32), new_api_key],
    ids=["hex-64", "whsec-base64", "base64url-43", "api-key"],
)
def test_random_secrets_of_every_encoding_look_like_secrets(make: object) -> None:
    assert callable(make)
    misses = sum(not looks_like_secret(make()) for _ in range(500))
    assert misses <= 1, f"{misses} of 500 random secrets not recognised"


def test_scan_registers_secrets_from_bodies_and_headers() -> None:
    weak, strong, key = "deadbeefdeadbeef", hex_secret(), new_api_key()
    redactor = Redactor()
    redactor.scan({"data": {"hmacKey": weak, "nested": [{"x": f"Bearer {key}"}]}})
    redactor.scan({"X-Signing-Secret": strong, "X-Request-Id": UUID})
    assert weak in redactor
    assert strong in redactor
    assert key in redactor
    shown = redactor.redact(f"{weak} {strong[:30]}... {key} {UUID}")
    assert leaked([weak, key, strong[:30]], shown) == 0
    assert shown.endswith(UUID)


def test_scan_leaves_ids_and_words_under_secret_names_alone() -> None:
    redactor = Redactor()
    redactor.scan({"apiKeyId": UUID, "secretNote": "rotated on request", "tokenType": "bearer"})
    for value in (UUID, "rotated on request", "bearer"):
        assert value not in redactor


def test_scan_registers_no_timestamp_sentence_or_media_type() -> None:
    body = {
        "meta": {"timestamp": "2026-11-27T06:18:11.123456+00:00", "projectId": UUID},
        "message": "Rate limit exceeded. Please try again later.",
    }
    redactor = Redactor()
    redactor.scan(body)
    redactor.scan({"content-type": "application/json; charset=utf-8"})
    shown = redactor.redact(json.dumps(body))
    assert "2026-11-27T06:18:11.123456+00:00" in shown
    assert "Rate limit exceeded. Please try again later." in shown


def test_short_values_are_not_masked() -> None:
    redactor = Redactor(["abc"])
    assert redactor.redact("abc") == "abc"


def test_a_megabyte_body_is_redacted_in_one_pass() -> None:
    values = [hex_secret() for _ in range(200)]
    redactor = Redactor(values)
    body = json.dumps([{"id": UUID, "note": "ordinary words 2026-11-27T10:54:13Z"}] * 12_000)
    body = body + json.dumps({"signingSecret": values[-1], "other": hex_secret()})
    started = time.perf_counter()
    shown = redactor.redact(body)
    elapsed = time.perf_counter() - started
    assert len(body) > 1_000_000
    assert leaked(values, shown) == 0
    # Generous: about 0.5 s on the 2-core CI machine; a per-value scan loop takes far longer.
    assert elapsed < 5, f"redacting 1 MB took {elapsed:.1f} s"


WORDS = st.sampled_from(["word", " ", "/", "-", "_", "=", ":", '"', "...", "…", UUID, "a1", "Z9"])


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(WORDS, st.sampled_from(range(4))), max_size=30))
def test_redaction_is_idempotent_and_hides_every_value(parts: list[str | int]) -> None:
    values = [hex_secret(), whsec_secret(), new_api_key(), secrets.token_urlsafe(24)]
    text = "".join(values[p] if isinstance(p, int) else p for p in parts)
    for redactor in (Redactor(values), Redactor()):
        once = redactor.redact(text)
        stable = redactor.redact(once) == once  # compared, never shown: ``once`` may leak
        assert stable, "redacting the redacted text changed it"
    assert leaked(values, Redactor(values).redact(text)) == 0
    # 256-bit secrets are recognised by value alone, glued to ids, words or each other.
    assert leaked(values[:3], Redactor().redact(text)) == 0


# --- boundaries: each threshold of the rule, with the value on either side --------------------

_UPPER = "QWERTYUIOPASDFGHJKLZXCVBNM"
_LETTERS = "".join(a + b for a, b in zip(_UPPER, _UPPER.lower(), strict=True))


def distinct_letters(count: int) -> str:
    """``count`` different letters, upper and lower case alternating: log2(count) bits a char."""
    return _LETTERS[:count]


@pytest.mark.parametrize(
    ("token", "secret"),
    [
        pytest.param("a1b2c3" * 4, True, id="6-symbols-2.58-bits"),
        pytest.param("a1b2c" * 5, False, id="5-symbols-2.32-bits"),
    ],
)
def test_secrets_need_2_5_bits_of_entropy_per_character(token: str, secret: bool) -> None:
    assert looks_like_secret(token) is secret


@pytest.mark.parametrize(
    ("token", "secret"),
    [
        pytest.param(distinct_letters(23), True, id="letters-only-4.52-bits"),
        pytest.param(distinct_letters(22), False, id="letters-only-4.46-bits"),
        pytest.param(distinct_letters(23).lower(), False, id="one-case-4.52-bits"),
        pytest.param(distinct_letters(23).upper(), False, id="upper-case-4.52-bits"),
        pytest.param(distinct_letters(15) * 2 + "77", True, id="with-a-digit-4.0-bits"),
        pytest.param(distinct_letters(14) * 2 + "77", False, id="with-a-digit-3.91-bits"),
        pytest.param(distinct_letters(15) * 2 + "++", True, id="with-base64-symbols-4.0-bits"),
        pytest.param(distinct_letters(15) * 2 + "--", False, id="with-base64url-symbols-4.0-bits"),
    ],
)
def test_mixed_case_without_letter_digit_texture_needs_4_or_4_5_bits(
    token: str, secret: bool
) -> None:
    """Letters and digits switching at most once: only mixed case at a high entropy counts."""
    assert letter_digit_changes(token) < 2
    assert looks_like_secret(token) is secret


def test_values_shorter_than_8_characters_are_never_registered() -> None:
    assert Redactor(["k3y-1234"]).redact("a k3y-1234 b") == "a k3y-…(8 chars) b"
    assert Redactor(["k3y-123"]).redact("a k3y-123 b") == "a k3y-123 b"
    redactor = Redactor()
    redactor.add("k3y-123", None, "", "k3y-1234")
    assert "k3y-123" not in redactor
    assert "k3y-1234" in redactor


# --- the KEY_LIKE fallback: keys too short or too plain to look like secrets ------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param(
            "Bearer dtk_live_00000000 rejected",
            "Bearer dtk_live_0000…(17 chars) rejected",
            id="truncated-plain-key",
        ),
        pytest.param("dtk_live_abcd", "dtk_live_abcd…(13 chars)", id="four-hex-digits"),
        pytest.param("dtk_live_abc and more", "dtk_live_abc and more", id="three-hex-digits"),
        pytest.param(
            "key=abcdefghdtk_live_" + "0" * 64 + "zz;",
            "key=abcdefghdtk_live_0000…(73 chars)zz;",
            id="glued-between-words",
        ),
        pytest.param(
            "dtk_live_" + "0" * 16 + "dtk_live_" + "f" * 16,
            "dtk_live_0000…(25 chars)dtk_live_ffff…(25 chars)",
            id="two-keys-glued",
        ),
    ],
)
def test_plain_keys_are_masked_by_their_format(text: str, shown: str) -> None:
    """Each key here is too short or too repetitive to look like a secret by its value."""
    assert Redactor().redact(text) == shown


# --- scan and scan_encoded: what a body registers ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "registered"),
    [
        ("api_key", True),
        ("private-key", True),
        ("X-Signing-Secret", True),
        ("accessToken", True),
        ("Passwd", True),
        ("hmac", True),
        ("key", False),
        ("publicKey", False),
        ("description", False),
    ],
)
def test_a_field_named_like_a_secret_registers_its_value(name: str, registered: bool) -> None:
    weak = "hunter2hunter2"  # nothing but its field's name makes it a secret
    redactor = Redactor()
    redactor.scan({"data": [{name: weak}]})
    assert (weak in redactor) is registered


def test_a_secret_used_as_a_json_key_is_registered() -> None:
    secret = hex_secret()
    redactor = Redactor()
    redactor.scan({"webhooks": {secret: {"rotated": True}}})
    assert secret in redactor
    assert leaked([secret], redactor.redact(f"{secret[:40]}...")) == 0


@pytest.mark.parametrize(
    ("value", "registered"),
    [
        pytest.param("A" * 20, True, id="20-symbols"),
        pytest.param("A" * 19, False, id="19-symbols"),
        pytest.param("AX" * 10, True, id="20-symbols-ending-in-X"),
        pytest.param("c" * 20 + "==", True, id="20-symbols-padded"),
        pytest.param("B" * 19 + "=", False, id="19-symbols-padded"),
        pytest.param("whsec_" + "D" * 20, True, id="whsec-20"),
        pytest.param("whsec_" + "D" * 19, False, id="whsec-19"),
        pytest.param("dtk_live_" + "e" * 19, False, id="key-prefix-19"),
        pytest.param("F" * 16 + "whsec_", True, id="ends-like-a-prefix"),
        pytest.param("a/b+c_d-" * 3, True, id="every-symbol"),
        pytest.param(UUID, False, id="uuid"),
        pytest.param("twenty or more characters", False, id="sentence"),
        pytest.param("2026-11-27T06:18:11.123456+00:00", False, id="timestamp"),
    ],
)
def test_scan_encoded_registers_every_value_that_could_be_an_encoded_secret(
    value: str, registered: bool
) -> None:
    redactor = Redactor()
    redactor.scan_encoded({"data": {"renamed": [value]}, "meta": (value,)})
    assert (value in redactor) is registered


def test_scan_encoded_reads_nested_values_only() -> None:
    redactor = Redactor()
    name, value = "N" * 24, "V" * 24
    redactor.scan_encoded({name: [{"inner": (value,)}], "count": 123456789012345678901234})
    assert value in redactor
    assert name not in redactor


# --- more edges of the rule and of the redactor -----------------------------------------------


@pytest.mark.parametrize(
    ("token", "secret"),
    [
        pytest.param("9F8e7d6c5b4a3f2e1d0c", True, id="20-mixed"),
        pytest.param("9F8e7d6c5b4a3f2e1d0", False, id="19-mixed-of-113-bits"),
        pytest.param("9F8e7d6c5b4a3f2e1d0X", True, id="ends-in-X"),
        pytest.param("9F8e7d6c5b4a3f2e1d0c==", True, id="padded"),
        pytest.param("a1a1b2c3" * 4, True, id="exactly-2.5-bits"),
        pytest.param("abcdefghij7klmnopqrst", True, id="two-letter-digit-changes"),
        pytest.param("abcdefghijklmnopqrst7", False, id="one-letter-digit-change"),
        pytest.param("Xx" + distinct_letters(20), False, id="letters-only-with-X-4.46-bits"),
    ],
)
def test_secret_edges(token: str, secret: bool) -> None:
    assert looks_like_secret(token) is secret


@pytest.mark.parametrize(("token", "bits"), [("+/" * 10, 20.0), ("é" * 30, 0.0), ("", 0.0)])
def test_estimated_bits_of_small_alphabets(token: str, bits: float) -> None:
    assert estimated_bits(token) == bits


def test_a_20_character_secret_is_masked_in_text() -> None:
    assert Redactor().redact("is 9F8e7d6c5b4a3f2e1d0c.") == "is 9F8e…(20 chars)."


def test_a_secret_glued_before_a_mask_is_masked_alone() -> None:
    secret = hex_secret()
    assert Redactor().redact(secret + mask(KEY)) == mask(secret) + mask(KEY)


def test_a_secret_and_a_plain_key_in_one_plain_stretch_are_each_masked() -> None:
    secret = hex_secret()
    text = Redactor().redact(f"{secret}dtk_live_abcd{'z' * 200}")
    assert text == f"{mask(secret)}dtk_live_abcd…(13 chars){'z' * 200}"


def test_every_one_of_nested_registered_values_is_masked_whole() -> None:
    values = ["k3y-" + "a" * n for n in range(4, 12)]
    redactor = Redactor(values)
    for value in values:
        assert redactor.redact(f"<{value}>") == f"<{mask(value)}>"


def test_values_overlapping_by_one_character_are_masked_as_one() -> None:
    redactor = Redactor(["k3y-part-one", "3y-part-one-tail"])
    assert redactor.redact("k3y-part-one-tail") == "k3y-…(17 chars)"


def test_scan_registers_plain_keys_and_overpadded_secrets() -> None:
    secret = hex_secret()
    redactor = Redactor()
    redactor.scan({"note": "Bearer dtk_live_00000000", "sig": secret + "==="})
    assert "dtk_live_00000000" in redactor
    assert secret + "===" in redactor


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param("c6b4e1ff...", "c6b4…(8 chars)...", id="8-characters-cut-short"),
        pytest.param("ordinary...", "ordinary...", id="a-word-cut-short"),
        pytest.param("zzzzzzzz...", "zzzzzzzz...", id="after-every-value"),
    ],
)
def test_only_displays_of_a_registered_value_cut_short_are_masked(text: str, shown: str) -> None:
    redactor = Redactor(["c6b4e1" + "f" * 58])
    assert redactor.redact(text) == shown
