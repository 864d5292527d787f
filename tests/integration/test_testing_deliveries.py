"""``DevTuneServer.deliver`` / ``adeliver``: signed deliveries, as DevTune sends them, to a
receiver reached by URL, as WSGI or as ASGI; signed with the current, previous or a literal
secret; tampered with; logged until ``reset()``."""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIEnvironment

import attrs
import httpx
import pytest
from devtune_api_client import InvalidSignatureError
from devtune_api_client.webhooks import verify_signature

from devtune_contract.signing import sign
from devtune_contract.testing import DevTuneServer
from devtune_contract.testing.deliveries import TAMPERS


@pytest.fixture
def fresh(devtune_server: DevTuneServer) -> DevTuneServer:
    """The plugin's server, as a consumer gets it: fresh state, so an empty delivery log."""
    return devtune_server


@attrs.define
class Receiver:
    """Keeps every request it gets; 204 when it verifies with ``secrets``, else 401 + reason."""

    secrets: list[str]
    received: list[tuple[str, dict[str, str], bytes]] = attrs.field(factory=list)

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        self.received.append((path, headers, body))
        try:
            verify_signature(body, headers.get("x-devtune-signature"), self.secrets)
        except InvalidSignatureError as error:
            return 401, error.reason.encode()
        return 204, b""

    def wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {
            name[5:].replace("_", "-").lower(): value
            for name, value in environ.items()
            if name.startswith("HTTP_")
        }
        headers["content-type"] = environ.get("CONTENT_TYPE", "")
        status, content = self.answer(environ["PATH_INFO"], headers, body)
        start_response(f"{status} X", [("X-Receiver", "wsgi")])
        return [content]

    async def asgi(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Any],
        send: Callable[[dict[str, Any]], Any],
    ) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {name.decode(): value.decode() for name, value in scope["headers"]}
        status, content = self.answer(scope["path"], headers, body)
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": content})

    @property
    def last(self) -> tuple[str, dict[str, str], bytes]:
        return self.received[-1]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def listening() -> Iterator[tuple[Receiver, str]]:
    """A receiver on a loopback port, for deliveries by URL."""
    receiver = Receiver([])
    server: WSGIServer = make_server("127.0.0.1", 0, receiver.wsgi, handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver, f"http://127.0.0.1:{server.server_port}/hooks/devtune"
    server.shutdown()
    server.server_close()


def rotate(server: DevTuneServer) -> str:
    url = (
        f"{server.base_url}/projects/{server.project_id}/webhooks/{server.webhook_id}/rotate-secret"
    )
    response = httpx.post(url, headers={"Authorization": f"Bearer {server.api_key}"}, timeout=10)
    assert response.status_code == 200
    return str(response.json()["data"]["secret"])


def test_a_delivery_is_signed_with_the_current_secret_as_devtune_sends_it(
    fresh: DevTuneServer,
) -> None:
    receiver = Receiver([fresh.current_secret()])
    answer = fresh.deliver(receiver.wsgi, event="citation.created", payload={"n": 1})
    assert (answer.status, answer.headers["x-receiver"], answer.body) == (204, "wsgi", b"")
    path, headers, body = receiver.last
    assert path == "/"
    assert json.loads(body) == {
        "event": "citation.created",
        "webhookId": fresh.webhook_id,
        "data": {"n": 1},
    }
    assert headers["x-devtune-signature"] == sign(body, fresh.current_secret())  # bare hex
    assert headers["x-devtune-event"] == "citation.created"
    assert headers["user-agent"] == "DevTune-Webhook/2.0"
    assert headers["content-type"] == "application/json"


def test_previous_is_the_secret_before_the_last_rotation(fresh: DevTuneServer) -> None:
    first = fresh.current_secret()
    second = rotate(fresh)
    receiver = Receiver([second])
    assert fresh.deliver(receiver.wsgi, signed_with="previous").status == 401  # new secret only
    assert receiver.last[1]["x-devtune-signature"] == sign(receiver.last[2], first)
    receiver.secrets.append(first)
    assert fresh.deliver(receiver.wsgi, signed_with="previous").status == 204  # both
    third = rotate(fresh)
    fresh.deliver(receiver.wsgi, signed_with="previous")
    assert receiver.last[1]["x-devtune-signature"] == sign(receiver.last[2], second)
    fresh.deliver(receiver.wsgi)
    assert receiver.last[1]["x-devtune-signature"] == sign(receiver.last[2], third)


def test_previous_before_any_rotation_is_a_value_error_and_sends_nothing(
    fresh: DevTuneServer,
) -> None:
    receiver = Receiver([fresh.current_secret()])
    with pytest.raises(ValueError, match="has not been rotated"):
        fresh.deliver(receiver.wsgi, signed_with="previous")
    assert receiver.received == []
    assert fresh.deliveries() == []


def test_a_rotation_whose_answer_was_lost_still_counts_one_that_never_committed_does_not(
    fresh: DevTuneServer,
) -> None:
    first = fresh.current_secret()
    fresh.fail_next("reset_before_commit")
    with pytest.raises(httpx.TransportError):
        rotate(fresh)
    with pytest.raises(ValueError, match="has not been rotated"):
        fresh.deliver(Receiver([first]).wsgi, signed_with="previous")
    fresh.fail_next("lost_response")
    with pytest.raises(httpx.TransportError):
        rotate(fresh)
    receiver = Receiver([first])
    assert fresh.deliver(receiver.wsgi, signed_with="previous").status == 204


def test_a_literal_secret_signs_and_is_never_shown(fresh: DevTuneServer) -> None:
    literal = secrets.token_hex(32)
    receiver = Receiver([literal])
    assert fresh.deliver(receiver.wsgi, signed_with=literal).status == 204
    (sent,) = fresh.deliveries()
    assert sent.signed_with == "literal"
    assert literal not in repr(fresh.deliveries())


@pytest.mark.parametrize("tamper", TAMPERS)
def test_each_tampering_is_refused_by_a_receiver_holding_every_secret(
    fresh: DevTuneServer, tamper: str
) -> None:
    previous = fresh.current_secret()
    rotate(fresh)
    receiver = Receiver([fresh.current_secret(), previous])
    answer = fresh.deliver(receiver.wsgi, tamper=tamper)
    expected = {
        "body": b"mismatch",
        "missing_signature": b"missing",
        "malformed_signature": b"malformed",
        "wrong_secret": b"mismatch",
    }
    assert (answer.status, answer.body) == (401, expected[tamper])
    (sent,) = fresh.deliveries()
    assert sent.tamper == tamper
    assert sent.answer == answer


def test_a_tampered_body_was_signed_before_it_changed(fresh: DevTuneServer) -> None:
    fresh.deliver(Receiver([secrets.token_hex(32)]).wsgi, tamper="body", payload={"amount": 5})
    (sent,) = fresh.deliveries()
    untouched = sent.body.replace(b',"tampered":true}', b"}")
    assert json.loads(sent.body)["data"] == {"amount": 5}
    assert sent.headers["X-DevTune-Signature"] == sign(untouched, fresh.current_secret())


@pytest.mark.parametrize(
    ("arguments", "listed"),
    [
        ({"tamper": "bodies"}, "body, missing_signature, malformed_signature, wrong_secret"),
        ({"signed_with": "previus"}, "current, previous"),
        ({"signed_with": ""}, "current, previous"),
    ],
)
def test_unknown_names_are_value_errors_listing_the_valid_ones(
    fresh: DevTuneServer, arguments: dict[str, Any], listed: str
) -> None:
    receiver = Receiver([])
    with pytest.raises(ValueError, match="valid: " + listed):
        fresh.deliver(receiver.wsgi, **arguments)
    assert receiver.received == []


def test_deliveries_are_logged_in_order_and_cleared_by_reset(fresh: DevTuneServer) -> None:
    receiver = Receiver([fresh.current_secret()])
    fresh.deliver(receiver.wsgi, event="a")
    fresh.deliver(receiver.wsgi, event="b", tamper="missing_signature")
    rotate(fresh)
    log = fresh.deliveries()
    assert [(d.event, d.signed_with, d.tamper, d.answer.status) for d in log] == [
        ("a", "current", None, 204),
        ("b", "current", "missing_signature", 401),
    ]
    assert log[0].webhook_id == fresh.webhook_id
    assert "X-DevTune-Signature" not in log[1].headers
    assert log[0].target.startswith("<application ")
    fresh.reset()
    assert fresh.deliveries() == []
    with pytest.raises(ValueError, match="has not been rotated"):  # the history went too
        fresh.deliver(receiver.wsgi, signed_with="previous")


def test_another_webhook_is_signed_with_its_own_secret(fresh: DevTuneServer) -> None:
    receiver = Receiver([fresh.current_secret(fresh.foreign_webhook_id)])
    answer = fresh.deliver(receiver.wsgi, webhook_id=fresh.foreign_webhook_id)
    assert answer.status == 204
    assert json.loads(receiver.last[2])["webhookId"] == fresh.foreign_webhook_id


def test_a_url_receiver_on_loopback(fresh: DevTuneServer, listening: tuple[Receiver, str]) -> None:
    receiver, url = listening
    receiver.secrets.append(fresh.current_secret())
    assert fresh.deliver(url).status == 204
    assert asyncio.run(fresh.adeliver(url, tamper="wrong_secret")).status == 401
    assert [path for path, _, _ in receiver.received] == ["/hooks/devtune"] * 2
    assert [d.target for d in fresh.deliveries()] == [url, url]


def test_adeliver_calls_an_asgi_application_in_process(fresh: DevTuneServer) -> None:
    receiver = Receiver([fresh.current_secret()])
    answer = asyncio.run(fresh.adeliver(receiver.asgi, path="/webhooks/devtune"))
    assert answer.status == 204
    assert receiver.last[0] == "/webhooks/devtune"
    assert receiver.last[1]["x-devtune-signature"] == sign(receiver.last[2], fresh.current_secret())
    assert asyncio.run(fresh.adeliver(receiver.asgi, tamper="body")).status == 401


def test_adeliver_runs_a_wsgi_application_too(fresh: DevTuneServer) -> None:
    receiver = Receiver([fresh.current_secret()])
    assert asyncio.run(fresh.adeliver(receiver.wsgi)).status == 204
    assert fresh.deliveries()[0].answer.headers["x-receiver"] == "wsgi"


def test_deliver_refuses_an_asgi_application_and_names_adeliver(fresh: DevTuneServer) -> None:
    receiver = Receiver([])
    with pytest.raises(TypeError, match="adeliver"):
        fresh.deliver(receiver.asgi)
    with pytest.raises(ValueError, match="URL"):
        fresh.deliver("127.0.0.1:9/hook")
    assert receiver.received == []


def test_previous_after_concurrent_rotations_is_the_secret_the_last_one_replaced(
    fresh: DevTuneServer,
) -> None:
    url = f"{fresh.base_url}/projects/{fresh.project_id}/webhooks/{fresh.webhook_id}/rotate-secret"

    async def rotate_twice_at_once() -> list[str]:
        async with httpx.AsyncClient(timeout=10) as client:
            headers = {"Authorization": f"Bearer {fresh.api_key}"}
            responses = await asyncio.gather(*(client.post(url, headers=headers) for _ in "ab"))
        return [str(response.json()["data"]["secret"]) for response in responses]

    returned = asyncio.run(rotate_twice_at_once())
    assert fresh.rotation_count() == 2
    (replaced,) = [secret for secret in returned if secret != fresh.current_secret()]
    assert fresh.deliver(Receiver([replaced]).wsgi, signed_with="previous").status == 204
