"""Every command's --help: examples, and a help text for every option (walks all parsers)."""
import argparse

import pytest

from evlearn.cli import main as cli_main


def _parsers(parser, path=("evlearn",)):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, path + (name,))


PARSERS = list(_parsers(cli_main.build_parser()))


def test_every_part_has_a_command():
    assert {path[1] for path, _ in PARSERS if len(path) > 1} == set(cli_main.SUBCOMMANDS)


@pytest.mark.parametrize("path,parser", PARSERS, ids=[" ".join(p) for p, _ in PARSERS])
def test_help_has_examples_and_every_option_a_help_text(path, parser):
    text = parser.format_help()
    assert "examples:" in text, f"`{' '.join(path)} --help` shows no examples"
    assert "evlearn" in text.split("examples:", 1)[1], "the examples must be commands"
    undocumented = [action.option_strings or action.dest for action in parser._actions
                    if not isinstance(action, (argparse._HelpAction, argparse._VersionAction,
                                               argparse._SubParsersAction)) and not action.help]
    assert not undocumented, f"`{' '.join(path)}`: options without help text: {undocumented}"


def test_time_options_given_in_ms_say_so():
    fit = dict(PARSERS)[("evlearn", "feast", "fit")]
    tau = next(a for a in fit._actions if "--tau" in a.option_strings)
    assert "in ms" in tau.help


def test_a_command_whose_module_fails_to_import_is_listed_and_explains(monkeypatch, capsys):
    """No silent skip: the command stays visible and running it says what failed."""
    monkeypatch.setattr(cli_main, "SUBCOMMANDS", cli_main.SUBCOMMANDS + ("no_such_part",))
    assert "no_such_part" in cli_main.build_parser().format_help()
    assert cli_main.main(["no_such_part", "anything"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "evlearn.cli.no_such_part" in err and "ModuleNotFoundError" in err
