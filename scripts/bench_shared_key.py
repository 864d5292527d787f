"""Benchmark two pipelines on one key: two concurrent default runs against one reference server.

    python scripts/bench_shared_key.py [--rounds 3]

Each round starts a fresh reference server (the documented default quota, 100 per 60 s) in its
own process, then two ``devtune-contract check`` runs with the same key and default settings at
the same moment; the anchor, in the same script run, is one default run alone on a fresh
server. Times are wall clock medians over the rounds, interpreter start-up included: "both
done" is from starting the pair until the second one exits. Issue 21's targets: both exit 0,
both done in under 3 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import ServerProcess, hardware_line

ROOT = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, "-m", "devtune_contract.cli", "check", "-q"]


def start(server: ServerProcess, reports: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVTUNE_")}
    env.update(server.environment, DEVTUNE_REPORT_DIR=str(reports))
    return subprocess.Popen(  # noqa: S603
        COMMAND, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def runs_at_once(count: int) -> tuple[float, list[int], list[bool]]:
    """Seconds until all ``count`` runs exit, their exit codes, whether each saw a shared key."""
    with ServerProcess() as server, tempfile.TemporaryDirectory() as scratch:
        directories = [Path(scratch) / str(n) for n in range(count)]
        started = time.perf_counter()
        processes = [start(server, directory) for directory in directories]
        codes = [process.wait(timeout=600) for process in processes]
        seconds = time.perf_counter() - started
        summaries = [
            json.loads((directory / "contract-summary.json").read_text())
            for directory in directories
        ]
    shared = [any(r.startswith("shared key: ") for r in s.get("remarks", [])) for s in summaries]
    return seconds, codes, shared


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    alone = [runs_at_once(1) for _ in range(args.rounds)]
    pairs = [runs_at_once(2) for _ in range(args.rounds)]
    alone_median = statistics.median(a[0] for a in alone)
    pair_median = statistics.median(p[0] for p in pairs)
    print(f"hardware: {hardware_line()}")
    print(f"{args.rounds} rounds each; wall-clock medians")
    print("| run | median s (max) | exit codes | runs that saw a shared key |")
    print("|---|---|---|---|")
    print(
        f"| one default run alone | {alone_median:.1f} ({max(a[0] for a in alone):.1f}) | "
        f"{sorted({c for a in alone for c in a[1]})} | {sum(sum(a[2]) for a in alone)} of "
        f"{args.rounds} |"
    )
    print(
        f"| two default runs at once, one key (both done) | {pair_median:.1f} "
        f"({max(p[0] for p in pairs):.1f}) | {sorted({c for p in pairs for c in p[1]})} | "
        f"{sum(sum(p[2]) for p in pairs)} of {2 * args.rounds} |"
    )
    print(f"pair / alone time ratio: {pair_median / alone_median:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
