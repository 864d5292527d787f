"""Every option of every command says what it does and its default (``check``'s settings say
theirs from the settings declaration, tested in ``test_check_command``)."""

from __future__ import annotations

import argparse

import pytest

from devtune_contract.cli import build_parser


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (choices,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(choices.choices)


OPTIONS = [
    pytest.param(action, id=f"{name} {action.option_strings[0]}")
    for name, command in subcommands().items()
    for action in command._actions
    if action.option_strings and not isinstance(action, argparse._HelpAction)
]


@pytest.mark.parametrize("action", OPTIONS)
def test_each_option_says_what_it_does_and_its_default(action: argparse.Action) -> None:
    assert action.help, "no help"
    assert action.required or "default" in action.help, f"no default in {action.help!r}"


def test_the_defaults_shown_are_the_defaults() -> None:
    text = subcommands()["serve"].format_help()
    for shown in ("127.0.0.1", "8000", "100", "60", "hex", "always", "1000"):
        assert f"default: {shown}" in " ".join(text.split())
