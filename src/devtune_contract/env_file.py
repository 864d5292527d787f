"""Env files: the ``KEY=value`` lines ``devtune-contract serve --env-file`` writes, read back.

The format is that of a ``.env`` file, so one written by hand works too: one assignment a line,
optionally after ``export``; blank lines and ``#`` comments; a value bare (a `` #`` starts a
comment), in single quotes (taken literally) or in double quotes (``\\"``, ``\\\\``, ``\\$``,
``\\n`` and ``\\t`` are escapes). Nothing is expanded: ``$HOME`` stays ``$HOME``.

The file holds keys, so errors name the file and the line number, never the line's text, and a
file that others can read is read with a warning rather than refused: the user learns of it
without losing the run.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import attrs

from devtune_contract.settings import SettingsError

ASSIGNMENT = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)")
ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "$": "$", "`": "`"}
BARE_COMMENT = re.compile(r"\s#")
MAX_BYTES = 1024 * 1024  # far above any settings file; bounds a mistaken --env-file /dev/zero
OWNER_ONLY = 0o600


class EnvFileError(SettingsError):
    """The file cannot be read, or one of its lines is not an assignment."""


@attrs.frozen
class EnvFile:
    """What a file assigns, in file order (a name assigned twice keeps its last value)."""

    path: Path
    values: dict[str, str]
    warnings: tuple[str, ...] = ()


def read_env_file(path: Path) -> EnvFile:
    """The assignments in ``path``; :class:`EnvFileError` (one line) if it cannot be used."""
    text, mode = _read(path)
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = ASSIGNMENT.fullmatch(stripped)
        if match is None:
            raise EnvFileError(f"{path} line {number}: expected KEY=value")
        try:
            values[match.group(1)] = parse_value(match.group(2))
        except ValueError as error:
            raise EnvFileError(f"{path} line {number}: {error}") from None
    warnings: tuple[str, ...] = ()
    if stat.S_ISREG(mode) and mode & (stat.S_IRGRP | stat.S_IROTH):
        warnings = (
            f"{path} is readable by others (mode {stat.S_IMODE(mode):o}), keys and all: "
            f"chmod {OWNER_ONLY:o} {path}",
        )
    return EnvFile(path, values, warnings)


def parse_value(text: str) -> str:
    """One assignment's right-hand side as a ``.env`` file means it; ValueError says why not."""
    if text.startswith("'"):
        end = text.find("'", 1)
        if end == -1:
            raise ValueError("the single quote is not closed on this line")
        _nothing_after(text[end + 1 :])
        return text[1:end]
    if text.startswith('"'):
        return _double_quoted(text)
    return BARE_COMMENT.split(text, maxsplit=1)[0].strip()


def _double_quoted(text: str) -> str:
    value: list[str] = []
    index = 1
    while index < len(text):
        character = text[index]
        if character == "\\" and index + 1 < len(text):
            following = text[index + 1]
            value.append(ESCAPES.get(following, "\\" + following))
            index += 2
            continue
        if character == '"':
            _nothing_after(text[index + 1 :])
            return "".join(value)
        value.append(character)
        index += 1
    raise ValueError("the double quote is not closed on this line")


def _nothing_after(rest: str) -> None:
    rest = rest.strip()
    if rest and not rest.startswith("#"):
        raise ValueError("text after the closing quote")


def _read(path: Path) -> tuple[str, int]:
    try:
        with path.open("rb") as stream:
            mode = os.fstat(stream.fileno()).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
                raise EnvFileError(f"cannot read the env file {path}: not a regular file")
            data = stream.read(MAX_BYTES + 1)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise EnvFileError(f"cannot read the env file {path}: {reason}") from None
    if len(data) > MAX_BYTES:
        raise EnvFileError(f"cannot read the env file {path}: larger than {MAX_BYTES} bytes")
    try:
        return data.decode("utf-8-sig"), mode
    except UnicodeDecodeError:
        raise EnvFileError(f"cannot read the env file {path}: not UTF-8 text") from None
