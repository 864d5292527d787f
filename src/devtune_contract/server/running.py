"""Run an ASGI app with uvicorn, bounded against hostile clients, on loopback or for ``serve``.

The suite's embedded default, the tests and the benchmarks all start servers in-process with
:class:`RunningServer`, so their traffic never leaves 127.0.0.1; ``devtune-contract serve``
runs the same configuration (:func:`server_config`) in the foreground.
"""

from __future__ import annotations

import gc
import logging
import socket
import sys
import threading
import time
from typing import Any

import attrs
import uvicorn

from devtune_contract.closing import Closing
from devtune_contract.server.app import API_PREFIX, ASGIApp
from devtune_contract.server.protocol import ConnectionLimits, guarded_protocol

LOOPBACK = "127.0.0.1"
STARTUP_TIMEOUT = 10.0
# How long closing a RunningServer waits for responses still in flight before cancelling them:
# its owner is done with it, so what is still running is a request the owner abandoned (a
# hanging fault, a body that never ends), and waiting longer only delays the owner.
SHUTDOWN_GRACE = 0.5
SPARE_DESCRIPTORS = 64  # for the listening socket, the database files and logging
MAX_LOGGED_PATH = 200


class BoundedAccessLog(logging.Filter):
    """Shortens the request target in uvicorn's access log: one request, one short line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            path = str(record.args[2])
            if len(path) > MAX_LOGGED_PATH:
                shortened = f"{path[:MAX_LOGGED_PATH]}...[{len(path)} chars]"
                record.args = (*record.args[:2], shortened, *record.args[3:])
        return True


def descriptor_bounded(limits: ConnectionLimits) -> ConnectionLimits:
    """``limits`` with the connection cap below the process's open-file limit, so a flood of
    connections meets the clean 503 rather than failing accepts (and every request)."""
    if sys.platform == "win32":  # pragma: no cover
        return limits
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = limits.max_connections + SPARE_DESCRIPTORS
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return limits
    return attrs.evolve(limits, max_connections=max(1, soft - SPARE_DESCRIPTORS))


def server_config(
    app: ASGIApp,
    limits: ConnectionLimits | None = None,
    *,
    access_log: bool = False,
    log_level: str = "warning",
    **options: Any,
) -> uvicorn.Config:
    """uvicorn configured for the reference server: httptools behind the guards of
    :mod:`~devtune_contract.server.protocol`, no websockets, no lifespan, no Server header."""
    bounded = descriptor_bounded(limits or ConnectionLimits())
    if access_log:
        logging.getLogger("uvicorn.access").addFilter(BoundedAccessLog())
    return uvicorn.Config(
        app,
        http=guarded_protocol(bounded),
        ws="none",
        lifespan="off",
        access_log=access_log,
        log_level=log_level,
        timeout_keep_alive=bounded.keep_alive_timeout,
        server_header=False,
        proxy_headers=False,  # no proxy in front: the peer address is the client's
        **options,
    )


def settle_heap() -> None:
    """Move everything allocated so far out of the garbage collector's sight.

    For a long-running ``serve``: the modules and objects of start-up are never garbage, yet
    every full collection would walk them again, a pause that shows up in the latency tail.
    """
    gc.collect()
    gc.freeze()


class RunningServer(Closing):
    """A started uvicorn server; use as a context manager or call :meth:`stop`."""

    def __init__(self, app: ASGIApp, port: int = 0, limits: ConnectionLimits | None = None) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((LOOPBACK, port))
        self.port: int = self._socket.getsockname()[1]
        self._server = uvicorn.Server(
            server_config(app, limits, timeout_graceful_shutdown=SHUTDOWN_GRACE)
        )
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)

    @property
    def origin(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.origin + API_PREFIX

    def close(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._socket.close()
