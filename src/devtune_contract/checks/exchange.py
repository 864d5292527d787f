"""One request and its response, in the neutral form every check reads."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Mapping
from typing import Any

import attrs


@attrs.frozen
class Exchange:
    """What a check may look at: the request's target and the complete response."""

    method: str
    project_id: str | None
    webhook_id: str | None
    authorization: str | None = attrs.field(repr=False)
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes = attrs.field(repr=False)
    id: int = 0  # the same response validated twice keeps its id

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def is_json(self) -> bool:
        media = self.media_type
        return media == "application/json" or (
            media.startswith("application/") and media.endswith("+json")
        )

    @functools.cached_property
    def parsed_body(self) -> Any:
        """The decoded body, or ``None`` when it is not JSON at all; decoded once."""
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            return None


def same_id(value: object, expected: object) -> bool:
    """Whether two ids name the same resource: as UUIDs when both parse, else as text."""
    if value is None or expected is None:
        return False
    try:
        return uuid.UUID(str(value)) == uuid.UUID(str(expected))
    except ValueError:
        return str(value) == str(expected)


class ContractViolation(AssertionError):
    """A response breaks the contract. ``str()`` is the one-line failure title."""
