"""A panel of crisis models that must all agree before an entry is flagged.

Models trained on different data make different mistakes on ordinary text but find most real risk alike, so
requiring every member to flag keeps most of the recall and drops many false alarms (measured in
docs/retrieval.md). A panel is a directory holding ``crisis_panel.json``::

    {"members": ["../crisis-minilm", "../crisis-minilm-v9"]}

with member paths relative to that directory, cheapest first (a member scores only what every member before it
flagged). Each member keeps its own threshold and scoring mode; all members must combine with the rules the
same way (``rules`` in their ``crisis_model.json``).
"""

import json
import math
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from llm.crisis_model import METADATA_FILE, CrisisModel, CrisisModelError, load_crisis_model

PANEL_FILE = "crisis_panel.json"
SHIPPED_CRISIS_SCREEN = Path(__file__).resolve().parent / "safety_data" / "crisis-screen"


class PanelSpec(BaseModel):
    """What ``crisis_panel.json`` holds."""

    model_config = ConfigDict(extra="forbid")
    members: list[str] = Field(min_length=2, description="member model directories, relative to the panel")


class CrisisPanel:
    """Several crisis models; an entry is flagged only when every one of them flags it."""

    def __init__(self, members: list[CrisisModel]) -> None:
        modes = {member.rules for member in members}
        if len(modes) != 1:
            raise CrisisModelError(f"panel members combine with the rules differently ({sorted(modes)}): "
                                   "retrain them with the same `rules` mode")
        self.members = members
        self.rules = modes.pop()
        self.version = "+".join(member.version for member in members)

    @classmethod
    def load(cls, path: str | Path) -> "CrisisPanel":
        """Load the panel described by ``path/crisis_panel.json``."""
        path = Path(path).expanduser()
        try:
            spec = PanelSpec.model_validate(json.loads((path / PANEL_FILE).read_text()))
        except (ValidationError, json.JSONDecodeError) as error:
            raise CrisisModelError(f"{path / PANEL_FILE}: {error}") from None
        return cls([load_crisis_model(str((path / member).resolve())) for member in spec.members])

    def assess(self, texts: list[str]) -> list[tuple[float, bool]]:
        """Per entry: whether every member flags it, and the lowest score among the members consulted.

        Members are consulted in order, each only on the entries all before it flagged: list the cheapest
        first, and most ordinary entries never reach the larger models.
        """
        scores, flagged = [math.inf] * len(texts), [True] * len(texts)
        pending = list(range(len(texts)))
        for member in self.members:
            if not pending:
                break
            for index, (score, flag) in zip(pending, member.assess([texts[i] for i in pending]), strict=True):
                scores[index], flagged[index] = min(scores[index], score), flag
            pending = [index for index in pending if flagged[index]]
        return list(zip(scores, flagged, strict=True))


@lru_cache(maxsize=4)
def load_crisis_screen(path: str) -> CrisisModel | CrisisPanel:
    """The model or panel at ``path`` (a directory with crisis_model.json or crisis_panel.json), loaded once."""
    folder = Path(path).expanduser()
    if (folder / PANEL_FILE).is_file():
        return CrisisPanel.load(folder)
    if (folder / METADATA_FILE).is_file():
        return load_crisis_model(str(folder))
    raise CrisisModelError(f"{folder} is neither a crisis model ({METADATA_FILE}) nor a panel ({PANEL_FILE}): "
                           "train one with `python -m finetune.crisis --config configs/finetune/crisis-minilm.yaml`")
