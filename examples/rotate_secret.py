"""Rotate a webhook's signing secret with ``DevTune``, synchronously and with ``asyncio``.

    DEVTUNE_BASE_URL=... DEVTUNE_API_KEY=... DEVTUNE_PROJECT_ID=... DEVTUNE_WEBHOOK_ID=... \
        python examples/rotate_secret.py

The new secret is shown once by the API; store it before anything else can go wrong. Exit
status 0 only when every rotation's secret was stored; otherwise one line on stderr and 1.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from devtune_api_client import (
    AsyncDevTune,
    ConfigurationError,
    DevTune,
    DevTuneError,
    OutcomeUnknownError,
    RateLimitError,
    RetryPolicy,
    RotatedSecretResult,
)

# Retries 429s after X-RateLimit-Reset (with jitter) and connections that never opened, never a
# request that may have reached the server, so a rotation is never repeated blindly.
RETRY = RetryPolicy(max_attempts=3, max_wait=30.0)


def store_secret(secret: str) -> None:
    """Stand-in for your secret store; the example shows only the secret's length."""
    print(f"stored a new secret of {len(secret)} characters")


def report(rotated: RotatedSecretResult) -> None:
    store_secret(rotated.secret)  # first, before anything else can fail
    if rotated.rate_limit is not None:
        print(
            f"{rotated.rate_limit.remaining}/{rotated.rate_limit.limit} requests left "
            f"until {rotated.rate_limit.reset_at:%H:%M:%S} UTC"
        )


def rotate_sync(project_id: str, webhook_id: str) -> None:
    with DevTune(retry=RETRY) as client:  # DEVTUNE_API_KEY and DEVTUNE_BASE_URL
        report(client.webhooks.rotate_secret(project_id, webhook_id))


async def rotate_async(project_id: str, webhook_id: str) -> None:
    async with AsyncDevTune(retry=RETRY) as client:
        report(await client.webhooks.rotate_secret(project_id, webhook_id))


def explain(error: DevTuneError) -> str:
    if isinstance(error, RateLimitError):
        return f"rate limited until {error.reset_at or 'an unknown time'}"
    if isinstance(error, OutcomeUnknownError):
        return f"{error} (the stored secret may no longer be valid)"
    return str(error)


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")  # retries, waits
    try:
        project_id = os.environ["DEVTUNE_PROJECT_ID"]
        webhook_id = os.environ["DEVTUNE_WEBHOOK_ID"]
    except KeyError as missing:
        print(f"rotate_secret: set {missing.args[0]}", file=sys.stderr)
        return 2
    try:
        rotate_sync(project_id, webhook_id)
        asyncio.run(rotate_async(project_id, webhook_id))
    except ConfigurationError as error:
        print(f"rotate_secret: {error}", file=sys.stderr)
        return 2
    except DevTuneError as error:  # no secret was stored for this rotation
        print(f"rotate_secret: {explain(error)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
