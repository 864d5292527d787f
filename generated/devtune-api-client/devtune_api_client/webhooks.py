"""Verify the deliveries DevTune sends to your receiver, with one secret or several.

DevTune signs each delivery with the webhook's current secret and invalidates the old secret the
moment it rotates. A delivery signed just before a rotation can still arrive just after it, so a
receiver switching secrets verifies with the new one and, for a short overlap, the previous one:
``verify_signature(body, signature, [new, previous])``.

A receiver has no API client, so this is a module-level function, not a method of ``DevTune``.
What DevTune does not document, and what this module assumes:

- ``X-DevTune-Signature`` is the hex digest, bare or after ``sha256=``; both are accepted, in
  either case of hex.
- No timestamp is signed: only the raw body is, so nothing here bounds a replayed delivery.
- The HMAC key is the secret's text as UTF-8 bytes, whatever its format: a ``whsec_`` secret
  is not base64-decoded.
"""

import hashlib
import hmac
import re
from collections.abc import Sequence

from .errors import InvalidSignatureError

SIGNATURE_HEADER = "X-DevTune-Signature"
EVENT_HEADER = "X-DevTune-Event"
USER_AGENT = "DevTune-Webhook/2.0"
SIGNATURE_PREFIX = "sha256="
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")

__all__ = [
    "EVENT_HEADER",
    "SIGNATURE_HEADER",
    "SIGNATURE_PREFIX",
    "USER_AGENT",
    "InvalidSignatureError",
    "verify_signature",
]


def _keys(secrets: str | Sequence[str]) -> list[bytes]:
    """The HMAC keys to try, in order; ``ValueError`` for a configuration that can never verify."""
    candidates = [secrets] if isinstance(secrets, str) else list(secrets)
    if not candidates:
        raise ValueError("verify_signature needs at least one secret; got an empty sequence")
    for position, secret in enumerate(candidates):
        if not isinstance(secret, str) or not secret:
            # The type and position only: the value may be a secret.
            raise ValueError(f"secret #{position} is not a non-empty str ({type(secret).__name__})")
    return [secret.encode() for secret in candidates]


def verify_signature(body: bytes, signature: str | None, secrets: str | Sequence[str]) -> None:
    """Return if ``signature`` signs ``body`` with one of ``secrets``; raise otherwise.

    ``body`` is the raw request body, byte for byte as received (not re-serialized JSON).
    ``signature`` is the ``X-DevTune-Signature`` header's value, ``None`` when it is absent.
    ``secrets`` is one secret or several (the current one first, then the previous one during a
    switch-over); the first that matches wins, and every comparison is constant-time.

    Raises:
        InvalidSignatureError: the header is missing, is not 64 hex digits (bare or after
            ``sha256=``), or matches none of the secrets; ``reason`` says which.
        ValueError: ``secrets`` is empty or holds something other than a non-empty ``str``:
            a configuration mistake, raised before the header is looked at.
    """
    keys = _keys(secrets)
    if signature is None:
        raise InvalidSignatureError("missing")
    digest = signature.removeprefix(SIGNATURE_PREFIX)
    if not _HEX_DIGEST.fullmatch(digest):
        raise InvalidSignatureError("malformed")
    claimed = bytes.fromhex(digest)
    for key in keys:
        if hmac.compare_digest(hmac.digest(key, body, hashlib.sha256), claimed):
            return
    raise InvalidSignatureError("mismatch")
