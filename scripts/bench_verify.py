"""Time the delivery verifier and the testing kit's in-process deliveries.

    python scripts/bench_verify.py [--rounds 31] [--number 20000] [--deliveries 300]

Medians over ``rounds`` timings of ``number`` calls each; each round times the anchor and then
each measured call, and the ratio quoted is the median of the per-round ratios, so drift in the
machine's speed hits both sides of a ratio alike:

- ``verify_signature`` on a 1 KiB body, with one matching secret, and with two secrets where
  the second matches. Anchor: a bare ``hmac.new(key, body, sha256).hexdigest()`` plus
  ``hmac.compare_digest``, the least any verifier does for one secret.
- ``DevTuneServer.adeliver()`` to an in-process ASGI application that reads the body and
  answers 204: the kit's cost per delivery (sign, send through ``ASGITransport``, log).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import secrets
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from typing import Any

import attrs
from bench_common import hardware_line
from devtune_api_client.webhooks import verify_signature

from devtune_contract.signing import sign
from devtune_contract.testing import DevTuneServer

BODY = secrets.token_bytes(1024)


@attrs.frozen
class Row:
    """Median microseconds per call, and the median of the per-round ratios to the anchor."""

    micros: float
    anchor_micros: float
    ratio: float


def verify_rows(rounds: int, number: int) -> dict[str, Row]:
    """Each round times the anchor and every measured call in turn, on the same body."""
    current, other = secrets.token_hex(32), secrets.token_hex(32)
    signature = sign(BODY, current)
    key = current.encode()

    def anchor() -> bool:
        return hmac.compare_digest(hmac.new(key, BODY, hashlib.sha256).hexdigest(), signature)

    measured: dict[str, Callable[[], object]] = {
        "verify_signature, 1 KiB, one secret (matches)": lambda: verify_signature(
            BODY, signature, current
        ),
        "verify_signature, 1 KiB, two secrets (the second matches)": lambda: verify_signature(
            BODY, signature, [other, current]
        ),
    }
    anchors: list[float] = []
    times: dict[str, list[float]] = {name: [] for name in measured}
    for _ in range(rounds):
        anchors.append(timeit.timeit(anchor, number=number) / number)
        for name, call in measured.items():
            times[name].append(timeit.timeit(call, number=number) / number)
    return {
        name: Row(
            1e6 * statistics.median(samples),
            1e6 * statistics.median(anchors),
            statistics.median(s / a for s, a in zip(samples, anchors, strict=True)),
        )
        for name, samples in times.items()
    }


async def receiver(
    scope: dict[str, Any], receive: Callable[[], Any], send: Callable[[Any], Any]
) -> None:
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def deliveries(server: DevTuneServer, count: int) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        answer = await server.adeliver(receiver, payload={"n": 1})
        times.append(time.perf_counter() - start)
        assert answer.status == 204
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31, help="timings per verify row")
    parser.add_argument("--number", type=int, default=20000, help="calls per timing")
    parser.add_argument("--deliveries", type=int, default=300, help="adeliver() calls timed")
    args = parser.parse_args()
    rows = verify_rows(args.rounds, args.number)
    with DevTuneServer() as server:
        asyncio.run(deliveries(server, 20))  # warm-up: imports, first client
        server.reset()
        delivery_times = asyncio.run(deliveries(server, args.deliveries))
    print(f"hardware: {hardware_line()}")
    print(f"rounds: {args.rounds} x {args.number} calls per verify row, medians")
    print("| run | median | anchor | anchor median | x anchor |")
    print("|---|---|---|---|---|")
    for name, row in rows.items():
        print(
            f"| {name} | {row.micros:.2f} µs | hmac.new().hexdigest() + compare_digest | "
            f"{row.anchor_micros:.2f} µs | {row.ratio:.2f} |"
        )
    median = 1000 * statistics.median(delivery_times)
    worst = 1000 * max(delivery_times)
    print(
        f"| adeliver() to an in-process ASGI app ({args.deliveries} deliveries) | "
        f"{median:.2f} ms (max {worst:.2f} ms) | target | 5 ms | {median / 5:.2f} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
