"""`python -m llm ...` is the `emoai` command."""

from llm.cli import app

if __name__ == "__main__":
    app(prog_name="emoai")
