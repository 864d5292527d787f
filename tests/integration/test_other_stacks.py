"""The whole suite against correct servers that are not the reference server (issue 25, part 5).

Every legitimate variant in ``test_teeth`` is the reference server with another policy: one
stack, one framework, one error page. These are another server written from the contract on
``http.server`` and emulations of other stacks on it (``tests/teeth/stacks/``); a suite that
fails one of them judges what the contract never documented.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from leaks import assert_nothing_leaked
from suite_runner import SuiteRun, run_suite
from teeth.stacks.emulations import STACKS, Stack
from teeth.stacks.redirects import Recorder, moved_to
from teeth.stacks.stdlib_server import StdlibServer


@pytest.fixture
def stack_server(request: pytest.FixtureRequest) -> Iterator[StdlibServer]:
    stack: Stack = STACKS[request.param]
    with StdlibServer(stack.handler) as server:
        yield server


def first_red_lines(run: SuiteRun) -> str:
    """The summary's first red test line and first red check line: what a reader needs first."""
    red = [line.strip() for line in run.output.splitlines() if line.lstrip().startswith("FAIL ")]
    firsts = [
        next((line for line in red if line.split()[1] == kind), "") for kind in ("test", "check")
    ]
    return " | ".join(line for line in firsts if line) or f"exit code {run.returncode}"


@pytest.mark.slow
@pytest.mark.parametrize("stack_server", list(STACKS), indirect=True)
def test_suite_passes_a_correct_server_on_another_stack(
    stack_server: StdlibServer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    stack = STACKS[request.node.callspec.params["stack_server"]]
    run = run_suite(stack_server.environment(), tmp_path)
    code, failed = run.returncode, sorted(run.failed_names())
    assert code == 0, f"{stack.name} ({stack.summary}): exit {code}: {first_red_lines(run)}"
    assert not failed, failed
    assert_nothing_leaked(run, stack_server.secrets_to_keep())


@pytest.mark.slow
def test_key_never_follows_a_redirect_to_another_origin(tmp_path: Path) -> None:
    """The route answers 308 to another origin: the suite fails the server, and neither key
    reaches that origin (issue 25 part 3: the key goes only to the base URL's origin)."""
    with Recorder() as elsewhere, StdlibServer(moved_to(elsewhere.origin)) as server:
        run = run_suite(server.environment(), tmp_path)
        keys = (server.demo.write_key, server.demo.read_only_key)
        arrived = sum(elsewhere.times_sent(key) for key in keys)
        followed = len(elsewhere.received)
    assert arrived == 0, f"a key reached another origin {arrived} times"
    assert run.returncode != 0, "the suite passed a server whose route moved to another origin"
    assert followed == 0, f"the suite followed {followed} redirects to another origin"
    assert_nothing_leaked(run, server.secrets_to_keep())
