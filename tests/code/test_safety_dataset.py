"""The labelled crisis set and the screen's measured quality on it (the release gate the eval harness applies)."""

from retrieval.quality import CRISIS_SET, evaluate_crisis_screen, read_jsonl


def test_crisis_set_is_large_balanced_and_well_formed():
    rows = read_jsonl(CRISIS_SET, ("text", "crisis", "kind"))
    assert len(rows) >= 150
    assert len({row["text"] for row in rows}) == len(rows)
    kinds = {row["kind"] for row in rows}
    assert {"explicit", "indirect", "hyperbole", "lyrics", "film", "past_recovered"} <= kinds
    positives = sum(row["crisis"] for row in rows)
    assert 0.3 <= positives / len(rows) <= 0.7
    assert {row["split"] for row in rows} == {"dev", "heldout", "heldout2"}


def test_screen_meets_the_recall_and_precision_targets_on_both_splits():
    result = evaluate_crisis_screen()
    for split, scores in result["splits"].items():
        assert scores["recall"] >= 0.95, (split, result["false_negatives"])
        assert scores["precision"] >= 0.85, (split, result["false_positives"])
    assert result["n"] == sum(scores["n"] for scores in result["splits"].values())
