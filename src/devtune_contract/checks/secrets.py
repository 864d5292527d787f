"""The rotated secret: present once, strong, never repeated; keys never echoed back."""

from __future__ import annotations

import re

from devtune_contract.checks.exchange import ContractViolation, Exchange
from devtune_contract.checks.run import RunState
from devtune_contract.credentials import bearer_token
from devtune_contract.masking import mask

MIN_SECRET_BITS = 128
# Prefixes such as Standard Webhooks' ``whsec_`` say what the value is; they carry no entropy.
SECRET_PREFIX = re.compile(r"^[A-Za-z]+_")
STANDARD_WEBHOOKS_PREFIX = "whsec_"
HEX = re.compile(r"[0-9a-fA-F]+")
BASE64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")


def returned_secret(exchange: Exchange) -> str | None:
    """``data.secret`` of a 200 response, when it is a non-empty string."""
    if exchange.status != 200:
        return None
    body = exchange.parsed_body
    data = body.get("data") if isinstance(body, dict) else None
    secret = data.get("secret") if isinstance(data, dict) else None
    return secret if isinstance(secret, str) and secret else None


def secret_bits(secret: str) -> int | None:
    """Entropy bits of the secret's encoding after any prefix, or ``None`` if not hex/base64."""
    encoded = SECRET_PREFIX.sub("", secret, count=1)
    # Standard Webhooks' whsec_ secrets are base64 even when every character happens to be hex.
    if HEX.fullmatch(encoded) and not secret.startswith(STANDARD_WEBHOOKS_PREFIX):
        return 4 * len(encoded)
    if BASE64.fullmatch(encoded):
        return 6 * len(encoded.rstrip("="))
    return None


def secret_strength(exchange: Exchange, run: RunState) -> None:
    """The new secret holds at least 128 bits, hex or base64, after any prefix."""
    secret = returned_secret(exchange)
    if secret is None:
        return
    run.redactor.add(secret)
    bits = secret_bits(secret)
    if bits is None:
        raise ContractViolation(f"secret {mask(secret)} is neither hex nor base64")
    if bits < MIN_SECRET_BITS:
        raise ContractViolation(
            f"secret {mask(secret)} holds {bits} bits, at least {MIN_SECRET_BITS} are needed"
        )


def fresh_secret(exchange: Exchange, run: RunState) -> None:
    """Each rotation returns a secret never seen before in this run."""
    secret = returned_secret(exchange)
    if secret is None:
        return
    if run.remember_secret(secret, exchange.id) is not None:
        raise ContractViolation(
            f"secret {mask(secret)} was already returned by an earlier rotation"
        )


def no_credential_echo(exchange: Exchange, run: RunState) -> None:
    """No response body repeats the API key the request carried (or any configured key)."""
    sent = bearer_token(exchange.authorization)
    keys = {k for k in (sent, *run.settings.api_keys()) if k and len(k) >= 16}
    text = exchange.body.decode(errors="replace")
    for key in keys:
        if key in text:
            raise ContractViolation(f"the response body echoes the API key {mask(key)}")
