"""Every entry point's --help ends in copy-paste examples, and every example parses: its program exists, its
options exist (and take the values given), the recipes it names are in configs/."""

import re
import shlex

import pytest
import typer
from typer.testing import CliRunner

import evals.__main__
import evals.crisis_screen
import evals.vote_fit
import finetune.__main__
import finetune.baseline.__main__
import finetune.crisis.__main__
import finetune.plan
import finetune.ship
import finetune.soup
import llm.cli
import retrieval.cli
import serving.__main__
import serving.rescore
from llm.cli_support import spread_values
from llm.paths import project_file

# program -> (its Typer app, the options that take several values)
ENTRY_POINTS: dict[str, tuple[typer.Typer, tuple[str, ...]]] = {
    "emoai": (llm.cli.app, ()),
    "python -m finetune": (finetune.__main__.app, ()),
    "python -m finetune.baseline": (finetune.baseline.__main__.app, ()),
    "python -m finetune.crisis": (finetune.crisis.__main__.app, ()),
    "python -m finetune.plan": (finetune.plan.app, finetune.plan.MULTI_VALUE),
    "python -m finetune.ship": (finetune.ship.app, ()),
    "python -m finetune.soup": (finetune.soup.app, finetune.soup.MULTI_VALUE),
    "python -m evals": (evals.__main__.app, ()),
    "python -m evals.crisis_screen": (evals.crisis_screen.app, ()),
    "python -m evals.vote_fit": (evals.vote_fit.app, evals.vote_fit.MULTI_VALUE),
    "python -m retrieval": (retrieval.cli.app, ()),
    "python -m serving": (serving.__main__.app, ()),
    "python -m serving.rescore": (serving.rescore.app, ()),
}
# `emoai <name> ...` runs `python -m <module> ...`
EMOAI_MODULES = {"finetune": "python -m finetune", "baseline": "python -m finetune.baseline",
                 "evals": "python -m evals", "retrieval": "python -m retrieval", "serve": "python -m serving",
                 "rescore": "python -m serving.rescore"}


def _help_pages() -> list[tuple[str, list[str]]]:
    """(program, subcommand path) of every help page: each entry point and each of its subcommands."""
    pages = []
    for program, (app, _) in ENTRY_POINTS.items():
        command = typer.main.get_command(app)
        pages.append((program, []))
        if hasattr(command, "commands") and program != "emoai":
            pages += [(program, [name]) for name in command.commands]
    return [*pages, ("emoai", ["classify"])]


def _help(program: str, path: list[str]) -> str:
    result = CliRunner().invoke(ENTRY_POINTS[program][0], [*path, "--help"], prog_name=program)
    assert result.exit_code == 0, result.output
    return result.output


def _examples(text: str) -> list[str]:
    """The commands under 'Examples:', one a line (indented deeper than the notes that may follow)."""
    lines = text.split("Examples:", 1)[1].splitlines()
    return [line.strip() for line in lines if re.match(r" {4}\S", line)]


def _program_and_args(example: str) -> tuple[str, list[str]]:
    """``EMOAI_DATA_DIR=x python -m finetune --config y | jq`` -> ("python -m finetune", ["--config", "y"])."""
    words = shlex.split(example.split(" | ")[0])
    while "=" in words[0]:  # environment variables
        words.pop(0)
    if words[0] == "deepspeed":
        at = next(i for i, word in enumerate(words) if word in ("-m", "--module"))
        words = ["python", "-m", *words[at + 1:]]
    if words[0] == "emoai":
        if words[1] in EMOAI_MODULES:
            return EMOAI_MODULES[words[1]], words[2:]
        return "emoai", words[1:]
    assert words[:2] == ["python", "-m"], example
    return f"python -m {words[2]}", words[3:]


def _parse(program: str, args: list[str]) -> list[typer.Context]:
    """Parse the arguments as the entry point would (types, choices, required options), running nothing."""
    app, multi_value = ENTRY_POINTS[program]
    command = typer.main.get_command(app)
    contexts = [command.make_context(program, spread_values(args, multi_value))]
    while hasattr(command, "commands") and contexts[-1]._protected_args:  # a group given a subcommand
        rest = [*contexts[-1]._protected_args, *contexts[-1].args]
        command = command.get_command(contexts[-1], rest[0])
        assert command is not None, f"{program}: no subcommand {rest[0]!r}"
        contexts.append(command.make_context(rest[0], rest[1:], parent=contexts[-1]))
    return contexts


def test_every_entry_point_and_subcommand_is_covered():
    assert {name for name in typer.main.get_command(llm.cli.app).commands} == {"classify", *EMOAI_MODULES}
    assert set(EMOAI_MODULES.values()) <= set(ENTRY_POINTS)


@pytest.mark.parametrize(("program", "path"), _help_pages(), ids=lambda value: value if isinstance(value, str)
                         else " ".join(value))
def test_help_shows_examples_that_name_real_options(program, path):
    text = _help(program, path)
    commands = _examples(text)
    assert commands, f"{program} {' '.join(path)} --help shows no examples:\n{text}"
    for example in commands:
        target, args = _program_and_args(example)
        contexts = _parse(target, args)
        known = {opt for context in contexts for param in context.command.params if param.param_type_name == "option"
                 for opt in (*param.opts, *param.secondary_opts)}
        used = [arg.split("=")[0] for arg in args if re.match(r"--?[a-zA-Z]", arg)]
        assert set(used) <= known, f"{example}: no option {set(used) - known} in {target}"
        for path_arg in (arg for arg in args if arg.startswith("configs/")):
            assert project_file(path_arg).is_file(), f"{example}: {path_arg} does not exist"
