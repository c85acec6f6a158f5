"""The cost guards of the crisis screen (llm/degenerate.py, the panel's token budget) change nothing on the
texts its pinned numbers were measured on: no crisis, everyday or journal text is wordless, has a run the
screen would cut, or is longer than what the later panel members read."""

import json

from llm.degenerate import collapse_repeats, is_wordless
from llm.paths import PROJECT_ROOT
from llm.safety.panel import LATER_MEMBER_TOKENS

SETS = sorted([*PROJECT_ROOT.glob("evals/datasets/*.jsonl"), *PROJECT_ROOT.glob("data/crisis/*.jsonl"),
               *PROJECT_ROOT.glob("data/journal/*.jsonl")])
CHARS_PER_TOKEN_FLOOR = 2  # English prose is about 4 characters per token; this bounds the count from above


def texts() -> list[str]:
    rows = [json.loads(line) for path in SETS for line in path.read_text().splitlines() if line.strip()]
    return [row["text"] for row in rows if isinstance(row.get("text"), str)]


def test_the_screens_pinned_sets_are_untouched_by_the_cost_guards():
    found = texts()
    assert len(SETS) >= 10 and len(found) > 10_000
    assert [t for t in found if is_wordless(t)] == []
    assert [t for t in found if collapse_repeats(t) != t] == []
    assert max(len(t) for t in found) < LATER_MEMBER_TOKENS * CHARS_PER_TOKEN_FLOOR
