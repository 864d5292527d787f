"""Contains some shared types for properties"""

from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import IO, BinaryIO, Generic, Literal, TypeVar

from attrs import define, frozen


class Unset:
    def __bool__(self) -> Literal[False]:
        return False


UNSET: Unset = Unset()

# The types that `httpx.Client(files=)` can accept, copied from that library.
FileContent = IO[bytes] | bytes | str
FileTypes = (
    # (filename, file (or bytes), content_type)
    tuple[str | None, FileContent, str | None]
    # (filename, file (or bytes), content_type, headers)
    | tuple[str | None, FileContent, str | None, Mapping[str, str]]
)
RequestFiles = list[tuple[str, FileTypes]]


@define
class File:
    """Contains information for file uploads"""

    payload: BinaryIO
    file_name: str | None = None
    mime_type: str | None = None

    def to_tuple(self) -> FileTypes:
        """Return a tuple representation that httpx will accept for multipart/form-data"""
        return self.file_name, self.payload, self.mime_type


T = TypeVar("T")


@frozen
class RateLimit:
    """The ``X-RateLimit-*`` headers of a response, parsed.

    ``reset`` is the Unix time in seconds at which the window resets; ``reset_at`` is the same
    moment as an aware UTC datetime.
    """

    limit: int
    remaining: int
    reset: int

    @property
    def reset_at(self) -> datetime:
        return datetime.fromtimestamp(self.reset, tz=UTC)

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> "RateLimit | None":
        """The parsed headers, or ``None`` when any is absent or not an integer; never raises."""
        try:
            return cls(
                limit=int(headers["X-RateLimit-Limit"]),
                remaining=int(headers["X-RateLimit-Remaining"]),
                reset=int(headers["X-RateLimit-Reset"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


def http_status(code: int) -> HTTPStatus | int:
    """``HTTPStatus`` for registered codes, the bare int for non-standard ones such as 520."""
    try:
        return HTTPStatus(code)
    except ValueError:
        return code


@define
class Response(Generic[T]):
    """A response from an endpoint, with its rate-limit headers parsed."""

    status_code: HTTPStatus | int
    content: bytes
    headers: MutableMapping[str, str]
    parsed: T | None
    rate_limit: RateLimit | None = None


__all__ = ["UNSET", "File", "FileTypes", "RateLimit", "RequestFiles", "Response", "Unset", "http_status"]
