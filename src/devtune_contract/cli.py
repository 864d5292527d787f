"""``devtune-contract``: run the reference server or seed its database.

devtune-contract serve --port 8000 --db state.sqlite
devtune-contract seed --db state.sqlite --scopes webhooks.read
devtune-contract check [-k rotation ...]
devtune-contract drift https://docs.example.com/openapi.json --format github
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from devtune_contract.credentials import ALL_SCOPES
from devtune_contract.drift import command as drift_command
from devtune_contract.masking import mask
from devtune_contract.server import (
    API_PREFIX,
    ConnectionLimits,
    Policy,
    ServerConfig,
    Store,
    StoreError,
    create_app,
    seed_demo,
    server_config,
    settle_heap,
)


class UsageError(Exception):
    """Bad input, reported as one line."""


def parse_scopes(text: str) -> frozenset[str] | None:
    if text == "all":
        return None
    scopes = frozenset(s.strip() for s in text.split(",") if s.strip())
    unknown = scopes - ALL_SCOPES
    if unknown or not scopes:
        raise UsageError(
            f"unknown scopes {sorted(unknown)}; known: {', '.join(sorted(ALL_SCOPES))}"
        )
    return scopes


def write_env_file(path: Path, lines: dict[str, str]) -> None:
    """Write ``lines`` to a file only its owner can read, whatever the umask or the mode of a
    file already there (which is truncated, and re-moded before anything is written)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w") as env_file:
        os.fchmod(descriptor, 0o600)
        env_file.write("".join(f"{name}={value}\n" for name, value in lines.items()))


def announce(credentials: dict[str, str], env_file: Path | None) -> None:
    """Print credentials as shell lines, or write them to ``env_file`` and print them masked."""
    if env_file is not None:
        write_env_file(env_file, credentials)
        print(f"credentials written to {env_file} (mode 600):")
    for name, value in credentials.items():
        shown = mask(value) if env_file is not None and name.endswith("API_KEY") else value
        print(f"  {name}={shown}")


def serve(args: argparse.Namespace) -> int:
    if args.db is None:
        scratch = tempfile.mkdtemp(prefix="devtune-reference-")
        db_path = Path(scratch) / "state.sqlite"
    else:
        db_path = args.db
    state = "existing" if db_path.exists() else "new"
    store = Store.open(db_path)
    base_url = f"http://{args.host}:{args.port}{API_PREFIX}"
    print(f"DevTune reference server on {base_url} ({state} database {db_path})")
    if store.has_projects():
        print("the database already holds data; create keys with `devtune-contract seed`")
    else:
        demo = seed_demo(store)
        credentials = {
            "DEVTUNE_BASE_URL": base_url,
            "DEVTUNE_PROJECT_ID": demo.project_id,
            "DEVTUNE_WEBHOOK_ID": demo.webhook_id,
            "DEVTUNE_API_KEY": demo.write_key,
            "DEVTUNE_READONLY_API_KEY": demo.read_only_key,
            # Another project and its webhook, disposable: the suite's BOLA tests aim at them.
            "DEVTUNE_FOREIGN_PROJECT_ID": demo.foreign_project_id,
            "DEVTUNE_FOREIGN_WEBHOOK_ID": demo.foreign_webhook_id,
        }
        announce(credentials, args.env_file)
    config = ServerConfig(
        rate_limit=args.rate_limit,
        rate_window=args.window,
        secret_format=args.secret_format,
        rate_limit_headers=args.rate_limit_headers,
    )
    limits = ConnectionLimits(max_connections=args.max_connections)
    app = create_app(Policy(store, config))
    sys.stdout.flush()
    options = {"host": args.host, "port": args.port, "log_level": "info"}
    server = uvicorn.Server(server_config(app, limits, access_log=args.access_log, **options))
    settle_heap()
    server.run()
    return 0


def seed(args: argparse.Namespace) -> int:
    store = Store.open(args.db)
    project_id = args.project or store.create_project(args.name)
    if not store.has_project(project_id):
        raise UsageError(f"no project {project_id} in {args.db}")
    webhook_id = store.create_webhook(project_id)
    issued = store.create_api_key(project_id, parse_scopes(args.scopes))
    announce(
        {
            "DEVTUNE_PROJECT_ID": project_id,
            "DEVTUNE_WEBHOOK_ID": webhook_id,
            "DEVTUNE_API_KEY": issued.key,
        },
        args.env_file,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="devtune-contract", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("serve", help="run the reference server")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--db", type=Path, help="SQLite file (default: a fresh temporary one)")
    run.add_argument("--rate-limit", type=int, default=100, help="requests per window and key")
    run.add_argument("--window", type=float, default=60.0, help="rate-limit window in seconds")
    run.add_argument("--secret-format", choices=["hex", "whsec"], default="hex")
    run.add_argument("--rate-limit-headers", choices=["always", "on_429"], default="always")
    run.add_argument("--env-file", type=Path, help="write the demo credentials here, not stdout")
    run.add_argument("--access-log", action="store_true", help="log one short line per request")
    run.add_argument(
        "--max-connections", type=int, default=1000, help="open connections before 503"
    )
    run.set_defaults(handler=serve)

    add = commands.add_parser("seed", help="create a webhook and an API key")
    add.add_argument("--db", type=Path, required=True)
    add.add_argument("--project", help="existing project id (default: a new project)")
    add.add_argument("--name", default="seeded", help="name of a new project")
    add.add_argument("--scopes", default="all", help="comma-separated scopes, or 'all'")
    add.add_argument("--env-file", type=Path, help="write the credentials here, not stdout")
    add.set_defaults(handler=seed)

    suite = commands.add_parser(
        "check",
        help="run the contract suite against DEVTUNE_BASE_URL (or the embedded server); "
        "arguments after `check` go to pytest",
    )
    suite.set_defaults(handler=lambda args: check([]))

    drift = commands.add_parser("drift", help="what changed upstream, and does it break clients")
    drift_command.add_arguments(drift)
    drift.set_defaults(handler=drift_command.run)
    return parser


def check(pytest_args: Sequence[str]) -> int:
    """``devtune-contract check [PYTEST ARGS]``: the contract suite (needs the suite extra)."""
    try:
        from devtune_contract.suite.runner import check as run_suite
    except ImportError as error:
        print(
            "devtune-contract: check needs the suite extra "
            f'(pip install "devtune-contract[suite]"): {error}',
            file=sys.stderr,
        )
        return 2
    try:
        return run_suite(pytest_args)
    except KeyboardInterrupt:
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["check"]:  # everything after `check` belongs to pytest, untouched
        return check(arguments[1:])
    args = build_parser().parse_args(argv)
    try:
        result: int = args.handler(args)
    except (UsageError, StoreError, OSError) as error:
        print(f"devtune-contract: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())
