"""Webhook delivery signatures: HMAC-SHA256 of the raw body, hex, in ``X-DevTune-Signature``.

The kit's one signer (the testing kit's deliveries sign with it). The one verifier is the
client's ``devtune_api_client.webhooks.verify_signature``: the kit does not depend on the client
and the client cannot import the kit, so ``tests/unit/test_signature_vectors.py`` runs the
verifier on this signer's output over shared vectors instead.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-DevTune-Signature"
EVENT_HEADER = "X-DevTune-Event"
USER_AGENT = "DevTune-Webhook/2.0"


def sign(body: bytes, secret: str) -> str:
    """The hex signature DevTune puts on a delivery of ``body`` made with ``secret``.

    The key is the secret's text as UTF-8 bytes, whatever its format (hex, ``whsec_``): DevTune
    does not document otherwise, and the client's verifier assumes the same.
    """
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
