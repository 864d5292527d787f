"""Broken variants: good citizenship: a server that never answers must not hang the suite."""

from __future__ import annotations

import asyncio

from devtune_contract.server.policy import (
    Outcome,
    Policy,
    RotateRequest,
)
from devtune_contract.suite import scenarios
from teeth.registry import fault


@fault(
    "hangs_on_rotate",
    "authenticated requests never get an answer",
    # The preflight's request with the key already hangs; it stops the run in the name of the
    # unknown-webhook test, the first test that would have sent that request.
    (scenarios.ROTATION_RETURNS_A_NEW_SECRET, scenarios.UNKNOWN_WEBHOOK),
    environment={"DEVTUNE_REQUEST_TIMEOUT": "1"},
)
class HangsOnRotate(Policy):
    async def handle(self, request: RotateRequest) -> Outcome:
        if request.authorization:
            await asyncio.sleep(3600)
        return await super().handle(request)
