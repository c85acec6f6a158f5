"""A panel of crisis models whose verdicts are combined before an entry is flagged.

Models trained on different data make different mistakes on ordinary text but find most real risk alike, so
requiring them to agree keeps most of the recall and drops many false alarms (measured in docs/retrieval.md).
A panel is a directory holding ``crisis_panel.json``::

    {"members": ["../crisis-minilm", "../crisis-minilm-v9"], "combine": "all"}

with member paths relative to that directory. ``combine`` says how the members decide:

- ``all`` (the default): every member must flag. Members are consulted cheapest first, each only on what every
  member before it flagged. An entry longer than ``LATER_MEMBER_TOKENS`` tokens (by a member's tokenizer; a
  5,000-character English entry is about 1,200) stops at the members already consulted and keeps their verdict:
  a flag stays a flag, so the bound on cost never hides a risk the first member found;
- ``vote``: at least ``min_votes`` members must flag (default: more than half);
- ``mean``: the members' mean log-odds margin over their own thresholds, ``logit(score) - logit(threshold)``,
  must be >= 0, so one confident member can outvote a hesitant one.

Each member keeps its own threshold and scoring mode; all members must combine with the rules the same way
(``rules`` in their ``crisis_model.json``).
"""

import json
import math
import statistics
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from llm.crisis_model import METADATA_FILE, CrisisModel, CrisisModelError, load_crisis_model

PANEL_FILE = "crisis_panel.json"
SHIPPED_CRISIS_SCREEN = Path(__file__).resolve().parent / "safety_data" / "crisis-screen"
SCORE_FLOOR = 1e-7  # scores and thresholds are clipped to [floor, 1 - floor] before taking log-odds
LATER_MEMBER_TOKENS = 1536  # `all`: members after the first read entries up to this many tokens (see above)
Combine = Literal["all", "vote", "mean"]


class PanelSpec(BaseModel):
    """What ``crisis_panel.json`` holds."""

    model_config = ConfigDict(extra="forbid")
    members: list[str] = Field(min_length=2, description="member model directories, relative to the panel")
    combine: Combine = Field(default="all", description="all | vote | mean (see the module docstring)")
    min_votes: int | None = Field(default=None, ge=1, description="`vote` only: members that must flag "
                                                                   "(default: more than half)")

    @model_validator(mode="after")
    def _votes_fit_the_panel(self) -> "PanelSpec":
        if self.min_votes is not None and (self.combine != "vote" or self.min_votes > len(self.members)):
            raise ValueError(f"min_votes={self.min_votes} needs combine 'vote' and at most {len(self.members)} "
                             "members")
        return self


def log_odds_margin(score: float, threshold: float) -> float:
    """How far a member's score lies above its own threshold, in log-odds (negative: below it)."""
    def logit(p: float) -> float:
        p = min(max(p, SCORE_FLOOR), 1.0 - SCORE_FLOOR)
        return math.log(p / (1.0 - p))
    return logit(score) - logit(threshold)


def panel_flags(combine: Combine, scores: Sequence[float], thresholds: Sequence[float], min_votes: int) -> bool:
    """Whether a panel flags one entry, from each member's score and threshold."""
    if combine == "mean":
        margins = [log_odds_margin(score, threshold) for score, threshold in zip(scores, thresholds, strict=True)]
        return sum(margins) / len(margins) >= 0.0
    votes = sum(score >= threshold for score, threshold in zip(scores, thresholds, strict=True))
    return votes >= (len(scores) if combine == "all" else min_votes)


class CrisisPanel:
    """Several crisis models whose verdicts are combined (``combine``) into one flag per entry."""

    def __init__(self, members: list[CrisisModel], combine: Combine = "all", min_votes: int | None = None) -> None:
        modes = {member.rules for member in members}
        if len(modes) != 1:
            raise CrisisModelError(f"panel members combine with the rules differently ({sorted(modes)}): "
                                   "retrain them with the same `rules` mode")
        self.members = members
        self.rules = modes.pop()
        self.combine = combine
        self.min_votes = min_votes or len(members) // 2 + 1
        names = "+".join(member.version for member in members)
        self.version = names if combine == "all" else f"{combine}({names})"

    def rule(self) -> str:
        """How the members' verdicts combine, in words."""
        if self.combine == "all":
            return "that must all flag"
        if self.combine == "vote":
            return f"of which at least {self.min_votes} must flag"
        return "whose mean log-odds margin over their thresholds must be >= 0"

    @classmethod
    def load(cls, path: str | Path) -> "CrisisPanel":
        """Load the panel described by ``path/crisis_panel.json``."""
        path = Path(path).expanduser()
        try:
            spec = PanelSpec.model_validate(json.loads((path / PANEL_FILE).read_text()))
        except (ValidationError, json.JSONDecodeError) as error:
            raise CrisisModelError(f"{path / PANEL_FILE}: {error}") from None
        return cls([load_crisis_model(str((path / member).resolve())) for member in spec.members],
                   spec.combine, spec.min_votes)

    def assess(self, texts: list[str]) -> list[tuple[float, bool]]:
        """Per entry: the risk score and whether the panel flags it.

        ``all``: the score is the lowest among the members consulted, in order, each only on the entries all
        before it flagged (list the cheapest first: most ordinary entries never reach the larger models).
        ``vote`` and ``mean``: every member scores every entry, and the score is the members' median.
        """
        if self.combine != "all":
            member_scores = [member.risk(texts) for member in self.members]
            thresholds = [member.threshold for member in self.members]
            return [(statistics.median_low(scores), panel_flags(self.combine, scores, thresholds, self.min_votes))
                    for scores in zip(*member_scores, strict=True)]
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
