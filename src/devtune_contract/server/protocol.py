"""uvicorn's httptools protocol with the bounds a hostile client must not talk it out of.

uvicorn reads a request head without limit (httptools joins header pieces by repeated
concatenation, so a 100 MB header costs seconds of CPU), never times out a head that arrives
slowly or not at all, and accepts connections until the process runs out of file descriptors.
This subclass adds, per connection:

- a head budget: the request line and header fields may span ``max_head_bytes``, and at most
  ``max_headers`` fields; beyond either the client gets 431 and the connection is closed. At
  most the budget is handed to the parser, so refusing costs what was read, no more;
- a read deadline: from the connection's first moment (or the next request's first byte)
  until its request is completely read, ``head_timeout`` seconds; then 408 and close;
- a connection cap: beyond ``max_connections`` open connections a new one is answered 503
  and closed at once, so the descriptors held stay below the process limit.

Idle keep-alive connections are closed by uvicorn's own ``timeout_keep_alive``. Every refusal
is a small JSON error, like the API's own, written before the connection closes.

Each request's scope also carries the :data:`DROP_EXTENSION`: a way for the app to close the
connection without answering at all, as a crashed server or a lost network would. The reference
app never uses it on its own; the testing kit's faults do (:class:`DropConnection`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, MutableMapping
from http import HTTPStatus
from typing import Any, ClassVar

import attrs
import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

# scope["extensions"][DROP_EXTENSION]["drop"]() closes the connection, nothing written.
DROP_EXTENSION = "devtune.drop_connection"


@attrs.frozen
class ConnectionLimits:
    """What one client may cost the server; the defaults are what ``serve`` uses."""

    max_head_bytes: int = 16 * 1024
    max_headers: int = 100
    head_timeout: float = 5.0
    keep_alive_timeout: int = 5
    max_connections: int = 1000


def transport_error(status: int, code: str, message: str) -> bytes:
    """A complete JSON error response that closes the connection."""
    error = {"error": code, "message": message, "status": status}
    body = json.dumps(error, separators=(",", ":")).encode()
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


BAD_REQUEST = transport_error(400, "bad_request", "The request is not valid HTTP/1.1")
TIMED_OUT = transport_error(408, "request_timeout", "The request did not arrive in time")
OVERLOADED = transport_error(
    503, "service_unavailable", "Too many open connections; try again later"
)


def head_too_large_response(limits: ConnectionLimits) -> bytes:
    message = (
        f"The request head exceeds {limits.max_head_bytes} bytes "
        f"or {limits.max_headers} header fields"
    )
    return transport_error(431, "request_header_fields_too_large", message)


class DropConnection(BaseException):
    """Raised by request handling to close the connection without an answer.

    A ``BaseException``, so the app's catch-all for failed requests (which answers 500) lets
    it through to :func:`drop_connection`.
    """


def drop_connection(scope: MutableMapping[str, Any]) -> None:
    """Close the connection that carried ``scope``'s request, before any byte of an answer."""
    drop: Callable[[], None] = scope["extensions"][DROP_EXTENSION]["drop"]
    drop()


class _TooManyHeaders(Exception):
    """Raised from the parser's callback; httptools turns it into ``HttpParserCallbackError``."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """One client connection, bounded by :attr:`limits` (set by :func:`guarded_protocol`)."""

    limits: ClassVar[ConnectionLimits] = ConnectionLimits()
    head_too_large: ClassVar[bytes] = head_too_large_response(ConnectionLimits())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading_head = True  # between requests too: the next bytes start a head
        self._head_bytes = 0
        self._header_count = 0
        self._deadline: asyncio.TimerHandle | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.limits.max_connections:
            self._refused = True
            self.transport = transport
            transport.write(OVERLOADED)
            transport.close()
            return
        super().connection_made(transport)
        self._start_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused or self.transport.is_closing():
            return
        self._unset_keepalive_if_required()
        while data:
            if self._reading_head:
                room = self.limits.max_head_bytes - self._head_bytes
                if room <= 0:
                    self._refuse(self.head_too_large)
                    return
                piece, data = data[:room], data[room:]
                self._head_bytes += len(piece)
            else:
                piece, data = data, b""
            try:
                self.parser.feed_data(piece)
            except httptools.HttpParserUpgrade:
                return  # no upgrades are served; the request itself was answered
            except httptools.HttpParserError:
                too_many = self._header_count > self.limits.max_headers
                self._refuse(self.head_too_large if too_many else BAD_REQUEST)
                return

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_count = 0
        if self._deadline is None:
            self._start_deadline()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.limits.max_headers:
            raise _TooManyHeaders
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._reading_head = False
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and cycle.scope is self.scope:  # else an upgrade, not served
            extensions = self.scope.setdefault("extensions", {})
            extensions[DROP_EXTENSION] = {"drop": lambda: self._drop(cycle)}

    def _drop(self, cycle: RequestResponseCycle) -> None:
        """Close without answering; uvicorn then neither writes its own 500 nor complains."""
        cycle.disconnected = True
        self._cancel_deadline()
        self.transport.close()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._cancel_deadline()
        self._reading_head = True
        self._head_bytes = 0

    def _start_deadline(self) -> None:
        self._deadline = self.loop.call_later(self.limits.head_timeout, self._deadline_passed)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _deadline_passed(self) -> None:
        self._deadline = None
        self._refuse(TIMED_OUT)

    def _between_responses(self) -> bool:
        """Whether an error may be written: a head is being read and no answer is under way."""
        answering = self.cycle is not None and not self.cycle.response_complete
        return self._reading_head and not answering

    def _refuse(self, response: bytes) -> None:
        """Answer ``response`` if that cannot garble another response, then close."""
        self._cancel_deadline()
        if not self.transport.is_closing():
            if self._between_responses():
                self.transport.write(response)
            self.transport.close()


def guarded_protocol(limits: ConnectionLimits) -> type[GuardedHttpToolsProtocol]:
    """The protocol class uvicorn should instantiate per connection, bound to ``limits``."""
    namespace = {"limits": limits, "head_too_large": head_too_large_response(limits)}
    return type("GuardedHttpToolsProtocol", (GuardedHttpToolsProtocol,), namespace)
