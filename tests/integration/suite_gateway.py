"""A faulty gateway on loopback between the suite and a reference server.

It forwards each HTTP/1.1 request on a fresh upstream connection and can misbehave the way
staging gateways do: lose a response after the server acted on the request (the client sees a
dropped keep-alive connection), terminate TLS with a certificate of a private CA, answer with a
body that trickles, never ends or is huge (after the server acted), or stop listening mid-run.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Awaitable, Callable

import attrs

# Whether to drop the response to ``request`` (its head) whose upstream status is ``status``.
DropRule = Callable[[bytes, int], bool]
# How to send the upstream response ``(head, body)`` instead of as it is, or ``None``.
Misbehaviour = Callable[[bytes, bytes, asyncio.StreamWriter], Awaitable[None]]
# Which misbehaviour (if any) the response to ``request`` with ``status`` gets.
RespondRule = Callable[[bytes, int], Misbehaviour | None]


def as_is(request: bytes, status: int) -> Misbehaviour | None:
    return None


def _with_header(head: bytes, old: bytes, new: bytes) -> bytes:
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(old)]
    return b"\r\n".join([*lines[:-2], new, b"", b""])


async def trickle(head: bytes, body: bytes, writer: asyncio.StreamWriter) -> None:
    """The head, then the body one byte every 2 s: no single read ever times out."""
    writer.write(head)
    for byte in body:
        await writer.drain()
        await asyncio.sleep(2)
        writer.write(bytes([byte]))


async def endless(head: bytes, body: bytes, writer: asyncio.StreamWriter) -> None:
    """A chunked body whose last chunk never comes: a chunk of spaces every 0.2 s."""
    writer.write(_with_header(head, b"content-length", b"Transfer-Encoding: chunked"))
    writer.write(b"%x\r\n%s\r\n" % (len(body), body))
    while True:
        await writer.drain()
        await asyncio.sleep(0.2)
        writer.write(b"1\r\n \r\n")


HUGE = 64 * 1024 * 1024


async def huge(head: bytes, body: bytes, writer: asyncio.StreamWriter) -> None:
    """A 64 MiB body (declared by Content-Length) sent as fast as the client reads it."""
    writer.write(_with_header(head, b"content-length", b"Content-Length: %d" % HUGE))
    chunk = b" " * 65536
    for _ in range(HUGE // len(chunk)):
        writer.write(chunk)
        await writer.drain()


@attrs.frozen
class Rotations:
    """``misbehaviour`` for every 200 to a POST (the server rotated: a secret is in flight)."""

    misbehaviour: Misbehaviour

    def __call__(self, request: bytes, status: int) -> Misbehaviour | None:
        return self.misbehaviour if status == 200 and request.startswith(b"POST ") else None


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
        self,
        upstream_port: int,
        drop: DropRule = never,
        tls: ssl.SSLContext | None = None,
        respond: RespondRule = as_is,
        stop_listening_after: int | None = None,
        die_on: bytes | None = None,
    ) -> None:
        self._upstream_port = upstream_port
        self._drop = drop
        self._respond = respond
        self._stop_after = stop_listening_after
        # A request line holding this dies with the server: no answer, nobody listens after,
        # and every open connection closes (Prism 5.14.2's mock on a %00%FF path segment).
        self._die_on = die_on
        self._writers: set[asyncio.StreamWriter] = set()
        self.requests = 0
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
        self._writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if self._die_on is not None and self._die_on in head.split(b"\r\n", 1)[0]:
                    self._die()
                    return
                request = head + await reader.readexactly(_content_length(head))
                response, status = await self._forward(request)
                self._count()
                if self._drop(head, status):
                    return  # close without answering: the client sees a dropped connection
                misbehaviour = self._respond(head, status)
                if misbehaviour is not None:
                    end = response.index(b"\r\n\r\n") + 4
                    await misbehaviour(response[:end], response[end:], writer)
                    return
                writer.write(response)
                await writer.drain()
                if self._server is not None and not self._server.is_serving():
                    return  # stopped listening: this connection goes too
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    def _die(self) -> None:
        if self._server is not None:
            self._server.close()
        for open_connection in list(self._writers):
            open_connection.close()

    def _count(self) -> None:
        """After ``stop_listening_after`` requests, nobody listens: new connections are refused."""
        self.requests += 1
        stop = self._stop_after is not None and self.requests >= self._stop_after
        if stop and self._server is not None and self._server.is_serving():
            self._server.close()

    async def _forward(self, request: bytes) -> tuple[bytes, int]:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._upstream_port)
        try:
            up_writer.write(request)
            await up_writer.drain()
            head = await up_reader.readuntil(b"\r\n\r\n")
            bodiless = request.startswith(b"HEAD ")
            body = b"" if bodiless else await up_reader.readexactly(_content_length(head))
        finally:
            up_writer.close()
        return head + body, int(head.split(b" ", 2)[1])

    def close(self) -> None:
        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
