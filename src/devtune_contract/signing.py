"""Webhook delivery signatures: HMAC-SHA256 of the raw body, hex, in ``X-DevTune-Signature``."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-DevTune-Signature"


def sign(body: bytes, secret: str) -> str:
    """The hex signature DevTune puts on a delivery of ``body`` made with ``secret``."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, signature: str) -> bool:
    """Whether ``signature`` (hex, optionally ``sha256=``-prefixed) signs ``body``."""
    candidate = signature.removeprefix("sha256=").strip().lower()
    return hmac.compare_digest(sign(body, secret), candidate)
