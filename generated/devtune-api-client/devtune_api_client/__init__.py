"""A client library for accessing DevTune API"""

from .client import NO_RETRIES, AuthenticatedClient, Client, RetryPolicy
from .errors import (
    ApiError,
    DevTuneError,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    UnauthorizedError,
    UnexpectedResponseError,
    UnexpectedStatus,
)
from .types import RateLimit

__all__ = (
    "NO_RETRIES",
    "ApiError",
    "AuthenticatedClient",
    "Client",
    "DevTuneError",
    "ForbiddenError",
    "NotFoundError",
    "RateLimit",
    "RateLimitError",
    "RetryPolicy",
    "UnauthorizedError",
    "UnexpectedResponseError",
    "UnexpectedStatus",
)
