"""``devtune-contract``: the reference server, its seeding, the contract suite and drift.

devtune-contract serve --port 8000 --db state.sqlite
devtune-contract seed --db state.sqlite --scopes webhooks.read
devtune-contract check [--env-file demo.env] [-k rotation ...]
devtune-contract drift https://docs.example.com/openapi.json --format github

Each command imports only what it needs: ``check --help`` answers without importing pytest,
the server or the drift report.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from devtune_contract.errors import CommandError

DESCRIPTION = (
    "The DevTune contract kit: a reference server of DevTune's webhook API, the contract suite "
    "that checks a server against the published contract, and the upstream drift report."
)
DISTRIBUTION = "devtune-contract"


def serve(args: argparse.Namespace) -> int:
    from devtune_contract.server.commands import serve as run_server

    return run_server(args)


def seed(args: argparse.Namespace) -> int:
    from devtune_contract.server.commands import seed as add_credentials

    return add_credentials(args)


def version() -> str:
    from importlib import metadata  # not at the top: it costs check --help a tenth of its time

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    from devtune_contract.drift import command as drift_command

    parser = argparse.ArgumentParser(prog="devtune-contract", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    commands = parser.add_subparsers(
        dest="command", required=True, title="commands", metavar="COMMAND"
    )

    run = commands.add_parser("serve", help="run the reference server, with demo credentials")
    run.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    run.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    run.add_argument("--db", type=Path, help="SQLite file (default: a fresh temporary one)")
    run.add_argument(
        "--rate-limit",
        type=int,
        default=100,
        help="requests per window and key (default: %(default)s)",
    )
    run.add_argument(
        "--window",
        type=float,
        default=60.0,
        help="rate-limit window in seconds (default: %(default)g)",
    )
    run.add_argument(
        "--secret-format",
        choices=["hex", "whsec"],
        default="hex",
        help="new secrets as 64 hex digits, or Standard Webhooks' whsec_ and base64 "
        "(default: %(default)s)",
    )
    run.add_argument(
        "--rate-limit-headers",
        choices=["always", "on_429"],
        default="always",
        help="send X-RateLimit-* on every authenticated answer, or only on 429 "
        "(default: %(default)s)",
    )
    run.add_argument(
        "--env-file",
        type=Path,
        help="write the demo credentials here (mode 600), not stdout (default: stdout)",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="replace an existing --env-file (default: refuse, in one line)",
    )
    run.add_argument(
        "--access-log",
        action="store_true",
        help="log one short line per request (default: off)",
    )
    run.add_argument(
        "--max-connections",
        type=int,
        default=1000,
        help="open connections before new ones get 503 (default: %(default)s)",
    )
    run.set_defaults(handler=serve)

    add = commands.add_parser(
        "seed", help="add a webhook and an API key to a reference server's database"
    )
    add.add_argument(
        "--db", type=Path, required=True, help="the reference server's SQLite file (required)"
    )
    add.add_argument("--project", help="existing project id (default: a new project)")
    add.add_argument(
        "--name", default="seeded", help="name of a new project (default: %(default)s)"
    )
    add.add_argument(
        "--scopes",
        default="all",
        help="comma-separated scopes of the new key, or 'all' (default: %(default)s)",
    )
    add.add_argument(
        "--env-file",
        type=Path,
        help="write the credentials here (mode 600), not stdout (default: stdout)",
    )
    add.add_argument(
        "--force",
        action="store_true",
        help="replace an existing --env-file (default: refuse, in one line)",
    )
    add.set_defaults(handler=seed)

    suite = commands.add_parser(
        "check",
        help="run the contract suite against a server (see check --help)",
    )
    suite.set_defaults(handler=lambda args: check([]))

    drift = commands.add_parser(
        "drift", help="report upstream changes to the contract and what they break"
    )
    drift_command.add_arguments(drift)
    drift.set_defaults(handler=drift_command.run)
    return parser


def check(arguments: Sequence[str]) -> int:
    """``devtune-contract check [OPTIONS] [PYTEST ARGS]``: the contract suite (its extra)."""
    from devtune_contract.check_command import PROG, parse, usage

    request = parse(arguments, os.environ)
    if request.show_help:
        sys.stdout.write(usage())
        return 0
    for warning in request.warnings:
        print(f"{PROG}: warning: {warning}", file=sys.stderr)
    try:
        from devtune_contract.suite.adapter.runner import check as run_suite
    except ImportError as error:
        print(
            "devtune-contract: check needs the suite extra "
            f'(pip install "devtune-contract[suite]"): {error}',
            file=sys.stderr,
        )
        return 2
    try:
        return run_suite(request.pytest_args, request.sources, pytest_output=request.pytest_output)
    except KeyboardInterrupt:
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["check"]:  # the suite's own options, and pytest's (check --help)
        return check(arguments[1:])
    args = build_parser().parse_args(argv)
    try:
        result: int = args.handler(args)
    except (CommandError, OSError) as error:
        print(f"devtune-contract: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())
