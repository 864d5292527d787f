"""``devtune-contract check``'s command line and help, and the top-level help and version."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest

from devtune_contract import cli
from devtune_contract.check_command import exit_codes_table, parse, settings_table, usage
from devtune_contract.settings import SETTINGS, SettingsError
from devtune_contract.suite.reports.exit_codes import EXIT_CODES, OUTCOMES, ExitCode

ROOT = Path(__file__).resolve().parents[2]
KEY = "dtk_live_" + "cd" * 32
COMMANDS = ("serve", "seed", "check", "drift")


def flat(text: str) -> str:
    """``text`` with every run of whitespace as one space: wrapped help compares as written."""
    return " ".join(text.split())


def test_pytest_arguments_pass_through_around_the_suites_flags() -> None:
    request = parse(["-k", "rotation", "--seed", "5", "-x", "--checks=a,b"], {})
    assert request.pytest_args == ("-k", "rotation", "-x")
    assert dict(request.sources.flags) == {"DEVTUNE_SEED": "5", "DEVTUNE_CHECKS": "a,b"}
    assert request.sources.problem is None


def test_everything_after_the_separator_goes_to_pytest() -> None:
    request = parse(["--seed", "1", "-p", "no:randomly", "--", "--seed", "2", "--help"], {})
    assert request.pytest_args == ("-p", "no:randomly", "--seed", "2", "--help")
    assert dict(request.sources.flags) == {"DEVTUNE_SEED": "1"}
    assert not request.show_help


def test_options_of_pytest_are_not_mistaken_for_abbreviations_of_ours() -> None:
    assert parse(["--base", "x", "-xk", "rot"], {}).pytest_args == ("--base", "x", "-xk", "rot")


def test_every_non_secret_setting_takes_its_flag() -> None:
    arguments = [part for s in SETTINGS if s.flag for part in (s.flag, f"value-{s.field}")]
    flags = parse(arguments, {}).sources.flags
    assert flags == {s.variable: f"value-{s.field}" for s in SETTINGS if s.flag}
    for required in ("--base-url", "--project-id", "--webhook-id", "--foreign-project-id"):
        assert required in arguments
    for required in ("--foreign-webhook-id", "--report-dir", "--seed", "--checks", "--pace"):
        assert required in arguments
    for required in ("--exclude-checks", "--max-rotations", "--probe", "--deadline"):
        assert required in arguments


def test_flags_win_over_the_environment() -> None:
    environ = {"DEVTUNE_MAX_ROTATIONS": "3", "DEVTUNE_PROBE": "on"}
    settings = parse(["--probe", "off"], environ).sources.settings()
    assert (settings.probe, settings.max_rotations) == ("off", 3)


def test_a_flag_value_is_checked_as_its_variable_is() -> None:
    sources = parse(["--max-rotations", "ten"], {}).sources
    with pytest.raises(SettingsError, match="DEVTUNE_MAX_ROTATIONS must be a number"):
        sources.settings()


@pytest.mark.parametrize(
    "arguments",
    [
        ["--api-key", KEY, "-k", "rotation"],
        [f"--api-key={KEY}", "-k", "rotation"],
        ["--readonly-api-key", KEY, "-k", "rotation"],
        ["-k", "rotation", "--api-key"],
    ],
)
def test_a_key_as_a_flag_is_refused_and_goes_nowhere(arguments: list[str]) -> None:
    request = parse([*arguments, "--report-dir", "out"], {"DEVTUNE_API_KEY": KEY})
    assert request.pytest_args == ("-k", "rotation")
    assert request.sources.report_dir() == Path("out")
    assert request.sources.problem is not None
    with pytest.raises(SettingsError) as refused:
        request.sources.settings()
    message = str(refused.value)
    assert re.match(r"--(readonly-)?api-key is refused: ", message)
    assert "shell history" in message
    assert "`ps`" in message
    assert KEY not in message
    assert not set(request.sources.flags) & {"DEVTUNE_API_KEY", "DEVTUNE_READONLY_API_KEY"}


def test_a_flag_without_its_value_is_a_bad_setting() -> None:
    with pytest.raises(SettingsError, match="argument --seed: expected one argument"):
        parse(["-k", "x", "--seed"], {}).sources.settings()


@pytest.mark.parametrize("option", ["-h", "--help"])
def test_help_is_asked_before_anything_is_read(tmp_path: Path, option: str) -> None:
    request = parse(["--env-file", str(tmp_path / "missing.env"), option], {})
    assert request.show_help
    assert request.sources.problem is None


def test_the_env_file_is_the_weakest_layer(tmp_path: Path) -> None:
    path = tmp_path / "demo.env"
    path.write_text("DEVTUNE_SEED=1\nDEVTUNE_MAX_ROTATIONS=2\nDEVTUNE_DEADLINE=3\nOTHER=x\n")
    path.chmod(0o600)
    request = parse(
        ["--env-file", str(path), "--seed", "7"], {"DEVTUNE_SEED": "8", "DEVTUNE_DEADLINE": "9"}
    )
    assert request.warnings == ()
    settings = request.sources.settings()
    assert (settings.seed, settings.max_rotations, settings.deadline) == (7, 2, 9.0)


def test_an_unknown_setting_in_the_file_is_warned_about(tmp_path: Path) -> None:
    path = tmp_path / "demo.env"
    path.write_text("DEVTUNE_MAX_ROTATION=2\nHOME_DIR=x\nDEVTUNE_COLOUR=1\n")
    path.chmod(0o600)
    (warning,) = parse(["--env-file", str(path)], {}).warnings
    # Was: no suggestion of the setting meant (issue 29); a name like none gets none.
    assert warning == (
        f"{path}: not settings of the suite, ignored: "
        "DEVTUNE_MAX_ROTATION (did you mean DEVTUNE_MAX_ROTATIONS?), DEVTUNE_COLOUR"
    )


def test_a_misspelt_variable_in_the_environment_suggests_the_setting() -> None:
    environ = {"DEVTUNE_MAX_ROTATION": "3", "DEVTUNE_SEED": "1", "HOME": "/root"}
    (warning,) = parse([], environ).warnings
    assert warning == (
        "the environment: not settings of the suite, ignored: "
        "DEVTUNE_MAX_ROTATION (did you mean DEVTUNE_MAX_ROTATIONS?)"
    )
    assert parse([], {"DEVTUNE_SEED": "1"}).warnings == ()


def test_an_unreadable_env_file_is_a_bad_setting_with_the_reports_where_asked(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "missing.env"
    sources = parse(["--env-file", str(missing), "--report-dir", "out"], {}).sources
    assert sources.report_dir() == Path("out")
    with pytest.raises(SettingsError, match=f"cannot read the env file {missing}"):
        sources.settings()


def test_the_help_names_every_setting_with_its_flag_default_and_meaning() -> None:
    text = flat(usage())
    for setting in SETTINGS:
        assert setting.variable in text
        assert f"[default: {setting.default_text}]" in text
        assert flat(setting.doc) in text
        if setting.flag is not None:
            assert f"{setting.variable}, {setting.flag} {setting.placeholder}" in text
        else:
            assert f"{setting.variable} (a key: no flag)" in text


def test_the_help_states_precedence_key_flags_exit_codes_and_pass_through() -> None:
    text = flat(usage())
    assert "Precedence: a flag, then the environment, then --env-file, then the default" in text
    assert "Keys (DEVTUNE_API_KEY, DEVTUNE_READONLY_API_KEY) are never flags" in text
    assert "shell history" in text
    for outcome in EXIT_CODES:
        assert f"{outcome.code} {flat(outcome.meaning)}" in text
    assert "devtune-contract check -k rotation" in text
    assert "everything after -- goes to pytest" in text
    assert all(len(line) <= 79 for line in usage().splitlines())


def test_exit_codes_name_each_code_once_and_keep_pytests_numbers() -> None:
    assert [o.code for o in EXIT_CODES] == list(range(10))
    assert OUTCOMES[pytest.ExitCode.INTERRUPTED] == "interrupted"
    assert OUTCOMES[pytest.ExitCode.INTERNAL_ERROR] == "internal-error"
    assert OUTCOMES[pytest.ExitCode.USAGE_ERROR] == "usage-error"
    assert OUTCOMES[pytest.ExitCode.NO_TESTS_COLLECTED] == "no-tests"
    assert OUTCOMES[ExitCode.RATE_LIMITED] == "rate-limited"
    assert {int(code) for code in ExitCode} <= set(OUTCOMES)
    meaning = {o.code: o.meaning for o in EXIT_CODES}
    assert meaning[9] == (
        "rate limited beyond DEVTUNE_MAX_RESET_WAIT, or after every wait for the reset: "
        "the quota is spent"
    )


def test_the_qa_guide_holds_the_generated_tables() -> None:
    """``docs/qa.md`` says what the declaration says; regenerate the tables after a change:
    ``python -c "from devtune_contract.check_command import settings_table as t; print(t())"``
    """
    guide = (ROOT / "docs/qa.md").read_text()
    assert settings_table() in guide
    assert exit_codes_table() in guide


def test_the_generated_tables_have_a_row_per_setting_and_code() -> None:
    settings_rows = settings_table().splitlines()[2:]
    assert len(settings_rows) == len(SETTINGS)
    assert "`--probe auto\\|on\\|off`" in settings_table()  # a | would split the cell
    assert all(row.count(" | ") == 3 for row in settings_rows)
    assert len(exit_codes_table().splitlines()[2:]) == len(EXIT_CODES)


def test_the_readme_points_to_the_qa_guide_for_settings() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "docs/qa.md" in readme
    assert "| `DEVTUNE_REQUEST_TIMEOUT` |" not in readme  # one table, in the guide


def test_the_top_help_lists_every_command_on_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit) as stopped:
        cli.main(["--help"])
    assert stopped.value.code == 0
    text = capsys.readouterr().out
    lines = [*text.splitlines(), ""]
    for command in COMMANDS:
        (line,) = [line for line in lines if line.split()[:1] == [command]]
        assert len(line.split()) > 3, line  # its description is on the same line
        following = lines[lines.index(line) + 1]
        assert following.split()[:1] == [] or following.split()[0] in COMMANDS, following
    assert "run the reference server or seed its database" not in text


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out == f"devtune-contract {metadata.version('devtune-contract')}\n"


def test_check_help_prints_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", "--help"]) == 0
    assert capsys.readouterr().out == usage()


def test_pytest_output_is_one_flag_away_and_the_help_says_which() -> None:
    """Issue 29: the default console is the suite's own; pytest's is ``--pytest-output``."""
    assert parse([], {}).pytest_output is False
    request = parse(["--pytest-output", "-k", "rotation"], {})
    assert request.pytest_output is True
    assert request.pytest_args == ("-k", "rotation")
    text = flat(usage())
    assert "--pytest-output also show pytest's own output" in text
    assert "pytest's terminal options (-v, -r, --tb) change nothing" in text
