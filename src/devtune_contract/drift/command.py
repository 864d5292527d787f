"""``devtune-contract drift UPSTREAM``: the command line of the drift report."""

from __future__ import annotations

import argparse
import sys

from devtune_contract.drift.formats import (
    BAD_INPUT_EXIT_CODE,
    ERROR_FORMATS,
    FORMATS,
    INTERNAL_ERROR_EXIT_CODE,
    RULE_FORMATS,
)
from devtune_contract.drift.model import DriftError, Gate, Level, RuleError
from devtune_contract.drift.operations import compare
from devtune_contract.drift.rules import TABLE
from devtune_contract.spec import contract_path, load_document

FAIL_ON = {"breaking": Level.BREAKING, "warning": Level.WARNING}
PROG = "devtune-contract drift"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "upstream", nargs="?", help="URL or file of the newer document (JSON or YAML)"
    )
    parser.add_argument(
        "--base", help="the pinned contract (default: the openapi.json this package ships)"
    )
    parser.add_argument(
        "--format",
        choices=sorted(FORMATS),
        default="text",
        help="of the report (default: text); --list-rules prints text, json or markdown",
    )
    parser.add_argument(
        "--fail-on",
        choices=sorted(FAIL_ON),
        default="breaking",
        help="the lowest level that exits 1 (default: breaking)",
    )
    parser.add_argument(
        "--allow-unclassified",
        action="store_true",
        help="changes no rule explains do not fail the run (they are still reported; "
        "default: off, they fail it)",
    )
    parser.add_argument(
        "--list-rules",
        action="store_true",
        help="print the rules (id, level, direction, description) as text, json or markdown, "
        "instead of a report (default: off)",
    )


def fail(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return BAD_INPUT_EXIT_CODE


def list_rules(args: argparse.Namespace) -> int:
    if args.format not in RULE_FORMATS:
        return fail(f"--list-rules prints {', '.join(RULE_FORMATS)}, not {args.format}")
    print(RULE_FORMATS[args.format](TABLE))
    return 0


def run(args: argparse.Namespace) -> int:
    """Print the report; 0 nothing fails, 1 something fails the gate, 2 bad input, 3 a rule
    failed (each of the last two one line on stderr)."""
    if args.list_rules:
        return list_rules(args)
    if args.upstream is None:
        return fail("UPSTREAM is required (a URL or a file), unless --list-rules")
    gate = Gate(FAIL_ON[args.fail_on], args.allow_unclassified)
    try:
        base = load_document(args.base or str(contract_path()))
        report = compare(base, load_document(args.upstream))
    except DriftError as error:
        return could_not_compare(args.format, str(error), BAD_INPUT_EXIT_CODE)
    except RuleError as error:
        return could_not_compare(args.format, str(error), INTERNAL_ERROR_EXIT_CODE)
    print(FORMATS[args.format](report, gate))
    return gate.exit_code(report)


def could_not_compare(fmt: str, message: str, exit_code: int) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    if fmt in ERROR_FORMATS:
        print(ERROR_FORMATS[fmt](message, exit_code))
    return exit_code
