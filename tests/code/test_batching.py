"""Grouping texts for the model: every text once, each group within its limits."""

import itertools
import random

import pytest

from llm.batching import length_batches, token_packs


def padding_share(lengths, batch):
    sizes = [lengths[i] for i in batch]
    return len(sizes) * max(sizes) / sum(sizes) - 1


def test_every_index_once_within_limits_on_random_lengths():
    rng = random.Random(0)
    lengths = [rng.randint(3, 120) for _ in range(500)]
    batches = length_batches(lengths, max_size=32, max_padding=0.2)
    assert sorted(i for batch in batches for i in batch) == list(range(500))
    assert all(1 <= len(batch) <= 32 for batch in batches)
    assert all(padding_share(lengths, batch) <= 0.2 + 1e-9 for batch in batches)


def test_one_long_text_gets_its_own_batch():
    assert length_batches([5, 50, 5, 5], max_size=8) == [[0, 2, 3], [1]]


def test_equal_lengths_fill_batches_to_max_size():
    assert [len(b) for b in length_batches([10] * 70, max_size=32)] == [32, 32, 6]


def test_sorted_shortest_first():
    lengths = [9, 1, 5]
    assert [lengths[i] for batch in length_batches(lengths, max_size=1) for i in batch] == [1, 5, 9]


def test_empty_input_and_invalid_size():
    assert length_batches([], max_size=4) == []
    with pytest.raises(ValueError, match="max_size"):
        length_batches([3], max_size=0)


def test_packs_keep_order_and_stay_under_the_token_limit():
    rng = random.Random(1)
    lengths = [rng.randint(3, 120) for _ in range(500)]
    packs = token_packs(lengths, max_tokens=300)
    assert [i for pack in packs for i in pack] == list(range(500))
    assert all(sum(lengths[i] for i in pack) <= 300 for pack in packs)
    # greedy: the next text would not have fitted into the pack before it
    assert all(sum(lengths[i] for i in a) + lengths[b[0]] > 300 for a, b in itertools.pairwise(packs))


def test_a_text_longer_than_the_limit_is_a_pack_of_its_own():
    assert token_packs([5, 50, 5, 5], max_tokens=20) == [[0], [1], [2, 3]]


def test_empty_input_and_invalid_limit():
    assert token_packs([], max_tokens=4) == []
    with pytest.raises(ValueError, match="max_tokens"):
        token_packs([3], max_tokens=0)
