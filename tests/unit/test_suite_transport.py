"""The bounded transport against raw loopback sockets (issue 16, items 2 and 3): whole-response
time, body size, and which outcome a request that got no answer ends as."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from devtune_contract.suite.engine import transport
from devtune_contract.suite.engine.unanswered import AnswerLost, DeadlineReached, NotSent

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
Serve = Callable[[socket.socket], None]


@pytest.fixture
def serve() -> Iterator[Callable[[Serve], str]]:
    """Start a one-connection-at-a-time raw server; returns its URL."""
    listeners: list[socket.socket] = []

    def start(handler: Serve) -> str:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def loop() -> None:
            while True:
                try:
                    connection, _ = listener.accept()
                except OSError:
                    return
                connection.recv(65536)
                threading.Thread(target=_quietly, args=(handler, connection), daemon=True).start()

        threading.Thread(target=loop, daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}/x"

    yield start
    for listener in listeners:
        listener.close()


def _quietly(handler: Serve, connection: socket.socket) -> None:
    try:
        handler(connection)
    except OSError:
        pass
    finally:
        connection.close()


def trickle(connection: socket.socket) -> None:
    connection.sendall(HEAD + b"Content-Length: 100\r\n\r\n")
    for _ in range(100):
        time.sleep(0.3)
        connection.sendall(b" ")


def endless(connection: socket.socket) -> None:
    connection.sendall(HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
    while True:
        time.sleep(0.05)
        connection.sendall(b"1\r\n \r\n")


def huge_chunked(connection: socket.socket) -> None:
    connection.sendall(HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b" " * 65536
    while True:
        connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))


def declared_huge(connection: socket.socket) -> None:
    connection.sendall(HEAD + b"Content-Length: 999999999\r\n\r\n")
    time.sleep(5)


def answers(connection: socket.socket) -> None:
    connection.sendall(HEAD + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")


def session(timeout: float = 1.0, deadline: float = float("inf")) -> transport.BoundedSession:
    return transport.BoundedSession(transport.Bounds(timeout, 1024 * 1024, deadline))


@pytest.mark.parametrize("handler", [trickle, endless], ids=["trickling", "endless"])
def test_a_body_that_never_completes_is_bounded_as_a_whole(
    serve: Callable[[Serve], str], handler: Serve
) -> None:
    """Was: requests' per-read timeout let a body trickle forever."""
    url = serve(handler)
    started = time.monotonic()
    with pytest.raises(AnswerLost, match=r"no complete response from .* within 1 s") as lost:
        session().get(url)
    assert time.monotonic() - started < 2.5
    assert lost.value.name == "no answer (may have rotated)"


@pytest.mark.parametrize("handler", [huge_chunked, declared_huge], ids=["chunked", "declared"])
def test_a_body_over_the_size_bound_is_not_read_further(
    serve: Callable[[Serve], str], handler: Serve
) -> None:
    with pytest.raises(AnswerLost, match="larger than DEVTUNE_MAX_BODY_BYTES=1048576"):
        session(timeout=5).get(serve(handler))


def test_the_run_deadline_abandons_the_request_in_flight(serve: Callable[[Serve], str]) -> None:
    url = serve(endless)
    started = time.monotonic()
    with pytest.raises(DeadlineReached):
        session(timeout=60, deadline=time.monotonic() + 0.5).get(url)
    assert time.monotonic() - started < 2


def test_a_refused_connection_was_never_sent() -> None:
    """Was: reported as "outcome unknown" and counted against the rotation cap."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(NotSent, match="connection refused") as refused:
        session().get(f"http://127.0.0.1:{port}/x")
    assert refused.value.headline().startswith("not sent: cannot reach http://127.0.0.1:")


def test_a_complete_chunked_answer_is_read_whole(serve: Callable[[Serve], str]) -> None:
    response = session().get(serve(answers))
    assert (response.status_code, response.content) == (200, b"{}")


def test_only_errors_before_the_request_left_are_not_sent() -> None:
    assert transport.is_not_sent(requests.exceptions.ConnectTimeout())
    assert not transport.is_not_sent(requests.exceptions.ReadTimeout())
    assert not transport.is_not_sent(requests.exceptions.ChunkedEncodingError())
