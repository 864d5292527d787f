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

import hmac
from collections.abc import Sequence
from typing import NoReturn

from .errors import InvalidSignatureError

SIGNATURE_HEADER = "X-DevTune-Signature"
EVENT_HEADER = "X-DevTune-Event"
USER_AGENT = "DevTune-Webhook/2.0"
SIGNATURE_PREFIX = "sha256="
DIGEST_SIZE = 32  # SHA-256
DIGEST_HEX_LENGTH = 2 * DIGEST_SIZE

__all__ = [
    "EVENT_HEADER",
    "SIGNATURE_HEADER",
    "SIGNATURE_PREFIX",
    "USER_AGENT",
    "InvalidSignatureError",
    "verify_signature",
]


def _refuse(secrets: Sequence[object]) -> NoReturn:
    """The ``ValueError`` for a configuration that can never verify: a mistake in the code."""
    if not secrets:
        raise ValueError("verify_signature needs at least one secret; got an empty sequence")
    position, bad = next((i, s) for i, s in enumerate(secrets) if not isinstance(s, str) or not s)
    # The type and position only: the value may be a secret.
    raise ValueError(f"secret #{position} is not a non-empty str ({type(bad).__name__})")


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
    # Inline, not helpers: this runs on every delivery, and a call costs as much as the checks.
    candidates = (secrets,) if isinstance(secrets, str) else secrets
    for secret in candidates:
        if not isinstance(secret, str) or not secret:
            _refuse(candidates)
    if not candidates:
        _refuse(candidates)
    if signature is None:
        raise InvalidSignatureError("missing")
    digest = signature.removeprefix(SIGNATURE_PREFIX)
    try:  # either case of hex; fromhex skips whitespace, hence both length checks
        claimed = bytes.fromhex(digest) if len(digest) == DIGEST_HEX_LENGTH else b""
    except ValueError:
        claimed = b""
    if len(claimed) != DIGEST_SIZE:
        raise InvalidSignatureError("malformed")
    for secret in candidates:
        # "sha256" by name: hmac.digest's one-shot OpenSSL path, about as fast as hashing alone.
        if hmac.compare_digest(hmac.digest(secret.encode(), body, "sha256"), claimed):
            return
    raise InvalidSignatureError("mismatch")
