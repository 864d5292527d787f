"""A client library for accessing DevTune API"""

from .api import AsyncDevTune, DevTune, RawResponse, RotatedSecretResult
from .client import DEFAULT_TIMEOUT, NO_RETRIES, AuthenticatedClient, Client, RetryPolicy
from .errors import (
    ApiError,
    ConfigurationError,
    ConnectionFailedError,
    DevTuneError,
    ForbiddenError,
    InvalidSignatureError,
    MissingSecretError,
    NotFoundError,
    NotFromApiError,
    OutcomeUnknownError,
    RateLimitError,
    UnauthorizedError,
    UnexpectedResponseError,
    UnexpectedStatus,
)
from .types import RateLimit

__all__ = (
    "DEFAULT_TIMEOUT",
    "NO_RETRIES",
    "ApiError",
    "AsyncDevTune",
    "AuthenticatedClient",
    "Client",
    "ConfigurationError",
    "ConnectionFailedError",
    "DevTune",
    "DevTuneError",
    "ForbiddenError",
    "InvalidSignatureError",
    "MissingSecretError",
    "NotFoundError",
    "NotFromApiError",
    "OutcomeUnknownError",
    "RateLimit",
    "RateLimitError",
    "RawResponse",
    "RetryPolicy",
    "RotatedSecretResult",
    "UnauthorizedError",
    "UnexpectedResponseError",
    "UnexpectedStatus",
)
