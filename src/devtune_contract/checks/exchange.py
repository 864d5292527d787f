"""One request and its response, in the neutral form every check reads."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

import attrs

from devtune_contract.operations import Operation


@attrs.frozen
class Exchange:
    """What a check may look at: the request's operation and target, and the complete response.

    ``path_parameters`` holds the operation's path parameters the request named, as text.
    """

    operation: Operation
    path_parameters: Mapping[str, str]
    method: str
    authorization: str | None = attrs.field(repr=False)
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes = attrs.field(repr=False)
    id: int = 0  # the same response validated twice keeps its id

    def parameter(self, name: str) -> str | None:
        """A path parameter's value as sent, or ``None`` when the request had none."""
        return self.path_parameters.get(name)

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
    """Whether two ids name the same resource: as UUIDs when both parse, else as text.

    Percent-decoded first, and in every spelling a UUID parser accepts (upper case, no
    hyphens, braces, ``urn:uuid:``): a server may read any of them as the same id, so a
    request naming the webhook in any of them could rotate it.
    """
    if value is None or expected is None:
        return False
    value, expected = unquote(str(value)), unquote(str(expected))
    try:
        return uuid.UUID(value) == uuid.UUID(expected)
    except ValueError:
        return value == expected


class ContractViolation(AssertionError):
    """A response breaks the contract. ``str()`` is the one-line failure title."""
