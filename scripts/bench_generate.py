"""Time the drift gate (``generate.py --check``) as CI runs it, its environment already built.

    .tox/drift/bin/python scripts/bench_generate.py [--rounds 5]

The anchor, in the same run, is a bare interpreter start (``python -c pass``): the gate's time
above it is the generator itself. Wall-clock medians.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_common import hardware_line

ROOT = Path(__file__).resolve().parent.parent


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)  # noqa: S603
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    gate = [sys.executable, str(ROOT / "scripts" / "generate.py"), "--check"]
    anchor = [sys.executable, "-c", "pass"]
    gate_times, anchor_times = [], []
    for _ in range(args.rounds):
        anchor_times.append(wall(anchor))
        gate_times.append(wall(gate))
    gate_median, anchor_median = statistics.median(gate_times), statistics.median(anchor_times)
    print(f"hardware: {hardware_line()}")
    print(
        f"generate.py --check: median {gate_median:.2f} s over {args.rounds} rounds "
        f"(min {min(gate_times):.2f}, max {max(gate_times):.2f})"
    )
    print(
        f"anchor python -c pass: median {anchor_median:.3f} s; "
        f"ratio {gate_median / anchor_median:.0f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
