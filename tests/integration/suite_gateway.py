"""A faulty gateway on loopback between the suite and a reference server.

It forwards each HTTP/1.1 request on a fresh upstream connection and can misbehave the way
staging gateways do: lose a response after the server acted on the request (the client sees a
dropped keep-alive connection), or terminate TLS with a certificate of a private CA.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Callable

import attrs

# Whether to drop the response to ``request`` (its head) whose upstream status is ``status``.
DropRule = Callable[[bytes, int], bool]


def never(request: bytes, status: int) -> bool:
    return False


@attrs.define
class FirstOk:
    """Drop the first 200: the server rotated, the client never hears of it."""

    dropped: int = 0

    def __call__(self, request: bytes, status: int) -> bool:
        if status == 200 and not self.dropped:
            self.dropped += 1
            return True
        return False


@attrs.frozen
class PathContains:
    """Drop every response to a request whose path contains ``fragment``."""

    fragment: bytes

    def __call__(self, request: bytes, status: int) -> bool:
        return self.fragment in request.split(b"\r\n", 1)[0]


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


class Gateway:
    def __init__(
        self, upstream_port: int, drop: DropRule = never, tls: ssl.SSLContext | None = None
    ) -> None:
        self._upstream_port = upstream_port
        self._drop = drop
        self._tls = tls
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self.port = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def base_url(self, prefix: str = "/api/v2") -> str:
        scheme = "https" if self._tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}{prefix}"

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self._tls)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request = head + await reader.readexactly(_content_length(head))
                response, status = await self._forward(request)
                if self._drop(head, status):
                    return  # close without answering: the client sees a dropped connection
                writer.write(response)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            return
        finally:
            writer.close()

    async def _forward(self, request: bytes) -> tuple[bytes, int]:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._upstream_port)
        try:
            up_writer.write(request)
            await up_writer.drain()
            head = await up_reader.readuntil(b"\r\n\r\n")
            body = await up_reader.readexactly(_content_length(head))
        finally:
            up_writer.close()
        return head + body, int(head.split(b" ", 2)[1])

    def close(self) -> None:
        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
