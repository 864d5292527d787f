"""A broken variant that only a second origin can show: the route answers ``308`` with a
``Location`` on another origin, and that origin records every ``Authorization`` it receives.

A client that follows redirects re-sends the request there; whether it re-sends the key too
depends on the HTTP library (``requests`` drops ``Authorization`` when the host or port
changes, ``curl --location-trusted`` and many SDKs do not). The suite must send the key to
``DEVTUNE_BASE_URL``'s origin only, so the recorder must never see it.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import urlsplit

from teeth.stacks.stdlib_server import RotateHandler, Served


class MovedToAnotherOrigin(RotateHandler):
    """Every request to the route gets 308 to the same path on ``target`` (set per server)."""

    target: ClassVar[str] = ""

    def do_POST(self) -> None:
        self.discard_body()
        if self.route(urlsplit(self.path).path) is None:
            self.not_routed()
            return
        self.send_body(308, b"", None, {"Location": self.target + self.path})


def moved_to(origin: str) -> type[MovedToAnotherOrigin]:
    return type("MovedTo", (MovedToAnotherOrigin,), {"target": origin})


class _Recording(BaseHTTPRequestHandler):
    received: ClassVar[list[str | None]]

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet, and never a header value in a log."""

    def do_POST(self) -> None:
        self.received.append(self.headers.get("Authorization"))
        body = b'{"error":"unauthorized","message":"Invalid or missing API key","status":401}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Recorder(Served):
    """Another origin on loopback (another port): what it was sent, counted, never shown."""

    def __init__(self) -> None:
        self.received: list[str | None] = []
        handler = type("Recording", (_Recording,), {"received": self.received})
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        httpd.daemon_threads = True
        self.serve(httpd)

    def times_sent(self, key: str) -> int:
        return sum(1 for value in self.received if value is not None and key in value)
