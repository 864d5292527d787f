"""Responses as :class:`Exchange` views, built once each; the one place secrets are registered.

A response becomes an exchange before any check reads it, and that is when every secret-looking
string of its body is handed to the redactor: whatever the field is called, whichever check
runs first, nothing printed afterwards can show it.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

from devtune_contract.checks import Exchange
from devtune_contract.checks.secrets import returned_secret
from devtune_contract.masking import Redactor

# A token-shaped string this long whose characters carry this many bits each is treated as a
# secret whatever its field is called: 32 random hex characters score about 3.5 bits per
# character, 64 about 3.8; timestamps and sentences are not token-shaped (``:``, spaces).
SECRET_MIN_LENGTH = 20
SECRET_MIN_BITS_PER_CHAR = 3.0
TOKEN = re.compile(r"[A-Za-z0-9_+/=.~-]+")


def response_headers(response: Any) -> dict[str, str]:
    """A schemathesis response's headers, lower-cased, first value of each."""
    return {
        name.lower(): value[0] if isinstance(value, list) else str(value)
        for name, value in response.headers.items()
    }


def looks_secret(value: str) -> bool:
    """Long, token-shaped and high-entropy: how a secret looks whatever its field name."""
    if len(value) < SECRET_MIN_LENGTH or not TOKEN.fullmatch(value):
        return False
    counts = Counter(value)
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return entropy >= SECRET_MIN_BITS_PER_CHAR


def strings_in(value: object) -> Iterator[str]:
    """Every string value anywhere in a decoded JSON document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


class ExchangeCache:
    """One :class:`Exchange` per response object, however many checks and tests read it.

    Responses have ``__slots__``, so the view cannot be attached to them; this map keeps each
    response alive, which keeps ``id()`` unique and gives every exchange a stable number.
    """

    def __init__(self, redactor: Redactor, public: frozenset[str] = frozenset()) -> None:
        self._redactor = redactor
        self._public = public  # configured ids: never masked
        self._counter = itertools.count(1)
        self._views: dict[int, tuple[Any, Exchange]] = {}
        self._lock = threading.Lock()

    def view(self, case: Any, response: Any) -> Exchange:
        with self._lock:
            known = self._views.get(id(response))
            if known is None:
                exchange = self._build(case, response, next(self._counter))
                known = self._views[id(response)] = (response, exchange)
        return known[1]

    def _build(self, case: Any, response: Any, exchange_id: int) -> Exchange:
        path = case.path_parameters or {}
        exchange = Exchange(
            method=case.method,
            project_id=None if path.get("projectId") is None else str(path["projectId"]),
            webhook_id=None if path.get("webhookId") is None else str(path["webhookId"]),
            authorization=response.request.headers.get("Authorization"),
            status=response.status_code,
            headers=response_headers(response),
            body=response.content or b"",
            id=exchange_id,
        )
        self._register_secrets(exchange)
        return exchange

    def _register_secrets(self, exchange: Exchange) -> None:
        candidates = [*strings_in(exchange.parsed_body), *exchange.headers.values()]
        self._redactor.add(returned_secret(exchange))
        self._redactor.add(
            *(value for value in candidates if value not in self._public and looks_secret(value))
        )
