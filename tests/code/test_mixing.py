"""Training mixes and validation sets of a recipe, on the fixture data."""

from collections import Counter

import pytest

from finetune.config import DataSettings, MixPart
from finetune.mixing import training_mix, validation_sets
from llm.datasets import load_split


def test_repeat_gives_whole_copies_plus_a_seeded_fraction(fixture_data_dir):
    rows = load_split("train")
    mix = training_mix(DataSettings(mix=[MixPart(dataset="dair-ai", repeat=2.5)]), seed=0)
    assert len(mix) == int(2.5 * len(rows))
    counts = Counter(e.text for e in mix)
    assert set(counts.values()) <= {2, 3} and sum(c == 3 for c in counts.values()) == len(rows) // 2
    assert mix == training_mix(DataSettings(mix=[MixPart(dataset="dair-ai", repeat=2.5)]), seed=0)
    assert mix != training_mix(DataSettings(mix=[MixPart(dataset="dair-ai", repeat=2.5)]), seed=1)


def test_parts_add_up_and_train_limit_cuts_the_shuffled_mix(fixture_data_dir):
    parts = [MixPart(dataset="dair-ai", repeat=1), MixPart(dataset="dair-ai", split="validation", repeat=0.5)]
    mix = training_mix(DataSettings(mix=parts), seed=0)
    assert len(mix) == len(load_split("train")) + len(load_split("validation")) // 2
    assert len(training_mix(DataSettings(mix=parts, train_limit=10), seed=0)) == 10


def test_validation_sets_are_named_and_cut_to_eval_limit(fixture_data_dir):
    sets = validation_sets(DataSettings(validation=["dair-ai-validation", "dair-ai-train"], eval_limit=5))
    assert list(sets) == ["dair-ai-validation", "dair-ai-train"] and all(len(v) == 5 for v in sets.values())


def test_an_unknown_mix_dataset_is_a_clear_config_error():
    with pytest.raises(ValueError, match="dataset"):
        MixPart(dataset="twitter")
