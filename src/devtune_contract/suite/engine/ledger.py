"""What the run did: each check's verdicts, each scenario's outcome, and the traffic it sent."""

from __future__ import annotations

import threading
import time
from typing import Any, Literal

import attrs

from devtune_contract.suite.engine.unanswered import ANSWERED, AnswerLost, NotSent

Verdict = Literal["pass", "fail", "error", "skip", "n/a", "not run"]
# A test reports several times (its subtests, the generated requests, before the test itself,
# which then "passes"): a later verdict replaces an earlier one only when it ranks higher, so
# the first red one stays, and a skipped subtest is not hidden by the pass that follows.
RANK: dict[Verdict, int] = {"pass": 0, "n/a": 0, "skip": 1, "not run": 1, "fail": 2, "error": 2}
# A test a stopped run never got to: "not run (stopped: configuration)" in every report.
NOT_RUN: Verdict = "not run"
# What makes a run red: the server broke the contract (fail) or could not be judged (error).
RED: frozenset[Verdict] = frozenset(v for v, rank in RANK.items() if rank == max(RANK.values()))


def not_run_detail(stop: str) -> str:
    """Why a test did not run, as every report says it: ``not run (stopped: bad settings)``
    for the outcome ``bad-settings``."""
    return f"not run (stopped: {stop.replace('-', ' ')})"


@attrs.frozen
class Figure:
    """One number a run reports: its key in the summary JSON and the words every report
    (console, summary, HTML, JUnit properties, docs) shows it under."""

    key: str
    label: str


# Each figure named once; the console, the HTML report and the JUnit properties read them here.
FIGURES: tuple[Figure, ...] = (
    Figure("requests", "requests sent"),
    Figure("probe_requests", "by the 429 probe"),
    Figure("rate_limited", "429s seen"),
    Figure("rotations", "rotations caused"),
    Figure("answered", ANSWERED),
    Figure("lost_responses", AnswerLost.name),
    Figure("not_sent", NotSent.name),
)


@attrs.define
class CheckTally:
    evaluated: int = 0
    applied: int = 0
    failed: int = 0
    first_failure: str | None = None

    @property
    def verdict(self) -> Verdict:
        if self.failed:
            return "fail"
        if self.applied:
            return "pass"
        return "n/a" if self.evaluated else "skip"


@attrs.frozen
class FailureRecord:
    """One failed test as a person reads it, every field already masked.

    ``request`` is the ``curl`` and ``response`` the status, headers and body the JUnit shows;
    both ``None`` when the failure had no response (a lost connection, a setup error), and then
    ``details`` holds the failure's text.
    """

    test: str
    headline: str
    request: str | None = None
    response: str | None = None
    details: str | None = None


@attrs.define
class Ledger:
    """Thread-safe counters; every value shown from here is already redacted."""

    seed: int
    started: float = attrs.field(factory=time.monotonic)
    timestamp: str = attrs.field(factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    requests: int = 0
    probe_requests: int = 0
    rate_limited: int = 0
    rotations: int = 0
    lost: int = 0
    not_sent: int = 0
    checks: dict[str, CheckTally] = attrs.field(factory=dict)
    scenarios: dict[str, tuple[Verdict, str]] = attrs.field(factory=dict)
    failures: list[FailureRecord] = attrs.field(factory=list)
    # What the run noticed beyond verdicts (another client spending the key), one line each.
    remarks: list[str] = attrs.field(factory=list)
    # What a SHOULD of an RFC asks and an answer did not do: reported, never failed (count each).
    warnings: dict[str, int] = attrs.field(factory=dict)
    # The scopes of each test's requests (engine/scopes.py): what judged its answers.
    scopes: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    # What a person must read first, above every verdict (the server died mid-run).
    headline: str | None = None
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def count_response(self, status: int | None, *, could_rotate: bool, probe: bool) -> None:
        """One request sent; ``status`` ``None`` when its response was lost."""
        with self._lock:
            self.requests += 1
            self.probe_requests += probe
            self.rate_limited += status == 429
            self.rotations += could_rotate and status == 200
            self.lost += status is None

    def count_not_sent(self) -> None:
        """One attempt that never reached the server: not a request the server saw."""
        with self._lock:
            self.not_sent += 1

    def record_check(self, name: str, failure: str | None, *, applied: bool) -> None:
        with self._lock:
            tally = self.checks.setdefault(name, CheckTally())
            tally.evaluated += 1
            tally.applied += applied or failure is not None
            if failure is not None:
                tally.failed += 1
                tally.first_failure = tally.first_failure or failure

    def record_scenario(self, name: str, verdict: Verdict, detail: str = "") -> None:
        """A test's verdict, unless an earlier one of the same test ranks as high (:data:`RANK`)."""
        with self._lock:
            earlier = self.scenarios.get(name)
            if earlier is None or RANK[verdict] > RANK[earlier[0]]:
                self.scenarios[name] = (verdict, detail)

    def record_warning(self, text: str) -> None:
        with self._lock:
            self.warnings[text] = self.warnings.get(text, 0) + 1

    def record_scopes(self, name: str, scopes: set[str]) -> None:
        with self._lock:
            self.scopes[name] = tuple(sorted({*self.scopes.get(name, ()), *scopes}))

    def record_failure(self, failure: FailureRecord) -> None:
        with self._lock:
            self.failures.append(failure)

    def outcomes(self) -> dict[str, int]:
        """Requests by transport outcome, under the names every report uses."""
        return {
            ANSWERED: self.requests - self.lost,
            AnswerLost.name: self.lost,
            NotSent.name: self.not_sent,
        }

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def as_dict(
        self, target: str, outcome: str, exit_code: int, reason: str | None = None
    ) -> dict[str, Any]:
        return {
            "outcome": outcome,
            "exit_code": exit_code,
            **({} if reason is None else {"reason": reason}),
            **({} if self.headline is None else {"headline": self.headline}),
            "target": target,
            "seed": self.seed,
            "timestamp": self.timestamp,
            "requests": self.requests,
            "probe_requests": self.probe_requests,
            "rate_limited": self.rate_limited,
            "rotations": self.rotations,
            "answered": self.requests - self.lost,
            "lost_responses": self.lost,
            "not_sent": self.not_sent,
            "outcomes": self.outcomes(),
            "seconds": round(self.elapsed, 2),
            "remarks": list(self.remarks),
            "warnings": [_counted(text, count) for text, count in self.warnings.items()],
            "checks": {
                name: {
                    "verdict": tally.verdict,
                    "evaluated": tally.evaluated,
                    "applied": tally.applied,
                    "failed": tally.failed,
                    "first_failure": tally.first_failure,
                }
                for name, tally in sorted(self.checks.items())
            },
            "scenarios": {
                name: {
                    "verdict": verdict,
                    "detail": detail,
                    "scopes": list(self.scopes.get(name, ())),
                }
                for name, (verdict, detail) in sorted(self.scenarios.items())
            },
            "failures": [attrs.asdict(failure) for failure in self.failures],
        }


def _counted(text: str, count: int) -> str:
    return text if count == 1 else f"{text} ({count} responses)"
