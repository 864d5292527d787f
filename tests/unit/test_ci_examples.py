"""The CI pipelines a consumer copies (examples/ci/) are valid, and run commands that parse.

Each file is validated against its platform's official schema, as vendored in check-jsonschema
(``vendor.github-workflows``, ``vendor.gitlab-ci``: no network). Every ``devtune-contract``
command line in them is split as the shell would and parsed by the installed CLI's parser.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from devtune_contract.cli import build_parser

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "ci"
GITHUB = EXAMPLES / "github-actions.yml"
GITLAB = EXAMPLES / "gitlab-ci.yml"
SCHEMAS = {GITHUB: "vendor.github-workflows", GITLAB: "vendor.gitlab-ci"}
SHELL_OPERATORS = frozenset({">", ">>", "<", "|", "||", "&&", ";", "&", "2>", "2>&1"})
SECRET_WORDS = ("KEY", "SECRET", "TOKEN")


def load(path: Path) -> dict[Any, Any]:
    """The pipeline as YAML 1.1 reads it: GitHub's ``on:`` key comes back as ``True``."""
    document: dict[Any, Any] = yaml.safe_load(path.read_text())
    return document


def validate(path: Path, schema: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603


def github_jobs() -> dict[str, dict[str, Any]]:
    jobs: dict[str, dict[str, Any]] = load(GITHUB)["jobs"]
    return jobs


def gitlab_jobs() -> dict[str, dict[str, Any]]:
    """Jobs with GitLab's ``extends`` applied (one level, as the file uses it)."""
    document = load(GITLAB)
    templates = {k: v for k, v in document.items() if k.startswith(".")}
    jobs = {}
    for name, job in document.items():
        if isinstance(job, dict) and ("script" in job or "extends" in job):
            if name.startswith("."):
                continue
            merged = {**templates.get(job.get("extends", ""), {}), **job}
            jobs[name] = merged
    return jobs


def github_scripts(path: Path = GITHUB) -> Iterator[str]:
    for job in load(path)["jobs"].values():
        for step in job["steps"]:
            if "run" in step:
                yield from step["run"].splitlines()


def gitlab_scripts() -> Iterator[str]:
    for job in gitlab_jobs().values():
        for key in ("before_script", "script", "after_script"):
            yield from job.get(key, [])


SCRIPTS = {GITHUB: github_scripts, GITLAB: gitlab_scripts}


def kit_commands(lines: Iterator[str]) -> list[list[str]]:
    """Each ``devtune-contract`` invocation's arguments, up to the first shell operator."""
    commands = []
    for line in lines:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words = list(lexer)
        while "devtune-contract" in words:
            words = words[words.index("devtune-contract") + 1 :]
            arguments = []
            for word in words:
                if word in SHELL_OPERATORS:
                    break
                arguments.append(word)
            commands.append(arguments)
    return commands


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_pipeline_is_valid_for_its_platform(path: Path) -> None:
    result = validate(path, SCHEMAS[path])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_schema_check_rejects_a_broken_pipeline(path: Path, tmp_path: Path) -> None:
    """The validation can fail: a job with a misspelt required key is refused."""
    broken = tmp_path / path.name
    text = path.read_text()
    misspelt = text.replace("runs-on:", "run-on:") if path == GITHUB else text
    if path == GITLAB:
        misspelt = text.replace("  script:", "  scripts:")
    assert misspelt != text
    broken.write_text(misspelt)
    assert validate(broken, SCHEMAS[path]).returncode != 0


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_every_kit_command_parses_with_the_installed_cli(path: Path) -> None:
    commands = kit_commands(SCRIPTS[path]())
    assert {arguments[0] for arguments in commands} == {"drift", "check"}
    parser = build_parser()
    for arguments in commands:
        try:
            parser.parse_args(arguments)
        except SystemExit:
            pytest.fail(f"{path.name}: devtune-contract {shlex.join(arguments)} does not parse")


def test_a_command_the_cli_refuses_is_caught() -> None:
    lines = iter(['devtune-contract drift "$URL" --format yaml >> "$GITHUB_STEP_SUMMARY"'])
    (arguments,) = kit_commands(lines)
    assert arguments == ["drift", "$URL", "--format", "yaml"]
    with pytest.raises(SystemExit):
        build_parser().parse_args(arguments)


def test_github_jobs_run_on_their_triggers() -> None:
    jobs = github_jobs()
    assert set(load(GITHUB)[True]) == {"pull_request", "schedule", "workflow_dispatch"}
    assert jobs["generated-code"]["if"] == "github.event_name == 'pull_request'"
    assert jobs["generated-code"]["steps"][-1]["run"] == "python3 -m tox -e drift"
    for name in ("upstream-drift", "staging-suite"):
        assert "'schedule'" in jobs[name]["if"]
        assert "'workflow_dispatch'" in jobs[name]["if"]


def test_github_drift_findings_go_to_the_job_summary() -> None:
    (drift,) = [s for s in github_jobs()["upstream-drift"]["steps"] if "drift" in s.get("run", "")]
    assert drift["run"].endswith('--format markdown >> "$GITHUB_STEP_SUMMARY"')
    assert drift["env"]["UPSTREAM"] == "${{ vars.DEVTUNE_UPSTREAM_SPEC_URL }}"
    assert "continue-on-error" not in drift  # a breaking change (exit 1) fails the job


def test_github_suite_takes_keys_from_secrets_and_keeps_reports_on_failure() -> None:
    steps = github_jobs()["staging-suite"]["steps"]
    (check,) = [s for s in steps if s.get("run") == "devtune-contract check"]
    for name, value in check["env"].items():
        if name.endswith("API_KEY"):
            assert value.startswith("${{ secrets."), name
    assert check["env"]["DEVTUNE_PROBE"] == "off"
    uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert [u["with"]["path"] for u in uploads] == ["reports/"]
    junit = [s for s in steps if "report_paths" in s.get("with", {})]
    assert [j["with"]["report_paths"] for j in junit] == ["reports/contract-junit.xml"]
    for step in steps[steps.index(check) + 1 :]:
        assert step["if"] == "always()", step.get("name")


def test_gitlab_jobs_run_on_their_triggers() -> None:
    jobs = gitlab_jobs()
    gate = [rule["if"] for rule in jobs["generated-code"]["rules"]]
    assert gate == ['$CI_PIPELINE_SOURCE == "merge_request_event"']
    assert jobs["generated-code"]["script"][-1] == "python3 -m tox -e drift"
    for name in ("upstream-drift", "staging-suite"):
        sources = [rule["if"] for rule in jobs[name]["rules"]]
        assert sources == ['$CI_PIPELINE_SOURCE == "schedule"', '$CI_PIPELINE_SOURCE == "web"']


def test_gitlab_drift_report_is_an_artifact_kept_on_failure() -> None:
    job = gitlab_jobs()["upstream-drift"]
    assert job["script"][-1].endswith("--format markdown > upstream-drift.md")
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["paths"] == ["upstream-drift.md"]
    assert "allow_failure" not in job


def test_gitlab_suite_publishes_junit_and_the_html_report_on_failure() -> None:
    job = gitlab_jobs()["staging-suite"]
    assert job["variables"]["DEVTUNE_API_KEY"] == "$DEVTUNE_STAGING_API_KEY"
    assert job["variables"]["DEVTUNE_PROBE"] == "off"
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["junit"] == "reports/contract-junit.xml"
    assert job["artifacts"]["paths"] == ["reports/"]  # holds reports/contract-report.html


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_no_script_prints_a_secret_or_traces_the_shell(path: Path) -> None:
    for line in SCRIPTS[path]():
        words = shlex.split(line)
        assert "set" not in words or "-x" not in words, line
        if words and words[0] in ("echo", "printf", "env", "printenv"):
            assert not any(word in line for word in SECRET_WORDS), line
