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
    assert {row["split"] for row in rows} == {"dev", "heldout", "heldout2", "heldout3"}


def test_the_rules_meet_the_targets_on_the_splits_they_were_built_on():
    """The default screen (rules only). On the blind `heldout3` they miss the recall target (docs/retrieval.md)."""
    result = evaluate_crisis_screen()
    assert set(result["components"]) == {"rules"}
    for split, scores in result["splits"].items():
        if split != "heldout3":
            assert scores["recall"] >= 0.95, (split, result["false_negatives"])
            assert scores["precision"] >= 0.85, (split, result["false_positives"])
    assert result["n"] == sum(scores["n"] for scores in result["splits"].values())


def test_with_the_learned_model_recall_meets_the_target_on_every_split():
    """The opt-in learned model: recall >= 0.95 on every split, the blind one included (precision is not)."""
    result = evaluate_crisis_screen(model="shipped")
    assert set(result["components"]) == {"rules", "classifier"}
    for split, scores in result["splits"].items():
        assert scores["recall"] >= 0.95, (split, result["false_negatives"])
