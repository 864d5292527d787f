"""Rotate a webhook's signing secret with the generated client: sync and async, every feature.

    DEVTUNE_BASE_URL=... DEVTUNE_API_KEY=... DEVTUNE_PROJECT_ID=... DEVTUNE_WEBHOOK_ID=... \
        python examples/rotate_secret.py

The new secret is shown once by the API; store it before anything else can go wrong.
"""

from __future__ import annotations

import asyncio
import os
import sys
from uuid import UUID

from devtune_api_client import (
    ApiError,
    AuthenticatedClient,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    UnauthorizedError,
    UnexpectedResponseError,
)
from devtune_api_client.api.default import rotate_webhook_secret
from devtune_api_client.models import RotatedSecret, RotatedSecretData


def store_secret(secret: str) -> None:
    """Stand-in for your secret store; the example shows only the secret's length."""
    print(f"stored a new secret of {len(secret)} characters")


def make_client() -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url=os.environ["DEVTUNE_BASE_URL"],
        token=os.environ["DEVTUNE_API_KEY"],
        raise_on_error=True,  # errors become exceptions instead of returned ErrorBody values
        # Retries 429s after X-RateLimit-Reset (with jitter) and connect errors only: never a
        # request that may have reached the server, so a rotation is never repeated blindly.
        retry=RetryPolicy(max_attempts=3, max_wait=30.0),
    )


def rotate_sync(project: UUID, webhook: UUID) -> int:
    with make_client() as client:
        try:
            response = rotate_webhook_secret.sync_detailed(project, webhook, client=client)
        except UnauthorizedError:
            print("the API key is missing, unknown or expired", file=sys.stderr)
            return 1
        except ForbiddenError as error:
            print(f"not allowed: {error.body.message if error.body else error}", file=sys.stderr)
            return 1
        except NotFoundError:
            print("no such webhook in this project", file=sys.stderr)
            return 1
        except RateLimitError as error:
            reset = error.rate_limit.reset_at.isoformat() if error.rate_limit else "unknown"
            print(f"rate limited until {reset}", file=sys.stderr)
            return 1
        except (ApiError, UnexpectedResponseError) as error:
            print(f"unexpected answer: {error}", file=sys.stderr)
            return 1
    parsed = response.parsed
    if isinstance(parsed, RotatedSecret) and isinstance(parsed.data, RotatedSecretData):
        store_secret(parsed.data.secret)
    if response.rate_limit is not None:
        print(
            f"{response.rate_limit.remaining}/{response.rate_limit.limit} requests left "
            f"until {response.rate_limit.reset_at:%H:%M:%S} UTC"
        )
    return 0


async def rotate_async(project: UUID, webhook: UUID) -> int:
    async with make_client() as client:
        rotated = await rotate_webhook_secret.asyncio(project, webhook, client=client)
    if isinstance(rotated, RotatedSecret) and isinstance(rotated.data, RotatedSecretData):
        store_secret(rotated.data.secret)
        return 0
    return 1


def main() -> int:
    project = UUID(os.environ["DEVTUNE_PROJECT_ID"])
    webhook = UUID(os.environ["DEVTUNE_WEBHOOK_ID"])
    return rotate_sync(project, webhook) or asyncio.run(rotate_async(project, webhook))


if __name__ == "__main__":
    raise SystemExit(main())
