"""A second, independent correct DevTune server on the standard library's ``http.server``.

Written from the published spec page and DevTune's documented behaviour (keys, scopes, error
codes, rate limits), never from the reference server's code, and importing nothing of it: a
suite that passes only the reference server it grew up with is too strict (issue 25). What the
contract documents is implemented in :meth:`RotateHandler.do_POST`; everything else is left to
``http.server`` itself, as a real stdlib server would leave it: every other method gets the
library's own HTML ``501`` (RFC 9110 §9.1: the SHOULD for an unimplemented method), a path that
is not the operation's its HTML ``404``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import attrs

from devtune_contract.closing import Closing

KEY_PREFIX = "dtk_live_"
KEY_FORMAT = re.compile(r"dtk_live_[0-9a-f]{64}")
# RFC 6750 §2.1: the scheme is case-insensitive, one or more spaces before the token.
BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +(\S+)")
CANONICAL_ID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
WEBHOOKS_WRITE = "webhooks.write"
BASE_PATH = "/api/v2"
# /projects/{projectId}/webhooks/{webhookId}/rotate-secret under the base path, split at "/".
TEMPLATE = ("", "api", "v2", "projects", None, "webhooks", None, "rotate-secret")
PROJECT_SEGMENT, WEBHOOK_SEGMENT = 4, 6

# DevTune's documented error codes and messages (docs.devtune.ai: errors, authentication).
ERRORS: dict[int, tuple[str, str]] = {
    401: ("unauthorized", "Invalid or missing API key"),
    403: ("forbidden", "This API key may not rotate this webhook's secret"),
    404: ("not_found", "The requested resource was not found"),
    429: ("rate_limit_exceeded", "Rate limit exceeded. Please try again later."),
}


def new_key() -> str:
    """A key in the published format, made here: never a literal in a file."""
    return KEY_PREFIX + secrets.token_hex(32)


def key_digest(key: str) -> str:
    """What the server keeps of a key (DevTune stores only a SHA-256 hash)."""
    return hashlib.sha256(key.encode()).hexdigest()


def match_template(path: str, *, fold_case: bool = False) -> tuple[str, str] | None:
    """The two raw ids when ``path`` is the operation's, each one non-empty segment;
    ``fold_case`` compares the fixed segments without case, as some routers do."""
    segments = path.split("/")
    if len(segments) != len(TEMPLATE):
        return None
    for segment, fixed in zip(segments, TEMPLATE, strict=True):
        folded = segment.lower() if fold_case else segment
        if fixed is not None and folded != fixed:
            return None
    project, webhook = segments[PROJECT_SEGMENT], segments[WEBHOOK_SEGMENT]
    return (project, webhook) if project and webhook else None


def canonical_id(text: str) -> str | None:
    """An id names a resource only in the UUID's canonical text, in either case."""
    return text.lower() if CANONICAL_ID.fullmatch(text) else None


@attrs.frozen
class KeyRecord:
    project_id: str
    scopes: frozenset[str]


@attrs.frozen
class Quota:
    """One key's fixed window after a request: the three documented X-RateLimit-* values."""

    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


@attrs.define
class Window:
    opens: float
    used: int = 0


