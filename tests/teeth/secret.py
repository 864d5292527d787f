"""Broken variants: the rotated secret: repeated, short, unencoded or not random."""

from __future__ import annotations

import base64
import itertools
import secrets
import time

from devtune_contract import scenarios
from devtune_contract.checks.secrets import fresh_secret, secret_randomness, secret_strength
from devtune_contract.server.policy import Policy, RequestContext, ServerConfig
from devtune_contract.server.storage import Store, Webhook
from teeth.registry import fault


@fault(
    "secret_never_changes",
    "every rotation returns the same secret",
    (fresh_secret, scenarios.ROTATION_RETURNS_A_NEW_SECRET),
)
class SecretNeverChanges(Policy):
    fixed = secrets.token_hex(32)

    def new_secret(self, context: RequestContext, webhook: Webhook) -> str:
        return self.fixed


@fault(
    "short_secret",
    "secrets hold 64 bits",
    (secret_strength,),
)
class ShortSecret(Policy):
    def new_secret(self, context: RequestContext, webhook: Webhook) -> str:
        return secrets.token_hex(8)


@fault(
    "secret_not_encoded",
    "the secret is neither hex nor base64",
    (secret_strength,),
)
class SecretNotEncoded(Policy):
    def new_secret(self, context: RequestContext, webhook: Webhook) -> str:
        return "secret!" + secrets.token_hex(16) + "!"


@fault(
    "secret_repeated_block",
    "the secret is 16 random bytes written twice (64 hex characters, 128 bits)",
    (secret_randomness,),
)
class SecretRepeatedBlock(Policy):
    def new_secret(self, context: RequestContext, webhook: Webhook) -> str:
        return secrets.token_hex(16) * 2


@fault(
    "secret_from_counter",
    "the secret is a nanosecond counter in 64 hex digits: fresh every time, never random",
    (secret_randomness,),
)
class SecretFromCounter(Policy):
    def __init__(self, store: Store, config: ServerConfig | None = None) -> None:
        super().__init__(store, config)
        self.counter = itertools.count(time.time_ns())

    def new_secret(self, context: RequestContext, webhook: Webhook) -> str:
        return f"{next(self.counter):064x}"


@fault(
    "secret_zero_padded",
    "whsec_ secrets encode 16 random bytes zero-padded to 32",
    (secret_randomness,),
)
class SecretZeroPadded(Policy):
    def new_secret(self, context: RequestContext, webhook: Webhook) -> str:
        return "whsec_" + base64.b64encode(secrets.token_bytes(16) + bytes(16)).decode()


@fault(
    "secret_bit_string",
    "the secret is 128 random bits written as 128 '0'/'1' characters, read as 512-bit hex",
    (secret_randomness,),
)
class SecretBitString(Policy):
    def new_secret(self, context: RequestContext, webhook: Webhook) -> str:
        return format(secrets.randbits(128), "0128b")


@fault(
    "secret_embeds_webhook_id",
    "the secret is the webhook id followed by 16 random bytes",
    (secret_randomness,),
)
class SecretEmbedsWebhookId(Policy):
    def new_secret(self, context: RequestContext, webhook: Webhook) -> str:
        return webhook.id.replace("-", "") + super().new_secret(context, webhook)[:32]
