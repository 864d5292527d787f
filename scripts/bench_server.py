"""Benchmark the reference server: rotations per second and latency at 1, 8 and 32 connections.

    python scripts/bench_server.py [--seconds 5] [--rounds 3]

The server runs in its own process with durable commits (SQLite WAL, synchronous=FULL); the
load comes from a minimal keep-alive HTTP/1.1 client on loopback, so the client costs little of
the shared 2 cores. The anchor, measured in the same run, is the same request path without the
write: an unknown webhook (authentication, rate limit and lookup, then 404). The ratio of the
two isolates what the durable rotation costs. Results are medians over the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

from bench_common import ServerProcess, hardware_line

LEVELS = (1, 8, 32)


async def one_connection(
    port: int, request: bytes, stop_at: float, latencies: list[float], statuses: dict[int, int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def load(
    port: int, request: bytes, connections: int, seconds: float
) -> tuple[float, float, float, dict[int, int]]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop_at = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(
        *(one_connection(port, request, stop_at, latencies, statuses) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    return len(latencies) / elapsed, p50, p99, statuses


def request_for(env: dict[str, str], webhook_id: str) -> bytes:
    path = f"/api/v2/projects/{env['DEVTUNE_PROJECT_ID']}/webhooks/{webhook_id}/rotate-secret"
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {env['DEVTUNE_API_KEY']}\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per level and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"hardware: {hardware_line()}")
    print(f"{args.rounds} rounds of {args.seconds:g} s per level; medians")
    print("| connections | rotations/s | p50 ms | p99 ms | anchor (404) req/s | rotation/anchor |")
    print("|---|---|---|---|---|---|")
    with ServerProcess("--rate-limit", str(10**9)) as server:
        env = server.environment
        rotate = request_for(env, env["DEVTUNE_WEBHOOK_ID"])
        anchor = request_for(env, str(uuid.uuid4()))
        for connections in LEVELS:
            rotations, anchors = [], []
            for _ in range(args.rounds):
                anchors.append(asyncio.run(load(server.port, anchor, connections, args.seconds)))
                rotations.append(asyncio.run(load(server.port, rotate, connections, args.seconds)))
            bad = {s for r in rotations for s in r[3] if s != 200}
            if bad:
                print(f"unexpected statuses during rotation: {sorted(bad)}")
                return 1
            rps = statistics.median(r[0] for r in rotations)
            anchor_rps = statistics.median(a[0] for a in anchors)
            print(
                f"| {connections} | {rps:,.0f} | {statistics.median(r[1] for r in rotations):.1f} "
                f"| {statistics.median(r[2] for r in rotations):.1f} | {anchor_rps:,.0f} "
                f"| {rps / anchor_rps:.2f} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
