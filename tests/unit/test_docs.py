"""The docs hold to the code: short README, every link resolves, every command line parses.

Python blocks are run by ``tests/integration/test_readme_examples.py``; this module holds the
rest. Every ``devtune-contract`` line of a shell block (directly, through a ``.tox/*/bin`` path,
after a wrapper's ``--``, or as the ``tox -e ENV -- ...`` that tox.ini turns into one) is parsed
by the real command line without running anything: argparse for serve, seed and drift, and the
check command's own parser for check, with the block's exports and the line's assignments as its
environment. Every relative link and ``#anchor`` of README.md and ``docs/`` must resolve.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import attrs
import pytest
from doc_pages import README, ROOT, doc_pages, fences, page_name, without_fences

from devtune_contract import check_command, cli
from devtune_contract.settings import BY_VARIABLE, SettingsError

README_MAX_LINES = 150
SHELL = {"sh", "bash", "shell", "console"}
COMMAND = "devtune-contract"
SEPARATORS = {"&&", "||", ";", "|", "&", "(", ")"}
REDIRECT = re.compile(r"^[<>&]+$")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")
TOX_COMMAND = re.compile(rf"^{COMMAND} (\w+) \{{posargs\}}$")


# --- shell lines -------------------------------------------------------------------------------


@attrs.frozen
class Invocation:
    """``devtune-contract ARGUMENTS`` as a shell block writes it, with the environment it sees."""

    line: str
    arguments: tuple[str, ...]
    environ: Mapping[str, str]


def without_comment(line: str) -> str:
    """The line up to an unquoted ``#`` that starts a word, as the shell reads it."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index]
    return line


def logical_lines(block: str) -> Iterator[str]:
    """The block's command lines: continuations joined, here-documents' bodies left out."""
    ending: str | None = None
    for line in block.replace("\\\n", " ").splitlines():
        if ending is not None:
            ending = None if line.strip() == ending else ending
            continue
        heredoc = HEREDOC.search(line)
        ending = heredoc.group(2) if heredoc else None
        yield line


def words(line: str) -> list[str]:
    lexer = shlex.shlex(without_comment(line), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    return list(lexer)


def simple_commands(tokens: Sequence[str]) -> Iterator[list[str]]:
    """The commands of an ``&&`` / ``;`` / ``|`` chain, redirections and their targets dropped."""
    command: list[str] = []
    skip = False
    for token in tokens:
        if skip:
            skip = False
        elif token in SEPARATORS:
            yield command
            command = []
        elif REDIRECT.match(token):
            skip = True
        else:
            command.append(token)
    yield command


def tox_commands() -> dict[str, str]:
    """tox environments whose command is ``devtune-contract SUBCOMMAND {posargs}``."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "tox.ini")
    found = {}
    for name in config.sections():
        match = TOX_COMMAND.match(config[name].get("commands", "").strip())
        if name.startswith("testenv:") and match:
            found[name.removeprefix("testenv:")] = match.group(1)
    return found


def devtune_arguments(command: Sequence[str], tox: Mapping[str, str]) -> list[str] | None:
    """The arguments ``command`` passes to devtune-contract, or None when it does not run it."""
    if command and Path(command[0]).name == COMMAND:
        return list(command[1:])
    if "--" in command:
        after = command[command.index("--") + 1 :]
        if after and Path(after[0]).name == COMMAND:
            return list(after[1:])
    program = list(command)
    if program[:2] == ["-m", "tox"] or program[1:3] == ["-m", "tox"]:
        program = program[program.index("tox") :]
    if program[:1] == ["tox"] and "-e" in program:
        subcommand = tox.get(program[program.index("-e") + 1])
        if subcommand is not None:
            rest = program[program.index("--") + 1 :] if "--" in program else []
            return [subcommand, *rest]
    return None


def invocations(block: str, tox: Mapping[str, str]) -> Iterator[Invocation]:
    exported: dict[str, str] = {}
    for line in logical_lines(block):
        for command in simple_commands(words(line)):
            assignments: dict[str, str] = {}
            while command and ASSIGNMENT.match(command[0]):
                name, _, value = command.pop(0).partition("=")
                assignments[name] = value
            if command[:1] == ["export"]:
                exported.update(word.partition("=")[::2] for word in command[1:] if "=" in word)
                continue
            arguments = devtune_arguments(command, tox)
            if arguments is not None:
                yield Invocation(line.strip(), tuple(arguments), {**exported, **assignments})


def documented_invocations() -> list[tuple[str, Invocation]]:
    tox = tox_commands()
    return [
        (page_name(page), invocation)
        for page in doc_pages()
        for fence in fences(page.read_text())
        if fence.language in SHELL
        for invocation in invocations(fence.code, tox)
    ]


INVOCATIONS = documented_invocations()


@pytest.fixture(scope="module")
def pytest_long_options() -> frozenset[str]:
    """pytest's long options (with the suite's plugins): what ``check`` may pass through."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return frozenset(re.findall(r"(?<![\w-])(--[a-z][\w-]*)", result.stdout))


