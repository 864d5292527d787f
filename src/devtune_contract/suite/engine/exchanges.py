"""Responses as :class:`Exchange` views, built once each; the one place secrets are registered.

A response becomes an exchange before any check reads it, and that is when every secret-looking
string of its body is handed to the redactor: whatever the field is called, whichever check
runs first, nothing printed afterwards can show it.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping
from typing import Any

from devtune_contract.checks import Exchange
from devtune_contract.checks.secrets import returned_secret
from devtune_contract.masking import Redactor
from devtune_contract.operations import OPERATIONS, Operation, operation_at


def response_headers(response: Any) -> dict[str, str]:
    """A schemathesis response's headers, lower-cased; repeated fields joined with ``", "``.

    RFC 9110 §5.3: a recipient may combine field lines of one name in order, comma-separated.
    Keeping only the first would hide a second ``Cache-Control`` line from the checks.
    """
    return {
        name.lower(): ", ".join(value) if isinstance(value, list) else str(value)
        for name, value in response.headers.items()
    }


class ExchangeCache:
    """One :class:`Exchange` per response object, however many checks and tests read it.

    Responses have ``__slots__``, so the view cannot be attached to them; this map keeps each
    response alive, which keeps ``id()`` unique and gives every exchange a stable number.
    """

    def __init__(
        self, redactor: Redactor, operations: Mapping[str, Operation] = OPERATIONS
    ) -> None:
        self._redactor = redactor
        self._operations = operations
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
        operation = operation_at(case.path, case.method, self._operations, any_method=True)
        exchange = Exchange(
            operation=operation,
            path_parameters=operation.parameters_of(case.path_parameters),
            method=str(getattr(response.request, "method", None) or case.method).upper(),
            authorization=response.request.headers.get("Authorization"),
            status=response.status_code,
            headers=response_headers(response),
            body=response.content or b"",
            id=exchange_id,
        )
        self._register_secrets(exchange)
        return exchange

    def _register_secrets(self, exchange: Exchange) -> None:
        """Hand the redactor the returned secret and every secret-looking body or header value,
        plus, in a success, every body value that could be an encoded secret at all.

        What "secret-looking" means is :meth:`Redactor.scan`'s rule (docs/contributing.md: The
        masking rule); ids are canonical UUIDs, which neither rule registers.
        """
        self._redactor.add(returned_secret(exchange))
        self._redactor.scan(exchange.parsed_body)
        self._redactor.scan(exchange.headers)
        if 200 <= exchange.status < 300:  # a rotation: its new secret may hide under any name
            self._redactor.scan_encoded(exchange.parsed_body)
