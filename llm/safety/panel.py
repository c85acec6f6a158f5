"""A panel of crisis models that must all flag an entry before it is flagged.

Models trained on different data make different mistakes on ordinary text but find most real risk alike, so
requiring them to agree keeps most of the recall and drops many false alarms (docs/retrieval.md). A panel is a
directory holding ``crisis_panel.json``::

    {"members": ["../crisis-minilm-v9", "../crisis-minilm-v14", "../crisis-smollm2-v15"], "combine": "all"}

with member paths relative to that directory. Members are consulted cheapest first, each only on what every
member before it flagged. An entry longer than ``LATER_MEMBER_TOKENS`` tokens (by a member's tokenizer; a
5,000-character English entry is about 1,200) stops at the members already consulted and keeps their verdict: a
flag stays a flag, so the bound on cost never hides a risk the first member found.

Each member keeps its own threshold and scoring mode; all members must combine with the rules the same way
(``rules`` in their ``crisis_model.json``).
"""

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from llm.safety.model import METADATA_FILE, CrisisModel, CrisisModelError, load_crisis_model

PANEL_FILE = "crisis_panel.json"
SHIPPED_CRISIS_SCREEN = Path(__file__).resolve().parent / "shipped" / "crisis-screen"
LATER_MEMBER_TOKENS = 1536  # members after the first read entries up to this many tokens (see above)
# The one way members combine. `all` ships (v16 = v9 + v14 + v15). `vote` (at least min_votes members flag) and
# `mean` (the mean log-odds margin over each member's threshold) were measured against it for rule M
# (docs/experiments/crisis-screen-history.md), flagged two to three times as many ordinary entries, and were
# removed since nothing ships them; git history keeps them (commit 9c4066f).
Combine = Literal["all"]


class PanelSpec(BaseModel):
    """What ``crisis_panel.json`` holds."""

    model_config = ConfigDict(extra="forbid")
    members: list[str] = Field(min_length=2, description="member model directories, relative to the panel")
    combine: Combine = Field(default="all", description="all: every member must flag (the only mode)")


class CrisisPanel:
    """Several crisis models that must all flag an entry (the shipped screen is one)."""

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
        """Per entry: the risk score and whether the panel flags it.

        The score is the lowest among the members consulted, in order, each only on the entries all before it
        flagged (list the cheapest first: most ordinary entries never reach the larger models).
        """
        scores, flagged = [math.inf] * len(texts), [True] * len(texts)
        pending = list(range(len(texts)))
        for position, member in enumerate(self.members):
            if position > 0:  # bounded cost: over-long entries keep the verdict of the members before
                pending = [index for index in pending if member.token_count(texts[index]) <= LATER_MEMBER_TOKENS]
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
