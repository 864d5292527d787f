"""A webhook receiver that keeps accepting DevTune's deliveries across a secret rotation.

    DEVTUNE_WEBHOOK_SECRET=... python examples/receiver/receiver.py   # serves 127.0.0.1:8080

DevTune invalidates the old secret the moment it rotates, but a delivery signed just before can
arrive just after. So the receiver keeps a keyring: the new secret as primary and, for a short
overlap, the previous one; it verifies with both, then drops the previous one. A refused
delivery gets a 401 that says nothing about why, and the log names only the reason.

WSGI and the standard library only: the same pattern fits Flask, Django or any ASGI framework
(``verify_signature`` needs the raw body, before any JSON parsing).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from wsgiref.simple_server import make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from devtune_api_client import InvalidSignatureError
from devtune_api_client.webhooks import verify_signature

logger = logging.getLogger("receiver")

OVERLAP_SECONDS = 300.0  # longer than DevTune takes to deliver what it queued before a rotation

Handler = Callable[[str, dict[str, Any]], None]


@dataclass
class Keyring:
    """The secrets a receiver verifies with: the primary, and the previous one until the
    overlap ends. Secrets never appear in its ``repr``."""

    primary: str = field(repr=False)
    overlap: float = OVERLAP_SECONDS
    clock: Callable[[], float] = time.monotonic
    previous: str | None = field(default=None, repr=False)
    previous_until: float = 0.0

    def rotate_in(self, secret: str) -> None:
        """Store a new secret as primary and keep the one it replaces for the overlap."""
        self.previous, self.previous_until = self.primary, self.clock() + self.overlap
        self.primary = secret

    def secrets(self) -> list[str]:
        """The primary first, then the previous one while the overlap lasts (dropped after)."""
        if self.previous is not None and self.clock() >= self.previous_until:
            self.previous = None
        return [self.primary] if self.previous is None else [self.primary, self.previous]


def respond(start_response: StartResponse, status: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def make_app(keyring: Keyring, handle: Handler) -> WSGIApplication:
    """The receiver: verify the raw body with the keyring, then hand the event to ``handle``."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] != "POST":
            return respond(start_response, "405 Method Not Allowed", b"POST only\n")
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        try:
            verify_signature(body, environ.get("HTTP_X_DEVTUNE_SIGNATURE"), keyring.secrets())
        except InvalidSignatureError as error:
            logger.warning("refused a delivery: signature %s", error.reason)
            return respond(start_response, "401 Unauthorized", b"invalid signature\n")
        handle(environ.get("HTTP_X_DEVTUNE_EVENT", ""), json.loads(body))
        return respond(start_response, "204 No Content", b"")

    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    keyring = Keyring(os.environ["DEVTUNE_WEBHOOK_SECRET"])
    app = make_app(keyring, lambda event, delivery: logger.info("received %s", event))
    with make_server("127.0.0.1", 8080, app) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
