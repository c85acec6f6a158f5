"""`python -m llm ...` is the `emoai` command."""

from llm.cli import app

app()
