"""Broken variants: concurrent rotations that share a secret."""

from __future__ import annotations

import asyncio
import time

from devtune_contract import scenarios
from devtune_contract.checks.secrets import fresh_secret
from devtune_contract.server.policy import (
    Policy,
    Reply,
    RequestContext,
    RotateRequest,
    ServerConfig,
)
from devtune_contract.server.storage import Store, Webhook
from teeth.registry import fault


@fault(
    "concurrent_rotations_share_a_secret",
    "a rotation that starts while another is still being stored reuses its secret (50 ms "
    "storage write; sequential rotations are unaffected)",
    (scenarios.CONCURRENT_ROTATIONS, fresh_secret),
)
class ConcurrentRotationsShareASecret(Policy):
    def __init__(self, store: Store, config: ServerConfig | None = None) -> None:
        super().__init__(store, config)
        self.in_flight = 0
        self.pending: str | None = None

    async def handle(self, request: RotateRequest) -> Reply:
        self.in_flight += 1
        try:
            outcome = await super().handle(request)
            if outcome.status == 200:
                await asyncio.sleep(0.05)  # a slow write: the window the race needs
            return outcome
        finally:
            self.in_flight -= 1
            if self.in_flight == 0:
                self.pending = None

    def new_secret(self, context: RequestContext, webhook: Webhook) -> str:
        if self.pending is None:
            self.pending = super().new_secret(context, webhook)
        return self.pending


@fault(
    "secret_cached_for_250_ms",
    "a freshly generated secret is reused for 250 ms: rotations close together share it",
    (
        scenarios.CONCURRENT_ROTATIONS,
        fresh_secret,
        scenarios.ROTATION_RETURNS_A_NEW_SECRET,
    ),
)
class SecretCachedFor250Ms(Policy):
    def __init__(self, store: Store, config: ServerConfig | None = None) -> None:
        super().__init__(store, config)
        self.cached: tuple[str, float] = ("", 0.0)

    def new_secret(self, context: RequestContext, webhook: Webhook) -> str:
        secret, made_at = self.cached
        if time.monotonic() - made_at > 0.25:
            self.cached = secret, made_at = super().new_secret(context, webhook), time.monotonic()
        return secret
