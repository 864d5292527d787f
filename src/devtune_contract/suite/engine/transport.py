"""How requests leave the suite, how long a response may take, and how a lost one is worded.

Four promises live here. TLS trust follows ``REQUESTS_CA_BUNDLE`` or ``SSL_CERT_FILE`` (requests
alone ignores the latter). A failure says its real cause: the TLS verifier's reason and the
variable that fixes it, the proxy when the proxy is what failed, the timeout setting on a hang.
A whole response, headers and body together, gets ``DEVTUNE_REQUEST_TIMEOUT`` (never the run's
deadline) and at most ``DEVTUNE_MAX_BODY_BYTES``: requests' own timeout bounds each socket read,
so a body trickling one byte a second would never time out. And every request that got no
answer ends as one of the outcomes of :mod:`~devtune_contract.suite.engine.unanswered`, raised from
inside the session, so schemathesis' silent re-send on a dropped connection
(TOOL_NOTES.md) never sees a ``requests`` error to act on.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import attrs
import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError, NewConnectionError, ReadTimeoutError

from devtune_contract.suite.engine.unanswered import (
    AnswerLost,
    DeadlineReached,
    NoCompleteResponse,
    NotSent,
    Unanswered,
)

BODY_CHUNK = 64 * 1024

CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")
TLS_REASON = re.compile(r"certificate verify failed: ([^(\]'\"]+)")
CAUSES = (
    (r"Name or service not known|nodename nor servname|getaddrinfo failed", "DNS lookup failed"),
    (r"Connection refused", "connection refused"),
    (
        r"Connection reset|RemoteDisconnected|closed connection|Connection aborted",
        "connection dropped",
    ),
    (r"timed out", "connection timed out"),
)


def ca_bundle(environ: Mapping[str, str] | None = None) -> str | bool:
    """The CA file TLS trusts: ``REQUESTS_CA_BUNDLE``, else ``SSL_CERT_FILE``, else certifi's."""
    env = os.environ if environ is None else environ
    for name in CA_VARIABLES:
        path = env.get(name, "").strip()
        if path:
            return path
    return True


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url``: never a path, query or credentials."""
    parts = urlsplit(url)
    if not parts.hostname:
        return url
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def proxy_for(url: str) -> str | None:
    """The proxy requests would use for ``url``: ``HTTPS_PROXY``/``HTTP_PROXY`` and ``NO_PROXY``."""
    if requests.utils.should_bypass_proxies(url, no_proxy=None):
        return None
    scheme = urlsplit(url).scheme
    proxy = requests.utils.get_environ_proxies(url).get(scheme)
    return origin(proxy) if proxy else None


def describe(error: requests.RequestException, url: str, timeout: float) -> str:
    """One line for a request that got no response: timeout, refusal, DNS, TLS, proxy."""
    target = origin(url)
    if isinstance(error, requests.exceptions.ProxyError):
        proxy = proxy_for(url) or "the configured proxy"
        return (
            f"the proxy {proxy} failed ({_meaning_of(error)}) on the way to {target}: "
            "check HTTPS_PROXY, HTTP_PROXY and NO_PROXY"
        )
    if isinstance(error, requests.exceptions.SSLError):
        reason = TLS_REASON.search(str(error))
        cause = reason.group(1).strip() if reason else _meaning_of(error)
        return (
            f"TLS handshake with {target} failed: {cause}; point REQUESTS_CA_BUNDLE or "
            "SSL_CERT_FILE at the CA bundle that signed the server's certificate"
        )
    if isinstance(error, requests.Timeout):
        return timed_out(url, timeout)
    if is_not_sent(error):
        return f"cannot reach {target}: {_meaning_of(error)}"
    return f"{target} {_meaning_of(error)} before the response was complete"


def timed_out(url: str, timeout: float) -> str:
    return f"no complete response from {origin(url)} within {timeout:g} s (DEVTUNE_REQUEST_TIMEOUT)"


def is_not_sent(error: requests.RequestException) -> bool:
    """Whether ``error`` happened before any byte of the request left: DNS, refused, connect
    timeout, TLS handshake, a proxy refusing. Anything later may have reached the server."""
    if isinstance(
        error,
        requests.exceptions.ConnectTimeout
        | requests.exceptions.SSLError
        | requests.exceptions.ProxyError,
    ):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, NewConnectionError)


def unanswered_from(error: requests.RequestException, url: str, timeout: float) -> Unanswered:
    """The outcome a ``requests`` error stands for, with its one-line cause."""
    if is_not_sent(error):
        return NotSent(describe(error, url, timeout))
    if isinstance(error, requests.Timeout):
        return NoCompleteResponse(describe(error, url, timeout))
    return AnswerLost(describe(error, url, timeout))


def _meaning_of(error: requests.RequestException) -> str:
    text = str(error)
    for pattern, meaning in CAUSES:
        if re.search(pattern, text):
            return meaning
    return text.splitlines()[0][:160] if text else type(error).__name__


@attrs.frozen
class Bounds:
    """How long one response may take and how large its body may be; ``run_deadline`` is the
    monotonic moment the whole run must end (``DEVTUNE_DEADLINE``)."""

    timeout: float
    max_body_bytes: int
    run_deadline: float = float("inf")


class _Watch:
    """The sockets of one request in flight, shut down when its time is up.

    A ``shutdown`` wakes a thread blocked in ``recv`` at once (a ``close`` would not), so the
    read ends with an error that :class:`BoundedSession` turns into the right outcome.
    """

    def __init__(self, bounds: Bounds) -> None:
        now = time.monotonic()
        self.deadline = min(now + bounds.timeout, bounds.run_deadline)
        self.run_ends = bounds.run_deadline <= now + bounds.timeout
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, self.deadline - now), self._fire)
        self._timer.daemon = True

    @property
    def remaining(self) -> float:
        return max(0.001, self.deadline - time.monotonic())

    def track(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            fired = self.fired
        if fired:
            _shut(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def __enter__(self) -> _Watch:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing left to wake
        sock.shutdown(socket.SHUT_RDWR)


_watching = threading.local()


def _current_watch() -> _Watch | None:
    watch: _Watch | None = getattr(_watching, "watch", None)
    return watch


class _WatchedHTTPConnection(HTTPConnection):
    """Hands its socket to the request's watch before it waits for the response."""

    def getresponse(self) -> Any:
        watch = _current_watch()
        if watch is not None:
            watch.track(self.sock)
        return super().getresponse()


