"""``devtune-contract drift UPSTREAM``: the command line of the drift report."""

from __future__ import annotations

import argparse
import sys

from devtune_contract.drift.formats import BAD_INPUT_EXIT_CODE, ERROR_FORMATS, FORMATS
from devtune_contract.drift.load import load_document, pinned_contract
from devtune_contract.drift.model import DriftError, Gate, Level
from devtune_contract.drift.operations import compare

FAIL_ON = {"breaking": Level.BREAKING, "warning": Level.WARNING}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("upstream", help="URL or file of the newer document (JSON or YAML)")
    parser.add_argument(
        "--base", help="the pinned contract (default: the openapi.json this package ships)"
    )
    parser.add_argument("--format", choices=sorted(FORMATS), default="text")
    parser.add_argument(
        "--fail-on",
        choices=sorted(FAIL_ON),
        default="breaking",
        help="the lowest level that exits 1 (default: breaking)",
    )
    parser.add_argument(
        "--allow-unclassified",
        action="store_true",
        help="changes no rule explains do not fail the run (they are still reported)",
    )


def run(args: argparse.Namespace) -> int:
    """Print the report; 0 nothing fails, 1 something fails the gate, 2 bad input (one line)."""
    gate = Gate(FAIL_ON[args.fail_on], args.allow_unclassified)
    try:
        base = load_document(args.base or str(pinned_contract()))
        report = compare(base, load_document(args.upstream))
    except DriftError as error:
        print(f"devtune-contract drift: {error}", file=sys.stderr)
        if args.format in ERROR_FORMATS:
            print(ERROR_FORMATS[args.format](str(error)))
        return BAD_INPUT_EXIT_CODE
    print(FORMATS[args.format](report, gate))
    return gate.exit_code(report)
