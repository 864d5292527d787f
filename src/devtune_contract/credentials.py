"""DevTune API keys: their published format, how they are made and how servers store them."""

from __future__ import annotations

import hashlib
import re
import secrets

API_KEY_PREFIX = "dtk_live_"
API_KEY_PATTERN = re.compile(r"dtk_live_[0-9a-f]{64}")
BEARER_PATTERN = re.compile(r"Bearer (\S+)", re.IGNORECASE)

WEBHOOKS_WRITE = "webhooks.write"
ALL_SCOPES = frozenset(
    {
        "visibility.read",
        "citations.read",
        "competitive.read",
        "adoption.read",
        "traffic.read",
        "tests.read",
        "actions.read",
        "actions.write",
        "intelligence.read",
        "webhooks.read",
        WEBHOOKS_WRITE,
    }
)


def new_api_key() -> str:
    """A fresh key in the published format: the prefix and 64 hex characters."""
    return API_KEY_PREFIX + secrets.token_hex(32)


def hash_api_key(key: str) -> str:
    """The SHA-256 digest a server stores instead of the key itself."""
    return hashlib.sha256(key.encode()).hexdigest()


def bearer_token(authorization: str | None) -> str | None:
    """The token of a well-formed ``Authorization: Bearer`` header, else ``None``."""
    if authorization is None:
        return None
    match = BEARER_PATTERN.fullmatch(authorization.strip())
    return match.group(1) if match else None
