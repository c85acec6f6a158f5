"""The labelled crisis set and the screen's measured quality on it (the release gate the eval harness applies)."""

from typer.testing import CliRunner

from evals.crisis_screen import app, evaluate_crisis_screen, everyday_flag_rates
from llm.io import read_jsonl
from llm.safety.sets import crisis_sets, labelled_file, ordinary_sets

SETS = crisis_sets()
SPLITS = {name: entry for name, entry in SETS.items() if entry.split is not None}
RULE_SPLITS = tuple(name for name, entry in SPLITS.items() if entry.role == "train")  # the rules were built on these
# written by writers who never saw the rules or the models' data: blind until used for a decision, then trained on
# (heldout13 and heldout14 by two of the three shipped models, v14 and v15)
SPENT_SPLITS = tuple(name for name, entry in SPLITS.items() if entry.role == "spent")
BLIND_SPLITS = tuple(name for name, entry in SPLITS.items() if entry.role == "blind-dev")  # no shipped model trains on these


def test_the_manifest_names_the_splits_by_role():
    assert RULE_SPLITS == ("dev", "heldout", "heldout2")
    assert len(SPENT_SPLITS) == 8 and len(BLIND_SPLITS) == 6


def test_crisis_set_is_large_balanced_and_well_formed():
    rows = read_jsonl(labelled_file(SETS), ("text", "crisis", "kind"))
    assert len(rows) >= 150
    assert len({row["text"] for row in rows}) == len(rows)
    kinds = {row["kind"] for row in rows}
    assert {"explicit", "indirect", "hyperbole", "lyrics", "film", "past_recovered"} <= kinds
    positives = sum(row["crisis"] for row in rows)
    assert 0.3 <= positives / len(rows) <= 0.7
    assert {row["split"] for row in rows} == {*RULE_SPLITS, *SPENT_SPLITS, *BLIND_SPLITS}


def test_the_rules_meet_the_targets_on_the_splits_they_were_built_on():
    """The default screen (rules only). On the splits written by others they miss the recall target
    (docs/retrieval.md)."""
    result = evaluate_crisis_screen()
    assert set(result["components"]) == {"rules"}
    for split, scores in result["splits"].items():
        if split in RULE_SPLITS:
            assert scores["recall"] >= 0.95, (split, result["false_negatives"])
            assert scores["precision"] >= 0.85, (split, result["false_positives"])
    assert result["n"] == sum(scores["n"] for scores in result["splits"].values())


def test_the_rules_leave_everyday_journal_entries_alone():
    """Every flag replaces activity suggestions with crisis resources: ordinary entries must not trip the rules."""
    rates = everyday_flag_rates(model=None, emotion_split=None)
    assert list(rates) == list(ordinary_sets(SETS)) and len(rates) == 8  # the journal entries, everyday 1 to 7
    assert rates["journal_entries"]["n"] >= 80
    assert all(rates[name]["n"] >= 199 for name in list(rates)[1:])  # 200 written; exact copies of other texts dropped
    assert all(counts["flagged"] == 0 for counts in rates.values()), rates


def test_screen_eval_prints_recall_and_precision_per_split():
    result = CliRunner().invoke(app, ["--no-everyday"])
    assert result.exit_code == 0, result.output
    measured = evaluate_crisis_screen()
    lines = result.stdout.splitlines()  # the table; the progress bar goes to stderr
    assert lines[0] == "crisis screen: rules only"
    for split, scores in {**measured["splits"], "all": measured}.items():
        row = next(line.split() for line in lines if line.split()[0] == split)
        assert row[1:] == [str(scores["n"]), str(scores["positives"]), str(scores["flagged"]),
                           f"{scores['recall']:.3f}", f"{scores['precision']:.3f}"]
    missing = CliRunner().invoke(app, ["--no-everyday", "--model", "/no/such/model"])
    assert missing.exit_code == 2 and "python -m finetune.crisis" in missing.output
