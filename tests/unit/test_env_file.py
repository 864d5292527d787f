"""Env files: what ``serve --env-file`` writes reads back, and a .env file's syntax reads right."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from devtune_contract.env_file import EnvFileError, parse_value, read_env_file
from devtune_contract.server.commands import write_env_file

KEY = "dtk_live_" + "ab" * 32


def written(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "settings.env"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_what_serve_writes_reads_back(tmp_path: Path) -> None:
    credentials = {
        "DEVTUNE_BASE_URL": "http://127.0.0.1:8000/api/v2",
        "DEVTUNE_API_KEY": KEY,
        "DEVTUNE_PROJECT_ID": "00000000-0000-0000-0000-000000000001",
    }
    path = tmp_path / "demo.env"
    write_env_file(path, credentials)
    env_file = read_env_file(path)
    assert env_file.values == credentials
    assert env_file.warnings == ()


def test_comments_blank_lines_and_export_are_understood(tmp_path: Path) -> None:
    path = written(
        tmp_path,
        "# staging\n"
        "\n"
        "export DEVTUNE_SEED=42\n"
        "   DEVTUNE_PROBE = off   # shared key\n"
        "\tDEVTUNE_CHECKS=a,b#c\n"
        "DEVTUNE_PACE=\n",
    )
    assert read_env_file(path).values == {
        "DEVTUNE_SEED": "42",
        "DEVTUNE_PROBE": "off",
        "DEVTUNE_CHECKS": "a,b#c",  # a # inside a bare value is not a comment
        "DEVTUNE_PACE": "",
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("plain", "plain"),
        ("two words  # comment", "two words"),
        ("'single $HOME \\n # kept'", "single $HOME \\n # kept"),
        ("'quoted'   # comment", "quoted"),
        ('"double \\"escaped\\" \\\\ \\$HOME"', 'double "escaped" \\ $HOME'),
        ('"line\\nbreak\\ttab"', "line\nbreak\ttab"),
        ('"# not a comment"', "# not a comment"),
        ('"unknown \\q escape"', "unknown \\q escape"),
        ("$HOME", "$HOME"),
        ("''", ""),
    ],
)
def test_values_read_as_a_dotenv_file_means_them(text: str, value: str) -> None:
    assert parse_value(text) == value


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("DEVTUNE_SEED", "expected KEY=value"),
        ("1DEVTUNE=2", "expected KEY=value"),
        ("export", "expected KEY=value"),
        (f"DEVTUNE_API_KEY='{KEY}", "the single quote is not closed"),
        (f'DEVTUNE_API_KEY="{KEY}', "the double quote is not closed"),
        (f'DEVTUNE_API_KEY="{KEY}" trailing', "text after the closing quote"),
    ],
)
def test_a_malformed_line_is_named_by_number_and_never_shown(
    tmp_path: Path, line: str, reason: str
) -> None:
    path = written(tmp_path, f"# first\nDEVTUNE_SEED=1\n{line}\n")
    with pytest.raises(EnvFileError) as refused:
        read_env_file(path)
    message = str(refused.value)
    assert message.startswith(f"{path} line 3: {reason}")
    assert KEY not in message
    assert "\n" not in message


def test_a_file_others_can_read_is_read_with_one_warning(tmp_path: Path) -> None:
    path = written(tmp_path, f"DEVTUNE_API_KEY={KEY}\n", mode=0o644)
    env_file = read_env_file(path)
    assert env_file.values == {"DEVTUNE_API_KEY": KEY}
    (warning,) = env_file.warnings
    assert str(path) in warning
    assert f"chmod 600 {path}" in warning
    assert "644" in warning


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o620])
def test_a_file_only_its_owner_can_read_gives_no_warning(tmp_path: Path, mode: int) -> None:
    assert read_env_file(written(tmp_path, "DEVTUNE_SEED=1\n", mode=mode)).warnings == ()


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda tmp: tmp / "missing.env", "No such file or directory"),
        (lambda tmp: tmp, "Is a directory"),
        (lambda tmp: Path(os.devnull), "not a regular file"),
    ],
)
def test_a_file_that_cannot_be_read_is_one_line(
    tmp_path: Path, make: Callable[[Path], Path], reason: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(EnvFileError, match=reason) as refused:
        read_env_file(path)
    assert str(refused.value).startswith(f"cannot read the env file {path}: ")


def test_a_file_that_is_not_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "binary.env"
    path.write_bytes(b"DEVTUNE_SEED=\xff\xfe\n")
    with pytest.raises(EnvFileError, match="not UTF-8 text"):
        read_env_file(path)


def test_a_byte_order_mark_is_not_part_of_the_first_name(tmp_path: Path) -> None:
    path = tmp_path / "bom.env"
    path.write_bytes("\ufeffDEVTUNE_SEED=7\n".encode())
    assert read_env_file(path).values == {"DEVTUNE_SEED": "7"}


def test_a_name_given_twice_keeps_its_last_value(tmp_path: Path) -> None:
    path = written(tmp_path, "DEVTUNE_SEED=1\nDEVTUNE_SEED=2\n")
    assert read_env_file(path).values == {"DEVTUNE_SEED": "2"}
