"""Entry point for `python -m retrieval`."""

import sys

from llm.cli_support import run
from retrieval.cli import app


def main(argv: list[str] | None = None) -> int:
    return run(app, argv, "python -m retrieval")


if __name__ == "__main__":
    sys.exit(main())
