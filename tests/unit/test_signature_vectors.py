"""The kit's one signer and the client's one verifier agree, over vectors both read.

Neither package may import the other (the kit does not depend on the client, the client ships
alone), so this test is what holds them together: every secret format DevTune may hand out,
every header form the verifier accepts, and known answers that pin the HMAC key to the secret's
UTF-8 text.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import attrs
import pytest
from devtune_api_client import InvalidSignatureError
from devtune_api_client.webhooks import verify_signature

from devtune_contract.constants import WEBHOOK_SECRET_PREFIX
from devtune_contract.signing import sign

# RFC 4231, test case 2: a public HMAC-SHA256 vector whose key is plain text.
RFC4231_KEY = "Jefe"
RFC4231_DATA = b"what do ya want for nothing?"
RFC4231_DIGEST = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def whsec_secret(size: int) -> str:
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(size)).decode()


SECRETS = {
    "hex": secrets.token_hex(32),
    "hex upper": secrets.token_hex(32).upper(),
    "whsec 24 bytes": whsec_secret(24),
    "whsec 64 bytes": whsec_secret(64),
    "base64url": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("="),
    "non-ascii": "clé-" + secrets.token_hex(8) + "-ünï",
}
BODIES = {
    "json": b'{"event":"webhook.test","data":{"n":1}}',
    "empty": b"",
    "1 KiB binary": secrets.token_bytes(1024),
}


@attrs.frozen
class HeaderForm:
    name: str
    prefix: str
    upper: bool

    def of(self, digest: str) -> str:
        return self.prefix + (digest.upper() if self.upper else digest)


FORMS = [
    HeaderForm("bare lower", "", upper=False),
    HeaderForm("bare upper", "", upper=True),
    HeaderForm("sha256= lower", "sha256=", upper=False),
    HeaderForm("sha256= upper", "sha256=", upper=True),
]


# Parametrized by name, never by value: pytest prints a failing test's arguments.
@pytest.mark.parametrize("form", FORMS, ids=lambda form: form.name)
@pytest.mark.parametrize("body_name", BODIES)
@pytest.mark.parametrize("secret_name", SECRETS)
def test_the_verifier_accepts_what_the_signer_signs(
    secret_name: str, body_name: str, form: HeaderForm
) -> None:
    secret, body = SECRETS[secret_name], BODIES[body_name]
    verify_signature(body, form.of(sign(body, secret)), secret)
    verify_signature(body, form.of(sign(body, secret)), [whsec_secret(32), secret])


@pytest.mark.parametrize("secret_name", SECRETS)
def test_the_verifier_refuses_the_signers_output_under_any_other_secret(secret_name: str) -> None:
    secret, body = SECRETS[secret_name], BODIES["json"]
    others = [s for s in SECRETS.values() if s != secret]
    with pytest.raises(InvalidSignatureError) as raised:
        verify_signature(body, sign(body, secret), others)
    assert raised.value.reason == "mismatch"


def test_both_sides_give_the_rfc_4231_known_answer() -> None:
    assert sign(RFC4231_DATA, RFC4231_KEY) == RFC4231_DIGEST
    verify_signature(RFC4231_DATA, RFC4231_DIGEST, RFC4231_KEY)
    verify_signature(RFC4231_DATA, "sha256=" + RFC4231_DIGEST.upper(), RFC4231_KEY)


def test_a_whsec_secret_is_used_as_its_text_never_base64_decoded() -> None:
    secret = SECRETS["whsec 24 bytes"]
    body = BODIES["json"]
    decoded = base64.b64decode(secret.removeprefix(WEBHOOK_SECRET_PREFIX))
    as_decoded_key = hmac.new(decoded, body, hashlib.sha256).hexdigest()
    as_text_key = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert sign(body, secret) == as_text_key != as_decoded_key
    with pytest.raises(InvalidSignatureError):
        verify_signature(body, as_decoded_key, secret)
