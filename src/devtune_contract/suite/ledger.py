"""What the run did: each check's verdicts, each scenario's outcome, and the traffic it sent."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any, Literal

import attrs

Verdict = Literal["pass", "fail", "skip"]


@attrs.define
class CheckTally:
    evaluated: int = 0
    failed: int = 0
    first_failure: str | None = None

    @property
    def verdict(self) -> Verdict:
        if self.failed:
            return "fail"
        return "pass" if self.evaluated else "skip"


@attrs.define
class Ledger:
    """Thread-safe counters; every value shown from here is already redacted."""

    started: float = attrs.field(factory=time.monotonic)
    requests: int = 0
    rate_limited: int = 0
    rotations: int = 0
    checks: dict[str, CheckTally] = attrs.field(factory=dict)
    scenarios: dict[str, tuple[Verdict, str]] = attrs.field(factory=dict)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def count_response(self, status: int, method: str) -> None:
        with self._lock:
            self.requests += 1
            self.rate_limited += status == 429
            self.rotations += status == 200 and method.upper() == "POST"

    def record_check(self, name: str, failure: str | None) -> None:
        with self._lock:
            tally = self.checks.setdefault(name, CheckTally())
            tally.evaluated += 1
            if failure is not None:
                tally.failed += 1
                tally.first_failure = tally.first_failure or failure

    def record_scenario(self, name: str, verdict: Verdict, detail: str = "") -> None:
        with self._lock:
            self.scenarios[name] = (verdict, detail)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def as_dict(self, target: str) -> dict[str, Any]:
        return {
            "target": target,
            "requests": self.requests,
            "rate_limited": self.rate_limited,
            "rotations": self.rotations,
            "seconds": round(self.elapsed, 2),
            "checks": {
                name: {
                    "verdict": tally.verdict,
                    "evaluated": tally.evaluated,
                    "failed": tally.failed,
                    "first_failure": tally.first_failure,
                }
                for name, tally in sorted(self.checks.items())
            },
            "scenarios": {
                name: {"verdict": verdict, "detail": detail}
                for name, (verdict, detail) in sorted(self.scenarios.items())
            },
        }

    def write_json(self, path: Path, target: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_dict(target), indent=2) + "\n")

    def summary_lines(self, target: str) -> list[str]:
        lines = [f"DevTune contract summary for {target}"]
        for name, tally in sorted(self.checks.items()):
            detail = f"{tally.evaluated} responses"
            if tally.failed:
                detail = f"{tally.failed} of {detail}: {tally.first_failure}"
            lines.append(f"  {tally.verdict.upper():4}  check {name:32} {detail}")
        for name, (verdict, detail) in sorted(self.scenarios.items()):
            lines.append(f"  {verdict.upper():4}  test  {name:32} {detail}".rstrip())
        lines.append(
            f"  requests sent: {self.requests} · 429s seen: {self.rate_limited} · "
            f"rotations caused: {self.rotations} · time: {self.elapsed:.1f} s"
        )
        return lines
