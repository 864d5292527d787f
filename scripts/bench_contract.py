"""Benchmark the contract suite's default run against a plain ``st run`` of the same spec.

    python scripts/bench_contract.py [--rounds 3]

Both run in this environment (already built) against fresh reference servers on loopback, each
in its own process, in the same script run; times are wall clock medians over the rounds,
including interpreter start-up, as a user sees them. "Distinct checks" counts, for the suite,
the per-response checks it reported plus its scenario tests; for ``st run``, schemathesis'
built-in checks that are on by default.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import ServerProcess, hardware_line

ROOT = Path(__file__).resolve().parent.parent


def timed(command: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[float, int]:
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )
    return time.perf_counter() - started, result.returncode


def suite_round(
    checkout: Path | None = None, probe: str = "auto"
) -> tuple[float, int, int, int, float]:
    """One default run; ``checkout``: the suite of that source tree instead (a baseline).

    The last value is the run's own time as its summary states it (no interpreter start-up).
    """
    with ServerProcess() as server, tempfile.TemporaryDirectory() as reports:
        env = {**os.environ, **server.environment, "DEVTUNE_REPORT_DIR": reports}
        env["DEVTUNE_PROBE"] = probe
        if checkout is not None:
            env["PYTHONPATH"] = str(checkout / "src")
        seconds, code = timed(
            [sys.executable, "-m", "devtune_contract.cli", "check", "-q"],
            env,
        )
        summary = json.loads((Path(reports) / "contract-summary.json").read_text())
    scenarios = {name.split("[")[0] for name in summary["scenarios"]}
    besides_probe = summary["requests"] - summary["probe_requests"]
    checks = len(summary["checks"]) + len(scenarios)
    return seconds, code, checks, besides_probe, summary["seconds"]


def plain_round(pinned: bool = False) -> tuple[float, int]:
    """``st run`` with the key; ``pinned``: from a directory whose ``schemathesis.toml`` pins
    the path's ids to the demo project and webhook, as a user pointing it at one webhook would."""
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
    with ServerProcess() as server, tempfile.TemporaryDirectory() as where:
        env = {**os.environ, "NO_COLOR": "1"}
        key = server.environment["DEVTUNE_API_KEY"]
        cwd = ROOT
        if pinned:
            cwd = Path(where)
            ids = server.environment
            (cwd / "schemathesis.toml").write_text(
                f'[parameters]\n"path.projectId" = "{ids["DEVTUNE_PROJECT_ID"]}"\n'
                f'"path.webhookId" = "{ids["DEVTUNE_WEBHOOK_ID"]}"\n'
            )
        return timed(
            [
                st,
                "run",
                str(ROOT / "openapi.json"),
                "--url",
                server.environment["DEVTUNE_BASE_URL"],
                "-H",
                f"Authorization: Bearer {key}",
            ],
            env,
            cwd,
        )


def builtin_check_count() -> int:
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    return len([name for name in CHECKS.get_all_names() if name != "max_response_time"])


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another source tree (src/ and openapi.json, e.g. from git archive main): its suite "
        "runs in alternate rounds with this one, for a change's before and after",
    )
    args = parser.parse_args()
    suite, baseline = [], []
    for round_number in range(args.rounds):
        if args.baseline is not None and round_number % 2:  # which goes first alternates
            baseline.append(suite_round(args.baseline))
        suite.append(suite_round())
        if args.baseline is not None and not round_number % 2:
            baseline.append(suite_round(args.baseline))
    plain = [plain_round() for _ in range(args.rounds)]
    probe_off, pinned, baseline_off = [], [], []
    for _ in range(args.rounds):  # the pair: the probe off, st run with pinned ids
        probe_off.append(suite_round(probe="off"))
        pinned.append(plain_round(pinned=True))
        if args.baseline is not None:
            baseline_off.append(suite_round(args.baseline, probe="off"))
    suite_median = statistics.median(s[0] for s in suite)
    plain_median = statistics.median(p[0] for p in plain)
    print(f"hardware: {hardware_line()}")
    print(f"{args.rounds} rounds each; wall-clock medians")
    requests = max(s[3] for s in suite)
    print(
        "| run | median s | exit codes | distinct checks | requests besides the 429 probe (max) |"
    )
    print("|---|---|---|---|---|")
    print(
        f"| contract suite (`devtune-contract check`) | {suite_median:.1f} | "
        f"{sorted({s[1] for s in suite})} | {suite[0][2]} | {requests} |"
    )
    print(
        f"| plain `st run` | {plain_median:.1f} | {sorted({p[1] for p in plain})} | "
        f"{builtin_check_count()} | n/a |"
    )
    if baseline:
        baseline_median = statistics.median(b[0] for b in baseline)
        codes = sorted({b[1] for b in baseline})
        print(
            f"| contract suite, baseline `{args.baseline}` | {baseline_median:.1f} | {codes} | "
            f"{baseline[0][2]} | {max(b[3] for b in baseline)} |"
        )
        print(f"suite / baseline time ratio: {suite_median / baseline_median:.2f}")
        in_run = statistics.median(s[4] for s in suite)
        in_run_baseline = statistics.median(b[4] for b in baseline)
        print(
            f"in-run seconds (the summaries' own, no start-up), medians: suite {in_run:.1f}, "
            f"baseline {in_run_baseline:.1f}, ratio {in_run / in_run_baseline:.2f}"
        )
    print(f"suite / plain time ratio: {suite_median / plain_median:.2f}")
    off_median = statistics.median(s[0] for s in probe_off)
    pinned_median = statistics.median(p[0] for p in pinned)
    print(
        f"probe off {off_median:.2f} s (exit codes {sorted({s[1] for s in probe_off})}) / "
        f"st run with pinned ids {pinned_median:.2f} s "
        f"(exit codes {sorted({p[1] for p in pinned})}): {off_median / pinned_median:.2f}"
    )
    if baseline_off:
        baseline_off_median = statistics.median(b[0] for b in baseline_off)
        print(
            f"baseline probe off {baseline_off_median:.2f} s / st run with pinned ids: "
            f"{baseline_off_median / pinned_median:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
