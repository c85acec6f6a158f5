"""What every command-line entry point shares: Typer, ``-h``/``--help``, plain help that ends in copy-paste
examples, one ``error: ...`` line with exit code 2, options that take several values, and ``main(argv) -> int``.

The entry points: ``emoai`` (llm/cli.py), ``python -m finetune`` (and ``.baseline``, ``.crisis``, ``.plan``,
``.ship``, ``.soup``), ``python -m evals`` (and ``.crisis_screen``, ``.vote_fit``), ``python -m retrieval``,
``python -m serving``, ``python -m serving.rescore``. Each module holds a Typer ``app`` and a
``main(argv=None) -> int``.
"""

import re
import sys
from collections.abc import Iterable
from typing import Any, NoReturn

import typer

HELP_OPTIONS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}
# recipe overrides (``training.max_steps=2000``) are arguments; an unknown ``--option`` reaches the recipe parser,
# which refuses it with the key=value hint
PASS_THROUGH: dict[str, Any] = {"allow_extra_args": True, "ignore_unknown_options": True}
_NEGATIVE_NUMBER = re.compile(r"-(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def new_app(help: str, examples: str | None = None, **settings: Any) -> typer.Typer:
    """A Typer app in the project's style: plain help (examples stay on one line each), plain tracebacks."""
    return typer.Typer(help=help, epilog=examples, add_completion=False, rich_markup_mode=None,
                       pretty_exceptions_enable=False, context_settings=HELP_OPTIONS, **settings)


def command_settings(**extra: Any) -> dict[str, Any]:
    """Context settings for one command (a one-command app does not inherit the app's ``-h``)."""
    return {**HELP_OPTIONS, **extra}


def examples(*commands: str, note: str | None = None) -> str:
    """A help epilog: ``Examples:`` and the commands one a line, printed as written (click's ``\\b``)."""
    text = "Examples:\n\n\b\n" + "\n".join(commands)
    return f"{text}\n\n{note}" if note else text


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one ``error: ...`` line to stderr and exit (2: bad input)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=code)


def spread_values(args: list[str], options: Iterable[str]) -> list[str]:
    """``--gpus 1 2 8`` -> ``--gpus 1 --gpus 2 --gpus 8``: the form Click reads for a list option."""
    options = set(options)
    spread, current, fresh = [], None, False
    for arg in args:
        if arg in options:
            current, fresh = arg, True
            spread.append(arg)
        elif current is not None and (not arg.startswith("-") or _NEGATIVE_NUMBER.fullmatch(arg)):
            spread += [arg] if fresh else [current, arg]
            fresh = False
        else:
            current = None
            spread.append(arg)
    return spread


def run(app: typer.Typer, argv: list[str] | None, prog_name: str, multi_value: Iterable[str] = ()) -> int:
    """Run ``app`` on ``argv`` (default: ``sys.argv[1:]``) and return its exit code instead of exiting."""
    args = spread_values(list(sys.argv[1:] if argv is None else argv), multi_value)
    try:
        app(args=args, prog_name=prog_name)
    except SystemExit as done:
        return exit_code(done.code)
    return 0


def exit_code(code: object) -> int:
    """A ``SystemExit`` code as an integer (None is success, a message is failure)."""
    if code is None:
        return 0
    return code if isinstance(code, int) else 1