def parse_check(
    invocation: Invocation, directory: Path, pytest_long_options: frozenset[str]
) -> check_command.CheckRequest:
    """``check``'s parse, run in ``directory``; an ``--env-file`` named there is made first.

    The file stands for the one the block wrote (``serve --env-file``, a here-document), read
    for real: mode 600, no settings, so it adds no warning and no problem of its own.
    """
    arguments = list(invocation.arguments[1:])
    for index, argument in enumerate(arguments[:-1]):
        if argument == "--env-file":
            env_file = directory / arguments[index + 1]
            env_file.write_text("")
            env_file.chmod(0o600)
    previous = Path.cwd()
    os.chdir(directory)
    try:
        request = check_command.parse(arguments, invocation.environ)
    finally:
        os.chdir(previous)
    assert request.sources.problem is None, request.sources.problem
    assert not request.warnings, request.warnings
    unknown = [
        argument.partition("=")[0]
        for argument in request.pytest_args
        if argument.startswith("--") and argument.partition("=")[0] not in pytest_long_options
    ]
    assert not unknown, f"neither a suite flag nor a pytest option: {unknown}"
    for name, value in request.sources.flags.items():
        if "$" not in value and "..." not in value:
            BY_VARIABLE[name].read({name: value})  # a bad value raises here
    return request


