"""The crisis screen's text sets, as ``data/crisis/manifest.yaml`` lists them: the one list that training (which
sets it reads, what the leak guard holds out), the eval harness (the labelled splits, the ordinary entries) and
the tests read.

A set is a whole JSONL file or, with ``split``, the rows of a file whose ``split`` field names it (the labelled
set ``crisis_screen.jsonl`` holds seventeen splits, each by its own writer). Its ``role`` says what may read it:
``train``, ``spent`` (was blind until it decided something; training may read it now) or ``blind-dev`` (never
trained on). Its ``content`` says what its rows hold: ``risk`` (labelled ``text`` + boolean ``crisis``) or
``ordinary`` (everyday entries with no risk: a ``text``).
"""

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from llm.io import read_jsonl
from llm.paths import project_file, project_path

MANIFEST = project_file("data", "crisis", "manifest.yaml")
Role = Literal["train", "spent", "blind-dev"]
Content = Literal["risk", "ordinary"]


class CrisisSet(BaseModel):
    """One set of the manifest; ``path`` is its file, resolved against the manifest's folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    file: str
    path: Path
    split: str | None = None
    content: Content
    role: Role
    writer: str
    rows: int = Field(ge=1)
    notes: str | None = None

    def read(self) -> list[dict]:
        """The set's rows, each checked (``risk``: a string ``text`` and a boolean ``crisis``), and their count
        checked against the manifest."""
        rows = [row for row in _file_rows(self.path, self.content) if self.split is None or row.get("split") == self.split]
        if len(rows) != self.rows:
            raise ValueError(f"{self.path}{f' split {self.split}' if self.split else ''} has {len(rows)} rows; "
                             f"the manifest says {self.rows}")
        return rows


def _file_rows(path: Path, content: Content) -> list[dict]:
    rows = read_jsonl(path, ("text", "crisis") if content == "risk" else ("text",))
    for number, row in enumerate(rows, 1):
        if not isinstance(row["text"], str) or (content == "risk" and not isinstance(row["crisis"], bool)):
            raise ValueError(f"{path}: row {number}: needs a string 'text'"
                             f"{' and a boolean ' + repr('crisis') if content == 'risk' else ''}")
    return rows


def crisis_sets(manifest: str | Path = MANIFEST) -> dict[str, CrisisSet]:
    """Every set of the manifest, in its order (a relative ``manifest`` is read from the working directory first,
    then from the project)."""
    manifest = project_path(manifest)
    if not manifest.is_file():
        raise FileNotFoundError(f"crisis set manifest not found: {manifest}")
    entries = (yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}).get("sets") or {}
    sets = {}
    for name, entry in entries.items():
        try:
            sets[name] = CrisisSet(name=name, path=manifest.parent / str(entry.get("file")), **entry)
        except (ValidationError, TypeError) as error:
            raise ValueError(f"{manifest}: set {name!r}: {error}") from None
    return sets


def training_sets(sets: dict[str, CrisisSet]) -> list[str]:
    """What a recipe trains on unless it names its sets: every labelled set whose role is train or spent."""
    return [name for name, entry in sets.items() if entry.role in ("train", "spent") and entry.content == "risk"]


def labelled_file(sets: dict[str, CrisisSet]) -> Path:
    """The one file that holds the labelled splits (the crisis set the eval harness measures recall on)."""
    files = {entry.path for entry in sets.values() if entry.split is not None and entry.content == "risk"}
    if len(files) != 1:
        raise ValueError(f"the manifest's labelled splits should all be in one file, found {sorted(map(str, files))}")
    return files.pop()


def ordinary_sets(sets: dict[str, CrisisSet]) -> dict[str, CrisisSet]:
    """The everyday entries with no risk, on which the share of entries the screen flags is measured."""
    return {name: entry for name, entry in sets.items() if entry.content == "ordinary"}