class _WatchedHTTPSConnection(_WatchedHTTPConnection, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter whose connections report their socket to the request's watch."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = WATCHED_POOLS
        return manager


class BoundedSession(requests.Session):
    """A ``requests.Session`` whose every response is bounded as a whole, body included.

    ``case.call(session=...)`` sends through :meth:`request`; it returns a response whose body
    is already read (schemathesis then finds ``content`` in place), or raises a
    :class:`~devtune_contract.suite.engine.unanswered.Unanswered`.

    It never follows a redirect: a 3xx is the answer under test, judged as it stands, and the
    key goes to the base URL alone. ``home``: the base URL's origin; a request for any other
    origin is refused before anything is sent (:class:`NotSent`).
    """

    def __init__(self, bounds: Bounds, verify: str | bool = True, home: str | None = None) -> None:
        super().__init__()
        self.bounds = bounds
        self.verify = verify
        self.home = home
        adapter = _WatchedAdapter()
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        watch = _Watch(self.bounds)
        if watch.remaining <= 0.001:
            raise DeadlineReached(deadline_reason())
        kwargs["stream"] = True
        kwargs["timeout"] = watch.remaining
        kwargs["allow_redirects"] = False
        target = url.decode() if isinstance(url, bytes) else url
        if self.home is not None and origin(target) != self.home:
            raise NotSent(
                f"not sent to {origin(target)}: the key goes only to the base URL's origin "
                f"({self.home})"
            )
        verb = method.decode() if isinstance(method, bytes) else method
        _watching.watch = watch
        try:
            with watch:
                try:
                    response = super().request(verb, target, *args, **kwargs)
                    response._content = self._body(response, watch, target)
                except requests.RequestException as error:
                    failure: Unanswered = self._lost(error, watch, target)
                else:
                    return response
        finally:
            _watching.watch = None
        raise failure  # outside the except block: no chained traceback with the request

    def _body(self, response: requests.Response, watch: _Watch, target: str) -> bytes:
        """The whole body, or an outcome once it passes the size bound (never read further)."""
        limit = self.bounds.max_body_bytes
        too_large = NoCompleteResponse(
            f"the body from {origin(target)} is larger than DEVTUNE_MAX_BODY_BYTES={limit} "
            "and was not read further"
        )
        chunks: list[bytes] = []
        size = 0
        try:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise too_large
            while chunk := response.raw.read1(BODY_CHUNK, decode_content=True):
                size += len(chunk)
                if size > limit:
                    raise too_large
                chunks.append(chunk)
            return b"".join(chunks)
        except ReadTimeoutError as error:
            raise requests.exceptions.ReadTimeout(error) from None
        except (HTTPError, OSError, http.client.HTTPException) as error:
            raise requests.exceptions.ConnectionError(error) from None
        finally:
            response.close()

    def _lost(self, error: requests.RequestException, watch: _Watch, target: str) -> Unanswered:
        if watch.fired and watch.run_ends:
            return DeadlineReached(deadline_reason())
        if watch.fired:
            return NoCompleteResponse(timed_out(target, self.bounds.timeout))
        return unanswered_from(error, target, self.bounds.timeout)


def deadline_reason() -> str:
    return "the run passed DEVTUNE_DEADLINE; the request in flight was abandoned"


@contextmanager
def fresh_session(
    bounds: Bounds, verify: str | bool = True, home: str | None = None
) -> Iterator[BoundedSession]:
    """A session with no pooled connection: nothing it sends can be silently re-sent.

    schemathesis re-sends a request once when a *reused* keep-alive connection drops before the
    response; a request on a brand-new connection is never re-sent (and the session raises
    outcomes, never the ``requests`` errors the re-send reacts to). Send it with
    ``Connection: close`` (schemathesis replaces session headers, so per request) and no stale
    connection is left behind either.
    """
    session = BoundedSession(bounds, verify, home)
    try:
        yield session
    finally:
        session.close()