def parse_other(invocation: Invocation, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        cli.build_parser().parse_args(invocation.arguments)
    except SystemExit as stopped:  # argparse's way out, for --help as for an error
        code = stopped.code
    else:
        return
    assert code == 0, capsys.readouterr().err


def test_the_docs_invoke_every_command() -> None:
    commands = {invocation.arguments[0] for _, invocation in INVOCATIONS if invocation.arguments}
    assert commands >= {"serve", "seed", "check", "drift"}
    assert len(INVOCATIONS) >= 15


@pytest.mark.parametrize(
    ("page", "invocation"),
    [pytest.param(page, i, id=f"{page}: {i.line[:60]}") for page, i in INVOCATIONS],
)
def test_documented_command_line_parses(
    page: str,
    invocation: Invocation,
    tmp_path: Path,
    pytest_long_options: frozenset[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert invocation.arguments, f"{page}: {invocation.line!r} names no command"
    if invocation.arguments[0] == "check":
        parse_check(invocation, tmp_path, pytest_long_options)
    else:
        parse_other(invocation, capsys)


def test_shell_lines_are_read_as_the_shell_reads_them() -> None:
    block = (
        "export DEVTUNE_BASE_URL=https://staging.example.com/api/v2  # a comment\n"
        "cat > f.env <<'EOF'\n"
        "devtune-contract not-a-command\n"
        "EOF\n"
        "DEVTUNE_PROBE=off devtune-contract check \\\n"
        "    --pace 100/60 -k 'a # b' > out.txt && .tox/serve/bin/devtune-contract seed --db x\n"
        "python3 -m pip install x && python3 -m tox -e serve -- --port 8000   # the server\n"
        "farm-bench -n 5 -- devtune-contract check --help\n"
        "pip install devtune-contract  # devtune-contract drift x\n"
    )
    found = list(invocations(block, {"serve": "serve"}))
    assert [i.arguments for i in found] == [
        ("check", "--pace", "100/60", "-k", "a # b"),
        ("seed", "--db", "x"),
        ("serve", "--port", "8000"),
        ("check", "--help"),
    ]
    assert found[0].environ == {
        "DEVTUNE_BASE_URL": "https://staging.example.com/api/v2",
        "DEVTUNE_PROBE": "off",
    }
    assert found[1].environ == {"DEVTUNE_BASE_URL": "https://staging.example.com/api/v2"}


def test_tox_environments_that_run_the_command_are_known() -> None:
    assert (
        tox_commands().items()
        >= {"contract": "check", "serve": "serve", "spec-drift": "drift"}.items()
    )


@pytest.mark.parametrize(
    "line",
    [
        "devtune-contract check --base-ur https://x.example/api/v2",  # a typo would go to pytest
        "DEVTUNE_X=1 devtune-contract check --api-key dtk_live_x",  # a key is never a flag
        "devtune-contract check --probe sometimes",
        "devtune-contract check --env-file staging.env --seed",  # a flag without its value
    ],
)
def test_a_bad_check_line_fails(
    line: str, tmp_path: Path, pytest_long_options: frozenset[str]
) -> None:
    (invocation,) = invocations(line, {})
    with pytest.raises((AssertionError, SettingsError)):
        parse_check(invocation, tmp_path, pytest_long_options)


@pytest.mark.parametrize(
    "line",
    [
        "devtune-contract serve --prot 8000",
        "devtune-contract drift x --format yaml",
        "devtune-contract",
    ],
)
def test_a_bad_line_of_another_command_fails(line: str, capsys: pytest.CaptureFixture[str]) -> None:
    (invocation,) = invocations(line, {})
    with pytest.raises(AssertionError):
        parse_other(invocation, capsys)


# --- links and anchors -------------------------------------------------------------------------

INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"""<a\s[^>]*\bhref=["']([^"']+)["']""")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
EXPLICIT_ANCHOR = re.compile(r"""<a\s[^>]*\b(?:id|name)=["']([^"']+)["']""")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text lower-cased, punctuation dropped, spaces dashed."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link shows its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").replace("*", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every ``#anchor`` a page offers: its headings' slugs (repeats numbered) and ``<a id>``."""
    found: set[str] = set(EXPLICIT_ANCHOR.findall(text))
    seen: dict[str, int] = {}
    for heading in HEADING.findall(without_fences(text)):
        base = slug(heading)
        found.add(base if base not in seen else f"{base}-{seen[base]}")
        seen[base] = seen.get(base, 0) + 1
    return found


def links(text: str) -> list[str]:
    """The link targets of a page's prose (not of its code blocks or code spans)."""
    prose = INLINE_CODE.sub("", without_fences(text))
    return LINK.findall(prose) + HTML_LINK.findall(prose)


def broken_link(page: Path, target: str) -> str | None:
    """Why ``target``, linked from ``page``, does not resolve; None when it does."""
    if EXTERNAL.match(target):
        return None
    path, _, anchor = target.partition("#")
    destination = (page.parent / path).resolve() if path else page
    if not destination.is_relative_to(ROOT):
        return f"{target}: outside the repository"
    if not destination.exists():
        return f"{target}: no such file"
    if not anchor:
        return None
    if destination.suffix != ".md":
        return f"{target}: an anchor into a file that is not Markdown"
    if anchor not in anchors(destination.read_text()):
        return f"{target}: no heading or <a id> {anchor!r} in {page_name(destination)}"
    return None


@pytest.mark.parametrize("page", [pytest.param(p, id=page_name(p)) for p in doc_pages()])
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    targets = links(page.read_text())
    broken = [why for why in (broken_link(page, target) for target in targets) if why]
    assert not broken, "\n".join(broken)


def test_the_guides_link_to_each_other() -> None:
    linked = sum(len(links(page.read_text())) for page in doc_pages())
    assert linked >= 30


def test_broken_links_and_anchors_are_found(tmp_path: Path) -> None:
    page = ROOT / "docs" / "qa.md"
    assert broken_link(page, "qa.md#settings") is None
    assert broken_link(page, "#exit-codes") is None
    assert broken_link(page, "drift.md#request-maxLength-narrowed") is None  # an <a id>
    assert broken_link(page, "../BENCHMARKS.md") is None
    assert broken_link(page, "https://example.com/nowhere") is None
    assert broken_link(page, "nowhere.md")
    assert broken_link(page, "#no-such-heading")
    assert broken_link(page, "drift.md#Request-MaxLength-Narrowed")
    assert broken_link(page, "../../outside.md")
    assert broken_link(page, "../pyproject.toml#tool")


def test_headings_get_githubs_anchors() -> None:
    text = (
        "# Guide\n\n## `devtune-contract check --help` (issue 20)\n\n"
        "```sh\n# not a heading\n```\n\n## Masking: what you see\n## Masking: what you see\n"
    )
    assert anchors(text) == {
        "guide",
        "devtune-contract-check---help-issue-20",
        "masking-what-you-see",
        "masking-what-you-see-1",
    }


def test_links_in_code_are_not_links() -> None:
    text = '[a](a.md) `[b](b.md)`\n\n```\n[c](c.md)\n```\n<a href="d.md">d</a>\n'
    assert links(text) == ["a.md", "d.md"]


# --- the README --------------------------------------------------------------------------------


def test_the_readme_fits_one_screen() -> None:
    assert len(README.read_text().splitlines()) < README_MAX_LINES


def test_the_readme_links_every_guide() -> None:
    linked = {target.partition("#")[0] for target in links(README.read_text())}
    guides = {page_name(page) for page in doc_pages() if page != README}
    assert guides <= linked


LAYOUT_START = "openapi.json "
DESCRIPTION_COLUMN = 20  # a line indented this far continues the description above it


def layout_paths(layout: str) -> list[str]:
    """The paths a layout block names: an entry per line, indented two spaces per folder."""
    parents: list[str] = []
    paths = []
    for line in layout.splitlines():
        indent = len(line) - len(line.lstrip())
        if not line.strip() or indent >= DESCRIPTION_COLUMN:
            continue
        entry = re.split(r"\s{2,}", line.strip())[0]
        parents = parents[: indent // 2]
        for name in entry.split(", "):
            paths.append("".join(parents) + name)
        parents.append(entry if entry.endswith("/") else "")
    return paths


def test_the_readmes_layout_names_what_is_there() -> None:
    (layout,) = [f.code for f in fences(README.read_text()) if f.code.startswith(LAYOUT_START)]
    paths = layout_paths(layout)
    missing = [path for path in paths if not list(ROOT.glob(path.rstrip("/")))]
    assert not missing, f"the README's layout names what does not exist: {missing}"
    for needed in ("src/devtune_contract/testing/", "src/devtune_contract/drift/", "docs/"):
        assert needed in paths


def test_layout_entries_nest_by_indentation() -> None:
    layout = (
        "a/           x\n"
        "  b.py, c.py   y\n"
        "                       more of y\n"
        "  d/         z\n"
        "    e.py     w\n"
        "f.py         v\n"
    )
    assert layout_paths(layout) == ["a/", "a/b.py", "a/c.py", "a/d/", "a/d/e.py", "f.py"]
