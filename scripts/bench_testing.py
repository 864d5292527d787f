"""Time the testing kit: the first use in a session, and each later test's fresh state.

    python scripts/bench_testing.py [--rounds 15] [--resets 200]

Medians, in one run, each beside an anchor measured in the same run:

- first use: a fresh interpreter that has already imported pytest and httpx (as a test session
  has when the first test asks for ``devtune_server``) imports the kit and starts a
  ``DevTuneServer``; timed from before the import until the server accepts requests. Anchor:
  the same interpreter state importing uvicorn and starting a bare ASGI app that answers
  nothing, on the same ``RunningServer``: the floor for any in-process uvicorn server.
- reset: ``DevTuneServer.reset()`` after a test that rotated once and queued a fault, as the
  plugin runs it between tests. Anchor: one rotation over a kept-alive httpx connection, the
  cost of the cheapest thing a test does with the server.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

import httpx
from bench_common import hardware_line

from devtune_contract.testing import DevTuneServer

FIRST_USE = """
import time, pytest, httpx
start = time.perf_counter()
from devtune_contract.testing.server import DevTuneServer
server = DevTuneServer()
print(time.perf_counter() - start)
server.close()
"""

BARE_SERVER = """
import time, pytest, httpx
start = time.perf_counter()
from devtune_contract.server.running import RunningServer
async def app(scope, receive, send):
    pass
server = RunningServer(app)
print(time.perf_counter() - start)
server.close()
"""


def in_new_process(code: str) -> float:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return float(result.stdout.strip())


def first_use(rounds: int) -> tuple[list[float], list[float]]:
    kit, bare = [], []
    for _ in range(rounds):  # interleaved, so drift in the machine's speed hits both alike
        kit.append(in_new_process(FIRST_USE))
        bare.append(in_new_process(BARE_SERVER))
    return kit, bare


def resets(rounds: int) -> tuple[list[float], list[float]]:
    reset_times, request_times = [], []
    with DevTuneServer() as server, httpx.Client(timeout=10) as client:
        for _ in range(rounds):
            url = (
                f"{server.base_url}/projects/{server.project_id}/webhooks/{server.webhook_id}"
                "/rotate-secret"
            )
            headers = {"Authorization": f"Bearer {server.api_key}"}
            start = time.perf_counter()
            response = client.post(url, headers=headers)
            request_times.append(time.perf_counter() - start)
            assert response.status_code == 200
            server.fail_next("server_error")
            start = time.perf_counter()
            server.reset()
            reset_times.append(time.perf_counter() - start)
    return reset_times, request_times


def milliseconds(samples: list[float]) -> float:
    return round(1000 * statistics.median(samples), 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="new processes per first-use row")
    parser.add_argument("--resets", type=int, default=200, help="resets timed")
    args = parser.parse_args()
    kit, bare = first_use(args.rounds)
    reset_times, request_times = resets(args.resets)
    rows = {
        "first use: import the kit, start DevTuneServer": (milliseconds(kit), milliseconds(bare)),
        "reset() between tests": (milliseconds(reset_times), milliseconds(request_times)),
    }
    print(f"hardware: {hardware_line()}")
    print(f"rounds: {args.rounds} first uses, {args.resets} resets (medians)")
    print("| run | median | anchor | median | x anchor |")
    print("|---|---|---|---|---|")
    anchors = ("bare uvicorn server, same start", "one rotation request (keep-alive)")
    for (name, (value, anchor)), anchor_name in zip(rows.items(), anchors, strict=True):
        ratio = value / anchor if anchor else float("inf")
        print(f"| {name} | {value} ms | {anchor_name} | {anchor} ms | {ratio:.2f} |")
    print(json.dumps({name: value for name, (value, _) in rows.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
