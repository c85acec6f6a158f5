"""The shipped crisis screen's pinned numbers: every labelled text and ordinary entry through the three-model
panel (about 7.5 minutes on 2 cores; a change in scoring, models or data shows up here)."""

import pytest

from evals.crisis_screen import evaluate_crisis_screen, everyday_flag_rates
from tests.code.test_safety_dataset import BLIND_SPLITS

# The shipped screen, on by default (v16: models v9, v14 and v15 must all flag), as docs/retrieval.md reports it.
# Blind splits: (risk texts, found, flagged); recall >= 0.95 and precision >= 0.85 on each.
SHIPPED_ON_BLIND = {"heldout8": (100, 98, 103), "heldout9": (100, 99, 107), "heldout11": (99, 97, 105),
                    "heldout12": (97, 93, 103), "heldout15": (99, 98, 111), "heldout16": (100, 96, 99)}
SHIPPED_EVERYDAY_FLAGS = {"journal_entries": 1, "everyday_journal": 8, "everyday_journal2": 9,
                          "everyday_journal3": 6, "everyday_journal4": 8, "everyday_journal5": 9,
                          "everyday_journal6": 8, "everyday_journal7": 8}


@pytest.mark.slow
def test_the_shipped_screen_gives_its_documented_numbers():
    """The default screen: recall >= 0.95 on the splits its models trained on, and exactly the documented counts
    on the blind splits and the ordinary entries (a change in scoring or data shows up here)."""
    result = evaluate_crisis_screen(model="shipped")
    assert set(result["components"]) == {"rules", "classifier"}
    for split, scores in result["splits"].items():
        if split in BLIND_SPLITS:
            found = round(scores["recall"] * scores["positives"])
            assert (scores["positives"], found, scores["flagged"]) == SHIPPED_ON_BLIND[split], split
            assert scores["recall"] >= 0.95 and scores["precision"] >= 0.85, split
        else:
            assert scores["recall"] >= 0.95, (split, result["false_negatives"])
    rates = everyday_flag_rates(model="shipped", emotion_split=None)
    assert {name: counts["flagged"] for name, counts in rates.items()} == SHIPPED_EVERYDAY_FLAGS
