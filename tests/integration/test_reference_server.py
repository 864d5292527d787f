"""The reference server, over real HTTP on loopback: statuses, state, limits, robustness."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from devtune_api_client import InvalidSignatureError
from devtune_api_client.webhooks import verify_signature

from devtune_contract.credentials import WEBHOOKS_WRITE
from devtune_contract.operations import ROTATE_SECRET
from devtune_contract.server import Policy, RunningServer, ServerConfig, Store, create_app
from devtune_contract.server.embedded import EmbeddedServer
from devtune_contract.server.storage import seed_demo
from devtune_contract.signing import SIGNATURE_HEADER, sign


def rotate_url(
    server: EmbeddedServer, project: str | None = None, webhook: str | None = None
) -> str:
    project = project or server.demo.project_id
    webhook = webhook or server.demo.webhook_id
    path = ROTATE_SECRET.url_path({"projectId": project, "webhookId": webhook})
    return server.server.base_url + path


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"] == code
    assert body["status"] == status
    assert body["message"]


def test_rotation_succeeds_with_envelope_and_headers(server: EmbeddedServer) -> None:
    response = httpx.post(rotate_url(server), headers=auth(server.demo.write_key))
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["secret"] == server.store.current_secret(server.demo.webhook_id)
    assert len(bytes.fromhex(body["data"]["secret"])) == 32
    assert body["meta"]["projectId"] == server.demo.project_id
    assert body["meta"]["timestamp"].endswith("Z")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-ratelimit-limit"] == "100"
    assert response.headers["x-ratelimit-remaining"] == "99"
    assert int(response.headers["x-ratelimit-reset"]) > time.time()


STATUS_MATRIX = [
    pytest.param(None, None, None, 401, "unauthorized", id="missing-key"),
    pytest.param("Basic abc", None, None, 401, "unauthorized", id="wrong-scheme"),
    pytest.param("Bearer dtk_live_123", None, None, 401, "unauthorized", id="malformed-key"),
    pytest.param("unknown", None, None, 401, "unauthorized", id="unknown-key"),
    pytest.param("expired", None, None, 401, "unauthorized", id="expired-key"),
    pytest.param("read", None, None, 403, "forbidden", id="read-only-key"),
    pytest.param("write", "other", None, 403, "forbidden", id="other-project"),
    pytest.param("write", "random", None, 403, "forbidden", id="unknown-project"),
    pytest.param("write", "not-a-uuid", None, 403, "forbidden", id="malformed-project"),
    pytest.param("write", None, "random", 404, "not_found", id="unknown-webhook"),
    pytest.param("write", None, "not-a-uuid", 404, "not_found", id="malformed-webhook"),
    pytest.param("write", None, "other", 404, "not_found", id="other-projects-webhook"),
]


def resolve_authorization(server: EmbeddedServer, choice: str | None) -> dict[str, str]:
    keys = {
        "write": server.demo.write_key,
        "read": server.demo.read_only_key,
        "unknown": "dtk_live_" + "a" * 64,
        "expired": server.store.create_api_key(server.demo.project_id, None, expires_at=1.0).key,
    }
    if choice is None:
        return {}
    if choice in keys:
        return auth(keys[choice])
    return {"Authorization": choice}


def resolve_id(server: EmbeddedServer, choice: str | None, own: str, other: str) -> str:
    return {None: own, "other": other, "random": str(uuid.uuid4())}.get(choice, choice or own)


@pytest.mark.parametrize(("key", "project", "webhook", "status", "code"), STATUS_MATRIX)
def test_status_matrix_over_raw_http(
    server: EmbeddedServer,
    key: str | None,
    project: str | None,
    webhook: str | None,
    status: int,
    code: str,
) -> None:
    demo = server.demo
    url = rotate_url(
        server,
        resolve_id(server, project, demo.project_id, demo.foreign_project_id),
        resolve_id(server, webhook, demo.webhook_id, demo.foreign_webhook_id),
    )
    response = httpx.post(url, headers=resolve_authorization(server, key))
    assert_error(response, status, code)
    assert ("x-ratelimit-limit" in response.headers) == (status != 401)
    assert server.store.rotation_count(demo.webhook_id) == 0


def test_rate_limit_precedes_scope_and_resource_checks() -> None:
    embedded = EmbeddedServer(ServerConfig(rate_limit=1, rate_window=60))
    try:
        url = rotate_url(embedded, webhook=str(uuid.uuid4()))
        headers = auth(embedded.demo.write_key)
        assert httpx.post(url, headers=headers).status_code == 404
        limited = httpx.post(url, headers=headers)
        assert_error(limited, 429, "rate_limit_exceeded")
        assert limited.headers["x-ratelimit-remaining"] == "0"
        assert int(limited.headers["x-ratelimit-reset"]) > time.time()
    finally:
        embedded.close()


def test_other_methods_get_405_with_allow(server: EmbeddedServer) -> None:
    for method in ("GET", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"):
        response = httpx.request(method, rotate_url(server), headers=auth(server.demo.write_key))
        assert response.status_code == 405, method
        assert response.headers["allow"] == "POST"


def test_unknown_paths_get_json_404(server: EmbeddedServer) -> None:
    response = httpx.post(server.server.base_url + "/projects", headers=auth(server.demo.write_key))
    assert_error(response, 404, "not_found")


def raw_request(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(request)
        return connection.recv(65536)


def post_raw_path(server: EmbeddedServer, path: bytes) -> int:
    request = (
        b"POST "
        + path
        + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
        + server.demo.write_key.encode()
        + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    return int(raw_request(server.server.port, request).split(b" ", 2)[1])


def paths_with(server: EmbeddedServer, segment: bytes) -> list[bytes]:
    project, webhook = server.demo.project_id.encode(), server.demo.webhook_id.encode()
    return [
        b"/api/v2/projects/" + segment + b"/webhooks/" + webhook + b"/rotate-secret",
        b"/api/v2/projects/" + project + b"/webhooks/" + segment + b"/rotate-secret",
    ]


@pytest.mark.parametrize(
    "segment",
    [b"x" * 8000, b"%00%ff%fe%2F..%2F", b"%C3%28", b"%F0%9F%92%A9" * 50, b"%", b".."],
    ids=["very-long", "percent-garbage", "invalid-utf8-encoded", "emoji", "lone-percent", "dots"],
)
def test_garbage_path_segments_get_403_or_404(server: EmbeddedServer, segment: bytes) -> None:
    for path in paths_with(server, segment):
        assert post_raw_path(server, path) in {403, 404}


@pytest.mark.parametrize("segment", [b"\xff\xfe", b"a b"], ids=["raw-invalid-utf8", "space"])
def test_invalid_request_lines_are_rejected_by_the_http_layer(
    server: EmbeddedServer, segment: bytes
) -> None:
    """Not a URL at all (RFC 9112 request-target): the HTTP layer answers 400 (JSON) before the
    API sees it."""
    for path in paths_with(server, segment):
        assert post_raw_path(server, path) == 400


def test_a_body_on_post_is_ignored(server: EmbeddedServer) -> None:
    response = httpx.post(
        rotate_url(server), headers=auth(server.demo.write_key), content=b"\xff{not json" * 1000
    )
    assert response.status_code == 200


def test_slow_and_disconnecting_clients_do_not_break_the_server(server: EmbeddedServer) -> None:
    port = server.server.port
    with socket.create_connection(("127.0.0.1", port), timeout=5) as slow:
        slow.sendall(b"POST /api/v2/projects/")  # and then nothing, then hang up
    with socket.create_connection(("127.0.0.1", port), timeout=5) as dropped:
        dropped.sendall(b"POST /api/v2/x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc")
    response = httpx.post(rotate_url(server), headers=auth(server.demo.write_key))
    assert response.status_code == 200


def test_concurrent_rotations_are_atomic(server: EmbeddedServer) -> None:
    async def rotate_concurrently(count: int) -> list[str]:
        limits = httpx.Limits(max_connections=count)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            responses = await asyncio.gather(
                *(
                    client.post(rotate_url(server), headers=auth(server.demo.write_key))
                    for _ in range(count)
                )
            )
        assert {r.status_code for r in responses} == {200}
        return [r.json()["data"]["secret"] for r in responses]

    secrets = asyncio.run(rotate_concurrently(100))
    assert len(set(secrets)) == 100
    assert server.store.current_secret(server.demo.webhook_id) in secrets
    assert server.store.rotation_count(server.demo.webhook_id) == 100


def test_rate_limit_holds_under_concurrency() -> None:
    limit = 20
    embedded = EmbeddedServer(ServerConfig(rate_limit=limit, rate_window=60))
    try:
        url = rotate_url(embedded, webhook=str(uuid.uuid4()))

        async def burst() -> list[int]:
            async with httpx.AsyncClient(limits=httpx.Limits(max_connections=50)) as client:
                responses = await asyncio.gather(
                    *(client.post(url, headers=auth(embedded.demo.write_key)) for _ in range(50))
                )
            return [r.status_code for r in responses]

        statuses = asyncio.run(burst())
        assert statuses.count(404) == limit
        assert statuses.count(429) == 50 - limit
    finally:
        embedded.close()


def test_restart_on_the_same_database_keeps_state(tmp_path: Path) -> None:
    database = tmp_path / "state.sqlite"
    with contextlib.closing(Store.open(database)) as store:
        demo = seed_demo(store)
        path = ROTATE_SECRET.url_path({"projectId": demo.project_id, "webhookId": demo.webhook_id})
        with RunningServer(create_app(Policy(store))) as running:
            url = running.base_url + path
            secret = httpx.post(url, headers=auth(demo.write_key)).json()["data"]["secret"]

    with contextlib.closing(Store.open(database)) as reopened:
        assert reopened.current_secret(demo.webhook_id) == secret
        with RunningServer(create_app(Policy(reopened))) as running:
            url = running.base_url + path
            assert httpx.post(url, headers=auth(demo.write_key)).status_code == 200
            assert httpx.post(url, headers=auth(demo.read_only_key)).status_code == 403


def test_keys_are_stored_only_as_hashes(tmp_path: Path) -> None:
    database = tmp_path / "state.sqlite"
    store = Store.open(database)
    demo = seed_demo(store)
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert demo.write_key.encode() not in raw
    assert demo.read_only_key.encode() not in raw


def test_old_secret_stops_verifying_after_rotation(server: EmbeddedServer) -> None:
    delivery = b'{"event": "citation.created"}'
    old_secret = server.store.current_secret(server.demo.webhook_id)
    assert old_secret is not None
    old_headers = {SIGNATURE_HEADER: sign(delivery, old_secret)}  # as a delivery carries it
    old_signature = old_headers[SIGNATURE_HEADER]
    new_secret = httpx.post(rotate_url(server), headers=auth(server.demo.write_key)).json()["data"][
        "secret"
    ]
    current = server.store.current_secret(server.demo.webhook_id)
    assert current is not None
    assert current == new_secret
    with pytest.raises(InvalidSignatureError):
        verify_signature(delivery, old_signature, current)
    verify_signature(delivery, sign(delivery, new_secret), current)
    verify_signature(delivery, "sha256=" + sign(delivery, new_secret), current)


def test_logs_never_contain_keys_or_secrets(
    server: EmbeddedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = httpx.post(rotate_url(server), headers=auth(server.demo.write_key)).json()["data"][
        "secret"
    ]
    httpx.post(rotate_url(server), headers=auth(server.demo.read_only_key))
    assert "rotated the secret" in caplog.text
    for value in (secret, server.demo.write_key, server.demo.read_only_key):
        assert value not in caplog.text


def test_seeded_scopes_are_enforced(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.sqlite")
    project = store.create_project()
    webhook = store.create_webhook(project)
    writer = store.create_api_key(project, frozenset({WEBHOOKS_WRITE}))
    found = store.find_key(writer.key)
    assert found is not None
    assert found.allows(WEBHOOKS_WRITE)
    assert not found.allows("webhooks.read")
    assert store.find_webhook(webhook) is not None
    store.close()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "devtune_contract.cli", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_cli_reports_an_unwritable_database_in_one_line(tmp_path: Path) -> None:
    result = run_cli("serve", "--db", str(tmp_path / "missing" / "dir" / "x.sqlite"), "--port", "0")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "cannot open database" in result.stderr


def test_cli_seed_rejects_unknown_scopes(tmp_path: Path) -> None:
    result = run_cli("seed", "--db", str(tmp_path / "x.sqlite"), "--scopes", "webhooks.admin")
    assert result.returncode == 2
    assert "unknown scopes" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_seed_into_an_unknown_project_is_one_line(tmp_path: Path) -> None:
    project = str(uuid.uuid4())
    result = run_cli("seed", "--db", str(tmp_path / "x.sqlite"), "--project", project)
    assert result.returncode == 2
    assert result.stderr == f"devtune-contract: no project {project} in {tmp_path / 'x.sqlite'}\n"
    assert result.stdout == ""  # no key was issued


def test_cli_seed_writes_credentials_to_a_private_file(tmp_path: Path) -> None:
    env_file = tmp_path / "creds.env"
    result = run_cli("seed", "--db", str(tmp_path / "x.sqlite"), "--env-file", str(env_file))
    assert result.returncode == 0
    assert env_file.stat().st_mode & 0o777 == 0o600
    key = next(
        line.split("=", 1)[1]
        for line in env_file.read_text().splitlines()
        if line.startswith("DEVTUNE_API_KEY=")
    )
    assert key.startswith("dtk_live_")
    assert key not in result.stdout


def test_cli_env_file_is_never_replaced_without_force(tmp_path: Path) -> None:
    """Issue 29: a second ``serve --env-file`` or ``seed --env-file`` silently replaced the
    credentials in the file. Now one line, exit 2, nothing seeded; ``--force`` replaces it."""
    env_file = tmp_path / "creds.env"
    env_file.write_text("DEVTUNE_API_KEY=kept\n")
    database = tmp_path / "x.sqlite"
    for command in (["serve", "--port", "0"], ["seed", "--db", str(database)]):
        result = run_cli(*command, "--env-file", str(env_file))
        assert result.returncode == 2, result.stderr
        assert result.stderr == (
            f"devtune-contract: {env_file} exists: pass --force to replace its credentials\n"
        )
        assert result.stdout == ""
        assert env_file.read_text() == "DEVTUNE_API_KEY=kept\n"
    assert not database.exists()
    forced = run_cli("seed", "--db", str(database), "--env-file", str(env_file), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "DEVTUNE_API_KEY=dtk_live_" in env_file.read_text()
