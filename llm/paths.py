"""Where the project's files are, in one place: configs/, data/, evals/datasets/ and the like.

From a checkout they are found beside the packages; an installed package points ``EMOAI_HOME`` at a copy of
the project's files. Relative paths given by users are read from the working directory first.
"""

import os
from pathlib import Path

PROJECT_ROOT = Path(os.environ.get("EMOAI_HOME") or Path(__file__).resolve().parent.parent)


def project_file(*parts: str) -> Path:
    """A file or folder of the project, e.g. ``project_file("configs", "serving.yaml")``."""
    return PROJECT_ROOT.joinpath(*parts)


def project_path(path: str | Path) -> Path:
    """A relative path as given when it exists from the working directory, else from the project root."""
    path = Path(path).expanduser()
    if path.is_absolute() or path.exists():
        return path
    return PROJECT_ROOT / path


def shown_path(path: str | Path) -> str:
    """How reports show a path: relative to the project root when it is inside it, else as given."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT.resolve()))
    except ValueError:
        return str(path)