class State:
    """Keys (as digests), webhooks and their secrets, and each key's window; one lock for all,
    since every handler thread reads and writes them."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._lock = threading.Lock()
        self._keys: dict[str, KeyRecord] = {}
        self._webhooks: dict[str, tuple[str, str]] = {}  # id -> (project, current secret)
        self._windows: dict[str, Window] = {}
        self.issued: list[str] = []  # every secret handed out, for the tests' leak checks

    def add_key(self, project_id: str, scopes: frozenset[str]) -> str:
        key = new_key()
        with self._lock:
            self._keys[key_digest(key)] = KeyRecord(project_id, scopes)
        return key

    def add_webhook(self, project_id: str) -> str:
        webhook_id = str(uuid.uuid4())
        with self._lock:
            self._webhooks[webhook_id] = (project_id, secrets.token_hex(32))
        return webhook_id

    def find_key(self, key: str) -> KeyRecord | None:
        with self._lock:
            return self._keys.get(key_digest(key))

    def webhook_project(self, webhook_id: str) -> str | None:
        with self._lock:
            found = self._webhooks.get(webhook_id)
        return None if found is None else found[0]

    def current_secret(self, webhook_id: str) -> str | None:
        with self._lock:
            found = self._webhooks.get(webhook_id)
        return None if found is None else found[1]

    def rotate(self, webhook_id: str) -> str:
        """A fresh 256-bit secret replaces the old one at once (no grace period)."""
        secret = secrets.token_hex(32)
        with self._lock:
            project_id, _ = self._webhooks[webhook_id]
            self._webhooks[webhook_id] = (project_id, secret)
            self.issued.append(secret)
        return secret

    def spend(self, client: str) -> Quota:
        """Count one request of ``client`` (a key's digest) in its fixed window."""
        now = time.time()
        with self._lock:
            current = self._windows.get(client)
            if current is None or now >= current.opens + self.window:
                current = self._windows[client] = Window(now)
            allowed = current.used < self.limit
            if allowed:
                current.used += 1
            return Quota(
                allowed,
                self.limit,
                self.limit - current.used,
                math.ceil(current.opens + self.window),
            )


@attrs.frozen
class Reply:
    status: int
    body: Mapping[str, Any]
    headers: Mapping[str, str] = attrs.field(factory=dict)


def error(status: int, headers: Mapping[str, str] | None = None) -> Reply:
    code, message = ERRORS[status]
    return Reply(status, {"error": code, "message": message, "status": status}, headers or {})


class DevTuneHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    state: State


class RotateHandler(BaseHTTPRequestHandler):
    """The operation as DevTune documents it; every other method is ``http.server``'s 501."""

    protocol_version = "HTTP/1.1"  # keep-alive, as clients expect; error pages still close
    timeout = 5  # an idle keep-alive connection holds a thread: let it go
    server: DevTuneHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the suite's output is under test, and a log line is nobody's business here."""

    # --- what the contract documents ------------------------------------------------------

    def do_POST(self) -> None:
        self.discard_body()
        ids = self.route(urlsplit(self.path).path)
        if ids is None:
            self.not_routed()
            return
        try:
            project, webhook = (self.decode_id(raw) for raw in ids)
        except ValueError:
            self.send_error(HTTPStatus.BAD_REQUEST)
            return
        self.reply(self.rotate(project, webhook))

    # Hooks for the stacks emulated on this server (``emulations.py``); these are stdlib's.

    def route(self, path: str) -> tuple[str, str] | None:
        """The two ids as sent (still percent-encoded) when ``path`` is the operation's."""
        return match_template(path)

    def decode_id(self, raw: str) -> str:
        """A percent-decoded id; what cannot be decoded becomes U+FFFD and names nothing."""
        return unquote(raw)

    def not_routed(self) -> None:
        self.send_error(HTTPStatus.NOT_FOUND)

    def rotate(self, project: str, webhook: str) -> Reply:
        """DevTune's order: key (401), quota (429), scope (403), project (403), webhook (404)."""
        state = self.server.state
        key = self.presented_key()
        record = None if key is None else state.find_key(key)
        if key is None or record is None:
            return error(401)
        quota = state.spend(key_digest(key))
        if not quota.allowed:
            return error(429, quota.headers())
        counted = quota.headers()
        if WEBHOOKS_WRITE not in record.scopes:
            return error(403, counted)
        if canonical_id(project) != record.project_id:
            return error(403, counted)
        webhook_id = canonical_id(webhook)
        if webhook_id is None or state.webhook_project(webhook_id) != record.project_id:
            return error(404, counted)
        body = {
            "data": {"secret": state.rotate(webhook_id)},
            "meta": {
                "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "projectId": record.project_id,
            },
        }
        return Reply(200, body, {**counted, "Cache-Control": "no-store"})

    def presented_key(self) -> str | None:
        """The Bearer key of the one Authorization field; any other scheme counts as none."""
        fields = self.headers.get_all("Authorization") or []
        if len(fields) != 1:
            return None  # none, or two credentials: ambiguous
        match = BEARER.fullmatch(fields[0].strip())
        if match is None or not KEY_FORMAT.fullmatch(match.group(1)):
            return None
        return match.group(1)

    # --- the wire ---------------------------------------------------------------------------

    def discard_body(self) -> None:
        """Read what the client sent, so the connection's next request starts where it should;
        a body this server cannot delimit ends the connection after the answer."""
        if "Transfer-Encoding" in self.headers:
            self.close_connection = True
            return
        length = self.headers.get("Content-Length", "0")
        if length.isascii() and length.isdigit():
            self.rfile.read(min(int(length), 1 << 20))
        else:
            self.close_connection = True

    def reply(self, reply: Reply) -> None:
        self.send_body(
            reply.status,
            json.dumps(reply.body).encode(),
            "application/json",
            reply.headers,
        )

    def send_body(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


@attrs.frozen
class Demo:
    """What the suite needs: a project with a webhook, a write key and a read-only key, and a
    foreign project with a webhook that no demo key belongs to."""

    project_id: str
    webhook_id: str
    write_key: str = attrs.field(repr=False)
    read_only_key: str = attrs.field(repr=False)
    foreign_project_id: str
    foreign_webhook_id: str


def seed(state: State) -> Demo:
    project, foreign = str(uuid.uuid4()), str(uuid.uuid4())
    return Demo(
        project_id=project,
        webhook_id=state.add_webhook(project),
        write_key=state.add_key(project, frozenset({WEBHOOKS_WRITE, "webhooks.read"})),
        read_only_key=state.add_key(project, frozenset({"webhooks.read"})),
        foreign_project_id=foreign,
        foreign_webhook_id=state.add_webhook(foreign),
    )


class Served(Closing):
    """An ``http.server`` on a free loopback port, serving from a thread of its own."""

    def serve(self, httpd: ThreadingHTTPServer) -> None:
        self.httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def origin(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


class StdlibServer(Served):
    """The server on a free loopback port, in a thread; a context manager.

    The defaults are DevTune's Plus plan (100 requests a minute per key): a full suite run stays
    under it until its 429 probe spends the rest of the window on purpose.
    """

    def __init__(
        self,
        handler: type[RotateHandler] = RotateHandler,
        *,
        limit: int = 100,
        window: float = 60.0,
    ) -> None:
        self.state = State(limit, window)
        self.demo = seed(self.state)
        httpd = DevTuneHTTPServer(("127.0.0.1", 0), handler)
        httpd.state = self.state
        self.serve(httpd)

    @property
    def base_url(self) -> str:
        return self.origin + BASE_PATH

    def environment(self) -> dict[str, str]:
        """The ``DEVTUNE_*`` variables that point the suite at this server."""
        return {
            "DEVTUNE_BASE_URL": self.base_url,
            "DEVTUNE_API_KEY": self.demo.write_key,
            "DEVTUNE_PROJECT_ID": self.demo.project_id,
            "DEVTUNE_WEBHOOK_ID": self.demo.webhook_id,
            "DEVTUNE_READONLY_API_KEY": self.demo.read_only_key,
            "DEVTUNE_FOREIGN_PROJECT_ID": self.demo.foreign_project_id,
            "DEVTUNE_FOREIGN_WEBHOOK_ID": self.demo.foreign_webhook_id,
        }

    def secrets_to_keep(self) -> list[str]:
        """Every key and secret the server knows: none may appear in the suite's output."""
        demo = self.demo
        webhooks = (demo.webhook_id, demo.foreign_webhook_id)
        current = [s for s in map(self.state.current_secret, webhooks) if s is not None]
        return [demo.write_key, demo.read_only_key, *self.state.issued, *current]
