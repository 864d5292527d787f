"""The reference server's files: private on disk, and honest when they cannot be written."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devtune_contract.operations import ROTATE_SECRET
from devtune_contract.server import (
    Policy,
    RunningServer,
    Store,
    StoreError,
    create_app,
    seed_demo,
)
from devtune_contract.server.storage.group_commit import GroupCommit

PRIVATE = 0o600


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def rotate_once(store: Store) -> httpx.Response:
    demo = seed_demo(store)
    with RunningServer(create_app(Policy(store))) as running:
        url = f"{running.base_url}/projects/{demo.project_id}/webhooks/{demo.webhook_id}"
        return httpx.post(
            url + "/rotate-secret", headers={"Authorization": f"Bearer {demo.write_key}"}
        )


@pytest.mark.usefixtures("permissive_umask")
def test_database_files_are_private_under_a_permissive_umask(tmp_path: Path) -> None:
    database = tmp_path / "state.sqlite"
    store = Store.open(database)
    try:
        assert rotate_once(store).status_code == 200
        files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
        assert {f.name: mode(f) for f in files} == {f.name: PRIVATE for f in files}
    finally:
        store.close()


@pytest.mark.usefixtures("permissive_umask")
def test_an_existing_world_readable_database_is_made_private(tmp_path: Path) -> None:
    database = tmp_path / "state.sqlite"
    Store.open(database).close()
    database.chmod(0o644)
    store = Store.open(database)
    try:
        assert mode(database) == PRIVATE
    finally:
        store.close()


def run_cli(*args: str, umask: int = 0, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "devtune_contract.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        preexec_fn=lambda: os.umask(umask),
    )


def test_new_env_files_are_private_under_a_permissive_umask(tmp_path: Path) -> None:
    env_file = tmp_path / "creds.env"
    result = run_cli("seed", "--db", str(tmp_path / "x.sqlite"), "--env-file", str(env_file))
    assert result.returncode == 0, result.stderr
    assert mode(env_file) == PRIVATE
    assert mode(tmp_path / "x.sqlite") == PRIVATE


def test_an_existing_env_file_is_truncated_and_made_private(tmp_path: Path) -> None:
    """Replaced only when told to (``--force``, issue 29), and then wholly and privately."""
    env_file = tmp_path / "creds.env"
    env_file.write_text("OLD_LINE=" + "x" * 5000 + "\n")
    env_file.chmod(0o644)
    database = str(tmp_path / "x.sqlite")
    result = run_cli("seed", "--db", database, "--env-file", str(env_file), "--force")
    assert result.returncode == 0, result.stderr
    assert mode(env_file) == PRIVATE
    text = env_file.read_text()
    assert "OLD_LINE" not in text
    assert text.startswith("DEVTUNE_PROJECT_ID=")


def without_root_privileges() -> list[str]:
    """Root ignores file modes: drop the capabilities that let it (and its chmod) do so."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file modes cannot make a file read-only")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner"]


def test_a_database_that_is_not_writable_fails_at_startup_in_one_line(tmp_path: Path) -> None:
    database = tmp_path / "state.sqlite"
    Store.open(database).close()
    database.chmod(0o444)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    command = [sys.executable, "-m", "devtune_contract.cli", "serve", "--db", str(database)]
    try:
        result = subprocess.run(  # noqa: S603
            [*without_root_privileges(), *command, "--port", port],
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the server started on a database it cannot write")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "not writable" in result.stderr
    assert "Traceback" not in result.stderr
    assert database.stat().st_mode & 0o222 == 0  # never made writable behind the owner's back


@pytest.mark.parametrize("change", ["deleted", "replaced"])
def test_a_database_deleted_or_replaced_while_running_is_noticed(
    tmp_path: Path, change: str, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "state.sqlite"
    store = Store.open(database)
    demo = seed_demo(store)
    headers = {"Authorization": f"Bearer {demo.write_key}"}
    try:
        with RunningServer(create_app(Policy(store))) as running:
            url = (
                f"{running.base_url}/projects/{demo.project_id}/webhooks/{demo.webhook_id}"
                "/rotate-secret"
            )
            first = httpx.post(url, headers=headers).status_code
            assert first == 200, f"the first rotation got {first}"
            if change == "deleted":
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{database}{suffix}").unlink(missing_ok=True)
            else:
                replacement = tmp_path / "other.sqlite"
                Store.open(replacement).close()
                replacement.replace(database)
            caplog.set_level(logging.ERROR, logger="devtune_contract.server")
            response = httpx.post(url, headers=headers)
        assert response.status_code == 500
        assert response.json()["error"] == "internal_error"
        assert "deleted or replaced" in caplog.text
        assert demo.write_key not in caplog.text
    finally:
        store.close()


def test_keys_seeded_by_another_process_work_while_the_server_runs(tmp_path: Path) -> None:
    """Found keys are remembered, unknown ones are not: a key seeded later works at once."""
    database = tmp_path / "state.sqlite"
    store = Store.open(database)
    demo = seed_demo(store)
    path = ROTATE_SECRET.url_path({"projectId": demo.project_id, "webhookId": demo.webhook_id})
    try:
        with RunningServer(create_app(Policy(store))) as running:
            other = Store.open(database)  # as `devtune-contract seed` would, from its process
            try:
                late = other.create_api_key(demo.project_id)
            finally:
                other.close()
            headers = {"Authorization": f"Bearer {late.key}"}
            status = httpx.post(running.base_url + path, headers=headers).status_code
        assert status == 200, f"a key seeded while the server ran got {status}"
    finally:
        store.close()


class GatedCommit(GroupCommit):
    """Group commits that wait until the test opens the gate, counting the rotations committed
    (each store its own gate: no state shared between tests)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.gate, self.held, self.lock = threading.Event(), threading.Event(), threading.Lock()
        self.committed = 0

    def _commit_group(self, group: list[Any]) -> list[StoreError | None]:
        self.held.set()
        self.gate.wait(timeout=10)
        results = super()._commit_group(group)
        with self.lock:
            self.committed += len(group)
        return results


class GatedDisk(Store):
    committer = GatedCommit


def test_a_rotation_is_answered_only_after_its_commit(tmp_path: Path) -> None:
    """Group commit must not acknowledge early: while the commit is held, no answer comes."""
    store = GatedDisk.open(tmp_path / "state.sqlite")
    gated = store.group_commit
    assert isinstance(gated, GatedCommit)
    demo = seed_demo(store)
    path = ROTATE_SECRET.url_path({"projectId": demo.project_id, "webhookId": demo.webhook_id})
    answers: list[tuple[int, int]] = []
    try:
        with RunningServer(create_app(Policy(store))) as running:
            headers = {"Authorization": f"Bearer {demo.write_key}"}
            url = running.base_url + path

            def rotate() -> None:
                status = httpx.post(url, headers=headers, timeout=15).status_code
                with gated.lock:  # how many rotations were committed when this one was answered
                    answers.append((status, gated.committed))

            clients = [threading.Thread(target=rotate) for _ in range(4)]
            for client in clients:
                client.start()
            assert gated.held.wait(timeout=15), "no rotation reached the commit"
            assert answers == [], "a rotation was answered before its commit"
            assert store.rotation_count(demo.webhook_id) == 0
            gated.gate.set()
            for client in clients:
                client.join(timeout=15)
        # Ordering, not time: each answer came after its own commit.
        assert [status for status, _ in answers] == [200] * 4
        assert all(committed >= n for n, (_, committed) in enumerate(answers, 1)), answers
        assert store.rotation_count(demo.webhook_id) == 4
    finally:
        gated.gate.set()
        store.close()
