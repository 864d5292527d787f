"""``devtune-contract check``'s own command line: setting flags, ``--env-file``, and its help.

All of it is read before the suite is imported, from the one settings declaration
(:data:`~devtune_contract.settings.SETTINGS`) and the exit codes
(:data:`~devtune_contract.suite.reports.exit_codes.EXIT_CODES`): ``check --help`` prints the
usage and starts nothing (no server, no pytest). A key given as a flag or a file that cannot be
read is not an error here: it travels in :class:`~devtune_contract.settings.SettingsSources` and the
run reports it as bad settings (exit 6, with its JUnit and summary) like any other. Whatever is
not an option of the suite goes to pytest unchanged; everything after ``--`` goes to pytest.
"""

from __future__ import annotations

import argparse
import difflib
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NoReturn

import attrs

from devtune_contract.constants import CHECK_PROG
from devtune_contract.env_file import EnvFileError, read_env_file
from devtune_contract.settings import BY_VARIABLE, PREFIX, SETTINGS, Setting, SettingsSources
from devtune_contract.suite.reports.exit_codes import EXIT_CODES, Outcome

PROG = CHECK_PROG  # re-exported: the flags and their help name the command
PYTEST_SEPARATOR = "--"
WIDTH = 79
KEYS = tuple(setting for setting in SETTINGS if setting.secret)
WHY_NO_KEY_FLAGS = (
    "a command line lands in shell history and, while the run lasts, in `ps` for every user "
    "of the machine"
)
ENV_FILE_FORMAT = (
    "KEY=value lines as `devtune-contract serve --env-file FILE` writes them: blank lines, "
    "# comments, `export KEY=value`, 'single' and \"double\" quotes as in a .env file; "
    "nothing is expanded"
)
PRECEDENCE = "a flag, then the environment, then --env-file, then the default"
PYTEST_OUTPUT = "--pytest-output"
PYTEST_OUTPUT_HELP = (
    "also show pytest's own output (its header, progress, failures and short summary); "
    "without it the console is the seed, the progress of the suite's tests and the summary, "
    "and pytest's terminal options (-v, -r, --tb) change nothing"
)


@attrs.frozen
class CheckRequest:
    """One ``check`` command line, understood: pytest's part, the settings' sources, help."""

    pytest_args: tuple[str, ...]
    sources: SettingsSources
    show_help: bool = False
    warnings: tuple[str, ...] = ()
    pytest_output: bool = False


