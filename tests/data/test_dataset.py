"""The shared dair-ai/emotion copy and the loader's validation."""

import json
from collections import Counter

import pytest

from llm.datasets import DatasetError, load_split, read_labelled_jsonl
from llm.labels import EMOTIONS

EXPECTED_SIZES = {"train": 16000, "validation": 2000, "test": 2000}


@pytest.mark.parametrize("split", EXPECTED_SIZES)
def test_split_schema_size_and_label_set(shared_data_dir, split):
    examples = load_split(split, str(shared_data_dir))
    assert len(examples) == EXPECTED_SIZES[split]
    assert {e.label for e in examples} == set(range(len(EMOTIONS)))
    assert all(e.text == e.text.strip() and e.text.islower() for e in examples)


def test_dataset_text_is_already_in_normalised_form(shared_data_dir):
    from llm.text import dair_text

    examples = load_split("validation", str(shared_data_dir))
    unchanged = sum(dair_text(e.text) == e.text for e in examples) / len(examples)
    assert unchanged > 0.85  # measured 0.889: only split contractions ("don t" -> "dont") change


def test_leakage_between_splits_is_small_and_known(shared_data_dir):
    texts = {split: {e.text for e in load_split(split, str(shared_data_dir))} for split in EXPECTED_SIZES}
    assert len(texts["train"] & texts["test"]) == 11
    assert len(texts["train"] & texts["validation"]) == 5
    assert len(texts["validation"] & texts["test"]) == 3


def test_class_balance_matches_the_dataset_card(shared_data_dir):
    counts = Counter(e.label_text for e in load_split("train", str(shared_data_dir)))
    assert counts["joy"] == 5362 and counts["surprise"] == 572


def test_env_var_points_the_loader_at_a_local_directory(fixture_data_dir):
    assert len(load_split("train")) == 64


def _write(tmp_path, lines):
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("line, message", [
    ("not json", "not valid JSON"),
    ('["a list"]', "expected a JSON object"),
    ('{"label": 1}', "'text' must be a non-empty string"),
    ('{"text": "   ", "label": 1}', "'text' must be a non-empty string"),
    ('{"text": "hi"}', "needs 'label'"),
    ('{"text": "hi", "label": 9}', "'label' must be an integer 0-5"),
    ('{"text": "hi", "label": true}', "'label' must be an integer 0-5"),
    ('{"text": "hi", "label_text": "happy"}', "unknown emotion 'happy'"),
    ('{"text": "hi", "label": 1, "label_text": "anger"}', "disagrees"),
])
def test_malformed_rows_are_rejected_with_file_and_line(tmp_path, line, message):
    path = _write(tmp_path, [json.dumps({"text": "fine", "label": 0}), line])
    with pytest.raises(DatasetError, match=message) as error:
        read_labelled_jsonl(path)
    assert f"{path}:2" in str(error.value)


def test_label_text_alone_is_accepted(tmp_path):
    path = _write(tmp_path, [json.dumps({"text": "so happy", "label_text": "joy"})])
    assert read_labelled_jsonl(path)[0].label == 1


def test_missing_and_empty_files_and_unknown_splits_are_clear(tmp_path):
    with pytest.raises(DatasetError, match="not found"):
        read_labelled_jsonl(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(DatasetError, match="has no rows"):
        read_labelled_jsonl(tmp_path / "empty.jsonl")
    with pytest.raises(DatasetError, match="unknown split"):
        load_split("dev", str(tmp_path))
