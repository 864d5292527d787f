"""``contract-report.html``: the run's summary as a page a person reads and attaches to a ticket.

A pure rendering of the summary dictionary (the same one ``contract-summary.json`` holds), so
the page can never say something the JSON does not. Everything in the summary is already
masked by the run's redactor; what the server sent (headlines, response bodies) is still
hostile text, so the template is rendered by Jinja2 with autoescaping on: a body holding
``<script>`` or ``</pre>`` shows as text. The page has no script and loads nothing: inline CSS
and a Content-Security-Policy that forbids everything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from typing import Any, Literal

import attrs
import jinja2

from devtune_contract.suite.engine.ledger import FIGURES, FailureRecord
from devtune_contract.suite.reports.exit_codes import EXIT_CODES

TEMPLATE = "report.html.jinja"

RunVerdict = Literal["pass", "fail", "stopped"]


@attrs.frozen
class _Verdict:
    word: str
    colour: Literal["pass", "fail"]
    explanation: str


@attrs.frozen
class _Row:
    """One check or test: its verdict as shown, and the CSS class that colours it."""

    name: str
    word: str
    css: str
    detail: str = ""
    evaluated: int = 0
    applied: int = 0
    failed: int = 0
    first_failure: str | None = None
    scopes: tuple[str, ...] = ()  # a test's: what judged its requests (engine/scopes.py)


def verdict(summary: Mapping[str, Any]) -> _Verdict:
    """The run's verdict as every report states it first: the console, this page."""
    run: RunVerdict = summary.get("verdict", "stopped")
    code = summary.get("exit_code")
    headline = summary.get("headline")
    if run == "pass":
        return _Verdict("PASS", "pass", "The server kept the contract in every check and test.")
    if run == "fail":
        if headline is not None:  # what broke everything after it: it comes before any count
            return _Verdict("FAIL", "fail", headline)
        failing = sum(1 for s in summary.get("scenarios", {}).values() if s["verdict"] == "fail")
        return _Verdict(
            "FAIL", "fail", f"The server broke the contract: {failing} failing test(s)."
        )
    outcome = summary.get("outcome", "error")
    meaning = next((o.meaning for o in EXIT_CODES if o.code == code), "an unknown stop")
    reason = summary.get("reason")
    why = f": {reason}" if reason else ""
    return _Verdict(
        f"STOPPED: {outcome}",
        "fail",
        f"The run stopped without a verdict on the server (exit code {code}: {meaning}){why}. "
        "Every test it did not get to is not run; what it judged before stopping is below.",
    )


def _css(verdict: str) -> str:
    return {"n/a": "na", "not run": "notrun"}.get(verdict, verdict)


def _failing_first(rows: list[_Row]) -> list[_Row]:
    """Failures first (they are what the reader came for), alphabetical within each group."""
    return sorted(sorted(rows, key=lambda row: row.name), key=lambda row: row.css != "fail")


def _checks(summary: Mapping[str, Any]) -> list[_Row]:
    return _failing_first(
        [
            _Row(
                name=name,
                word=check["verdict"].upper(),
                css=_css(check["verdict"]),
                evaluated=check.get("evaluated", 0),
                applied=check.get("applied", 0),
                failed=check.get("failed", 0),
                first_failure=check.get("first_failure"),
            )
            for name, check in summary.get("checks", {}).items()
        ]
    )


def _tests(summary: Mapping[str, Any]) -> list[_Row]:
    return _failing_first(
        [
            _Row(
                name,
                test["verdict"].upper(),
                _css(test["verdict"]),
                test.get("detail", ""),
                scopes=tuple(test.get("scopes", ())),
            )
            for name, test in summary.get("scenarios", {}).items()
        ]
    )


def _failures(summary: Mapping[str, Any]) -> list[FailureRecord]:
    return [FailureRecord(**failure) for failure in summary.get("failures", [])]


def _template() -> jinja2.Template:
    # Shipped inside the package: importlib.resources finds it in a checkout, a wheel or a zip.
    source = resources.files(__package__ or "devtune_contract.suite") / "templates" / TEMPLATE
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return environment.from_string(source.read_text(encoding="utf-8"))


def render(summary: Mapping[str, Any]) -> str:
    """The page for ``summary``: the verdict, the run's facts, every check, test and failure."""
    figures = [(figure.label, summary.get(figure.key, 0)) for figure in FIGURES]
    return _template().render(
        verdict=verdict(summary),
        reason=summary.get("reason"),
        remarks=summary.get("remarks", []),
        warnings=summary.get("warnings", []),
        target=summary.get("target"),
        seed=summary.get("seed"),
        timestamp=summary.get("timestamp", ""),
        seconds=summary.get("seconds"),
        figures=figures,
        checks=_checks(summary),
        tests=_tests(summary),
        failures=_failures(summary),
    )
