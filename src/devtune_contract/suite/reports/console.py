"""The run's summary as console lines: the verdict first, then every check, test and figure.

A rendering of the same summary dictionary ``contract-summary.json`` and the HTML report hold,
so the console says what they say, in the same words (:data:`~devtune_contract.suite.engine.
ledger.FIGURES`, :func:`~devtune_contract.suite.reports.html.verdict`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from devtune_contract.suite.engine.ledger import FIGURES
from devtune_contract.suite.reports.files import STOP_CASE
from devtune_contract.suite.reports.html import verdict

WIDTH = 32


def lines(summary: Mapping[str, Any], *, said: bool = False) -> list[str]:
    """What the console prints at the end of a run, every value already masked.

    ``said``: the run stopped before its tests and its one line already said why (on stderr):
    the verdict names the stop without repeating it, and the stop's own row is left out.
    """
    target = summary.get("target") or "(not reached)"
    seed = summary.get("seed")
    seeded = "" if seed is None else f" (DEVTUNE_SEED={seed})"
    shown = verdict(summary)
    explanation = shown.explanation
    if said:
        explanation = (
            f"exit code {summary.get('exit_code')}, for the reason above; "
            "every test it did not get to is not run"
        )
    lines = [
        f"DevTune contract summary for {target}{seeded}",
        f"  {shown.word}: {explanation}",
    ]
    for name, check in summary.get("checks", {}).items():
        detail = f"{check['applied']} of {check['evaluated']} responses applied"
        if check["failed"]:
            failed = f"{check['failed']} of {check['evaluated']} responses"
            detail = f"{failed}: {check['first_failure']}"
        lines.append(f"  {check['verdict'].upper():5} check {name:{WIDTH}} {detail}")
    for name, test in summary.get("scenarios", {}).items():
        if said and name == STOP_CASE:
            continue  # the line above said it
        line = f"  {test['verdict'].upper():5} test  {name:{WIDTH}} {test.get('detail', '')}"
        lines.append(line.rstrip())
    reason = summary.get("reason")
    if reason and shown.word in ("PASS", "FAIL"):  # stopped early, still judged (the deadline)
        lines.append(f"  stopped: {reason}")
    lines += [f"  {remark}" for remark in summary.get("remarks", [])]
    lines += [f"  warning: {warning}" for warning in summary.get("warnings", [])]
    figures = [f"{figure.label}: {summary.get(figure.key, 0)}" for figure in FIGURES]
    seconds = summary.get("seconds")
    if seconds is not None:
        figures.append(f"time: {seconds:.1f} s")
    lines.append("  " + " · ".join(figures))
    return lines
