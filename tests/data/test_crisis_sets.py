"""The crisis screen's sets (data/crisis/manifest.yaml): every file is listed, every count is right, and no
training set shares a text with a set that is never trained on."""

import re

import pytest

from finetune.crisis.config import CrisisDataSettings
from finetune.crisis.train import load_rows
from llm.paths import project_file
from llm.safety.sets import crisis_sets, labelled_file, ordinary_sets, training_sets

SETS = crisis_sets()


def _key(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


@pytest.mark.parametrize("name", list(SETS))
def test_every_set_has_the_rows_the_manifest_says(name):
    assert len(SETS[name].read()) == SETS[name].rows  # read() also checks each row's fields


def test_every_file_in_the_data_folder_is_in_the_manifest_and_every_row_in_a_set():
    on_disk = {path.name for path in project_file("data", "crisis").glob("*.jsonl")}
    listed = {entry.path.resolve() for entry in SETS.values()}
    assert {project_file("data", "crisis", name).resolve() for name in on_disk} <= listed
    for path in listed:  # a file's sets cover all of it: its splits, or the whole file
        entries = [entry for entry in SETS.values() if entry.path.resolve() == path]
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        assert sum(entry.rows for entry in entries) == len(lines), path


def test_the_roles_split_the_sets_as_documented():
    assert labelled_file(SETS).name == "crisis_screen.jsonl"
    assert {entry.role for entry in ordinary_sets(SETS).values()} == {"blind-dev"}  # never trained on
    trained = training_sets(SETS)
    assert [name for name in trained if SETS[name].split is None] == [f"crisis_train{n}" for n in ("", *range(2, 8))]
    assert all(entry.writer for entry in SETS.values())


def test_the_leak_guard_keeps_every_text_of_a_set_that_is_never_trained_on_out_of_training():
    """The files share some texts and 6-word runs with blind sets; training drops those rows (load_rows)."""
    trained = {_key(row["text"]) for row in load_rows(CrisisDataSettings(ordinary_negatives=0))}
    held_out = {_key(row["text"]) for entry in SETS.values() if entry.role != "train" and entry.name
                not in training_sets(SETS) for row in entry.read()}
    assert len(trained) > 5000 and not trained & held_out
