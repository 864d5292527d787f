"""What ``devtune-contract check`` exits with: each code, its outcome name and meaning, once.

The summary's ``outcome``, the JUnit's error type, ``check --help`` and the table in
``docs/qa.md`` all read :data:`EXIT_CODES`. The module imports nothing heavy, so that
``check --help`` can print it without importing pytest; pytest's own codes (2 to 5) are
therefore written as numbers here, and a test holds them against ``pytest.ExitCode``.
"""

from __future__ import annotations

import enum

import attrs


class ExitCode(enum.IntEnum):
    """The suite's own exit statuses; 2-5 are pytest's (see :data:`EXIT_CODES`)."""

    PASSED = 0
    CONTRACT_FAILED = 1
    BAD_SETTINGS = 6
    CONFIGURATION = 7
    UNREACHABLE = 8
    RATE_LIMITED = 9  # a 429 asked for a longer wait than DEVTUNE_MAX_RESET_WAIT, or came back


@attrs.frozen
class Outcome:
    """One exit code: the word reports use for it and what it tells the person reading."""

    code: int
    name: str
    meaning: str


EXIT_CODES: tuple[Outcome, ...] = (
    Outcome(ExitCode.PASSED, "passed", "every check held"),
    Outcome(
        ExitCode.CONTRACT_FAILED,
        "contract-failed",
        "a contract failure: the server breaks the contract (or a request got no answer, or "
        "DEVTUNE_DEADLINE passed)",
    ),
    Outcome(2, "interrupted", "pytest's own: the run was interrupted (Ctrl-C, SIGINT or SIGTERM)"),
    Outcome(3, "internal-error", "pytest's own: an internal error"),
    Outcome(4, "usage-error", "pytest's own: bad pytest arguments"),
    Outcome(5, "no-tests", "pytest's own: no tests selected (a -k that matches nothing)"),
    Outcome(
        ExitCode.BAD_SETTINGS,
        "bad-settings",
        "bad settings (a DEVTUNE_* value or an --env-file is missing or malformed, or a key "
        "was given as a flag); nothing was sent",
    ),
    Outcome(
        ExitCode.CONFIGURATION,
        "configuration",
        "configuration: the preflight found no API at the base URL, a refused key or a key "
        "that cannot reach the project (nothing spent quota), or the first rotation found no "
        "DEVTUNE_WEBHOOK_ID in the project (404)",
    ),
    Outcome(
        ExitCode.UNREACHABLE,
        "unreachable",
        "unreachable: DNS, refused connection, timeout, TLS or proxy failure before the tests",
    ),
    Outcome(
        ExitCode.RATE_LIMITED,
        "rate-limited",
        "rate limited beyond DEVTUNE_MAX_RESET_WAIT, or after every wait for the reset: "
        "the quota is spent",
    ),
)
OUTCOMES: dict[int, str] = {outcome.code: outcome.name for outcome in EXIT_CODES}
# The exit code of each way the run can stop on a setting or a quota before judging the server
# (the preflight's :data:`~devtune_contract.suite.engine.preflight.StopKind`).
STOP_CODES: dict[str, ExitCode] = {
    "configuration": ExitCode.CONFIGURATION,
    "unreachable": ExitCode.UNREACHABLE,
    "rate-limited": ExitCode.RATE_LIMITED,
}