class _Refused(Exception):
    """argparse found an option of the suite it cannot use (a flag without its value)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _Refused(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, add_help=False, allow_abbrev=False)
    parser.add_argument("-h", "--help", action="store_true")
    parser.add_argument("--env-file", type=Path)
    parser.add_argument(PYTEST_OUTPUT, action="store_true")
    for setting in SETTINGS:
        if setting.flag is not None:
            parser.add_argument(setting.flag, dest=setting.variable)
    for key in KEYS:
        # Taken (value and all) so that it reaches neither pytest nor any output.
        parser.add_argument(key.option, dest=key.variable, nargs="?", const="")
    return parser


def parse(arguments: Sequence[str], environ: Mapping[str, str]) -> CheckRequest:
    """What ``check ARGUMENTS`` asks for, with ``environ`` as the environment layer."""
    arguments = list(arguments)
    ours, theirs = arguments, []
    if PYTEST_SEPARATOR in arguments:
        split = arguments.index(PYTEST_SEPARATOR)
        ours, theirs = arguments[:split], arguments[split + 1 :]
    try:
        options, passed_on = _parser().parse_known_args(ours)
    except _Refused as error:
        return CheckRequest(tuple(theirs), SettingsSources(environ=environ, problem=str(error)))
    pytest_args = (*passed_on, *theirs)
    request = _parsed(options, pytest_args, environ)
    return attrs.evolve(request, pytest_output=options.pytest_output)


def _parsed(
    options: argparse.Namespace, pytest_args: tuple[str, ...], environ: Mapping[str, str]
) -> CheckRequest:
    if options.help:
        return CheckRequest(pytest_args, SettingsSources(environ=environ), show_help=True)
    given = {name: value for name, value in vars(options).items() if name in BY_VARIABLE}
    flags = {name: value for name, value in given.items() if value is not None}
    refused = [key for key in KEYS if key.variable in flags]
    if refused:
        problem = (
            f"{refused[0].option} is refused: a key is never a flag ({WHY_NO_KEY_FLAGS}); "
            f"set {refused[0].variable} in the environment or in an --env-file"
        )
        safe = {name: value for name, value in flags.items() if not BY_VARIABLE[name].secret}
        return CheckRequest(
            pytest_args, SettingsSources(flags=safe, environ=environ, problem=problem)
        )
    from_environment = _not_settings("the environment", environ)
    if options.env_file is None:
        return CheckRequest(
            pytest_args,
            SettingsSources(flags=flags, environ=environ),
            warnings=from_environment,
        )
    try:
        env_file = read_env_file(options.env_file)
    except EnvFileError as error:
        return CheckRequest(
            pytest_args, SettingsSources(flags=flags, environ=environ, problem=str(error))
        )
    warnings = (
        *from_environment,
        *env_file.warnings,
        *_not_settings(str(env_file.path), env_file.values),
    )
    sources = SettingsSources(flags=flags, environ=environ, file=env_file.values)
    return CheckRequest(pytest_args, sources, warnings=warnings)


def _not_settings(where: str, names: Iterable[str]) -> tuple[str, ...]:
    """One warning naming every ``DEVTUNE_*`` name in ``names`` that is no setting, each with
    the closest setting it may have meant: a typo must not pass for a default in silence."""
    unknown = [n for n in names if n.startswith(PREFIX) and n not in BY_VARIABLE]
    if not unknown:
        return ()
    named = ", ".join(_with_suggestion(name) for name in unknown)
    return (f"{where}: not settings of the suite, ignored: {named}",)


def _with_suggestion(name: str) -> str:
    """``DEVTUNE_MAX_ROTATION (did you mean DEVTUNE_MAX_ROTATIONS?)``: the closest setting."""
    closest = difflib.get_close_matches(name, list(BY_VARIABLE), n=1, cutoff=0.8)
    return f"{name} (did you mean {closest[0]}?)" if closest else name


def usage() -> str:
    """``check --help``: the suite's settings, its exit codes and how pytest's arguments pass."""
    sections = [
        f"usage: {PROG} [--env-file FILE] [--SETTING VALUE ...]\n"
        f"{' ' * len('usage: ' + PROG)} [PYTEST ARGS ...] [{PYTEST_SEPARATOR} PYTEST ARGS ...]",
        _paragraph(
            "Runs the contract suite against DEVTUNE_BASE_URL or, when it is unset, against a "
            "reference server it starts on a free loopback port with fresh demo data. "
            "-h, --help prints this and starts nothing."
        ),
        _paragraph(
            f"Settings: each is a {PREFIX}* variable, and all but the keys also take the flag "
            f"shown, with the same value. Precedence: {PRECEDENCE}. A blank value counts as "
            "unset."
        ),
        "\n".join(
            _entries(
                [
                    ("--env-file FILE", f"read settings from FILE: {ENV_FILE_FORMAT}"),
                    (PYTEST_OUTPUT, PYTEST_OUTPUT_HELP),
                ]
            )
        ),
        "\n".join(_entries((_heading(s), s.doc) for s in SETTINGS)),
        _paragraph(
            f"Keys ({', '.join(key.variable for key in KEYS)}) are never flags: "
            f"{WHY_NO_KEY_FLAGS}. Give them in the environment or in an --env-file that only "
            "you can read (chmod 600)."
        ),
        "Exit codes:\n" + "\n".join(_exit_code(outcome) for outcome in EXIT_CODES),
        _paragraph(
            "pytest arguments: whatever is not an option above goes to pytest unchanged, and "
            f"everything after {PYTEST_SEPARATOR} goes to pytest as it is:"
        )
        + f"\n  {PROG} -k rotation -x"
        + f'\n  {PROG} --seed 42 {PYTEST_SEPARATOR} -k "rotation and not foreign"',
    ]
    return "\n\n".join(sections) + "\n"


def _heading(setting: Setting) -> str:
    default = f"[default: {setting.default_text}]"
    if setting.flag is None:
        return f"{setting.variable} (a key: no flag)  {default}"
    return f"{setting.variable}, {setting.flag} {setting.placeholder}  {default}"


def _exit_code(outcome: Outcome) -> str:
    return textwrap.fill(
        outcome.meaning,
        WIDTH,
        initial_indent=f"  {outcome.code}  ",
        subsequent_indent=" " * 5,
        break_on_hyphens=False,
    )


def _entries(entries: Iterable[tuple[str, str]]) -> list[str]:
    lines: list[str] = []
    for heading, text in entries:
        lines.append(f"  {heading}")
        indent = " " * 6
        lines += textwrap.wrap(
            text, WIDTH, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
        )
    return lines


def _paragraph(text: str) -> str:
    return textwrap.fill(text, WIDTH)


def settings_table() -> str:
    """The settings as the Markdown table ``docs/qa.md`` holds (a test compares them)."""
    rows = [("variable", "flag", "default", "meaning"), ("---",) * 4]
    for setting in SETTINGS:
        flag = "none: a key" if setting.flag is None else f"`{setting.flag} {setting.placeholder}`"
        rows.append((f"`{setting.variable}`", flag, setting.default_text, setting.doc))
    return _table(rows)


def exit_codes_table() -> str:
    """The exit codes as the Markdown table ``docs/qa.md`` holds (a test compares them)."""
    rows = [("code", "outcome", "meaning"), ("---",) * 3]
    rows += [(str(o.code), f"`{o.name}`", o.meaning) for o in EXIT_CODES]
    return _table(rows)


def _table(rows: Iterable[Sequence[str]]) -> str:
    return (
        "\n".join(
            "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows
        )
        + "\n"
    )
