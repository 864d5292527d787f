"""Errors raised by API functions.

With ``raise_on_error=True`` on the client, documented error statuses raise an
:class:`ApiError` subclass carrying the parsed body and rate-limit information, and anything
the contract does not describe raises :class:`UnexpectedResponseError`. Every error derives
from :class:`DevTuneError`.
"""

from typing import Any

from .types import RateLimit

BODY_EXCERPT = 200


class DevTuneError(Exception):
    """Base class of every error this package raises on purpose."""


class UnexpectedResponseError(DevTuneError):
    """A status or body the contract does not describe (e.g. 520, or an HTML error page)."""

    def __init__(self, status_code: int, content: bytes, reason: str = "unexpected status") -> None:
        self.status_code = status_code
        self.content = content
        self.reason = reason
        excerpt = content[:BODY_EXCERPT].decode(errors="replace")
        more = "…" if len(content) > BODY_EXCERPT else ""
        super().__init__(f"{reason}: HTTP {status_code}, body {excerpt!r}{more}")


class UnexpectedStatus(UnexpectedResponseError):
    """Raised when ``raise_on_unexpected_status`` is set and the status is undocumented."""

    def __init__(self, status_code: int, content: bytes) -> None:
        super().__init__(status_code, content, "undocumented status")


class ApiError(DevTuneError):
    """A documented error status, with its parsed ``{error, message, status}`` body."""

    def __init__(self, status_code: int, body: Any, rate_limit: RateLimit | None) -> None:
        self.status_code = status_code
        self.body = body
        self.rate_limit = rate_limit
        code = getattr(body, "error", "error")
        message = getattr(body, "message", "")
        super().__init__(f"HTTP {status_code} {code}: {message}")


class UnauthorizedError(ApiError):
    """401: the API key is missing, malformed, unknown, expired or revoked."""


class ForbiddenError(ApiError):
    """403: the key lacks the needed scope or belongs to another project."""


class NotFoundError(ApiError):
    """404: the resource does not exist (or is not visible to this key)."""


class RateLimitError(ApiError):
    """429: the key's rate limit is spent; ``rate_limit.reset_at`` says until when."""


ERRORS_BY_STATUS: dict[int, type[ApiError]] = {
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    429: RateLimitError,
}


__all__ = [
    "ApiError",
    "DevTuneError",
    "ERRORS_BY_STATUS",
    "ForbiddenError",
    "NotFoundError",
    "RateLimitError",
    "UnauthorizedError",
    "UnexpectedResponseError",
    "UnexpectedStatus",
]
