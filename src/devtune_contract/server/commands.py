"""``devtune-contract serve`` and ``seed``: the reference server's two commands.

Kept apart from the command line's parser so that ``drift`` and ``check`` start without
importing the server stack (uvicorn, uvloop, the app).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import uvicorn

from devtune_contract.credentials import ALL_SCOPES
from devtune_contract.errors import CommandError
from devtune_contract.masking import mask
from devtune_contract.server import (
    API_PREFIX,
    ConnectionLimits,
    Policy,
    ServerConfig,
    Store,
    as_environment,
    create_app,
    seed_demo,
    server_config,
    settle_heap,
)
from devtune_contract.settings import BY_VARIABLE


def parse_scopes(text: str) -> frozenset[str] | None:
    if text == "all":
        return None
    scopes = frozenset(s.strip() for s in text.split(",") if s.strip())
    unknown = scopes - ALL_SCOPES
    if unknown or not scopes:
        raise CommandError(
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


def refuse_to_replace(env_file: Path | None, force: bool) -> None:
    """An existing ``--env-file`` holds someone's credentials: replaced only with ``--force``,
    checked before anything starts or is seeded."""
    if env_file is not None and env_file.exists() and not force:
        raise CommandError(f"{env_file} exists: pass --force to replace its credentials")


def announce(credentials: dict[str, str], env_file: Path | None) -> None:
    """Print credentials as shell lines, or write them to ``env_file`` and print them masked."""
    if env_file is not None:
        write_env_file(env_file, credentials)
        print(f"credentials written to {env_file} (mode 600):")
    for name, value in credentials.items():
        shown = mask(value) if env_file is not None and BY_VARIABLE[name].secret else value
        print(f"  {name}={shown}")


def serve(args: argparse.Namespace) -> int:
    refuse_to_replace(args.env_file, args.force)
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
        announce(demo.environment(base_url), args.env_file)
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
    refuse_to_replace(args.env_file, args.force)
    store = Store.open(args.db)
    project_id = args.project or store.create_project(args.name)
    if not store.has_project(project_id):
        raise CommandError(f"no project {project_id} in {args.db}")
    webhook_id = store.create_webhook(project_id)
    issued = store.create_api_key(project_id, parse_scopes(args.scopes))
    issued_settings = {"project_id": project_id, "webhook_id": webhook_id, "api_key": issued.key}
    announce(as_environment(issued_settings), args.env_file)
    return 0
