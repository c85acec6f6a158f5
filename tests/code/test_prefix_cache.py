"""The fast scoring path (merged LoRA, cached prompt prefix) gives the plain full-prompt path's scores."""

import pytest
import torch

from llm.backends.transformers_backend import TransformersClassifier
from llm.config import ModelConfig
from llm.labels import EMOTIONS
from llm.prefix_cache import PrefixCache
from llm.scoring import split_backbone_and_head
from tests.eval_fixtures import tiny_lora_adapter

MAX_TEXT_TOKENS = 12
TEXTS = ["i feel so alone", "I am SO happy with my day!!", "furious", "nervous about tomorrow and the day after",
         "honestly i feel tender towards my partner and fond of my old friends and my family and my dog"]
TOLERANCE = 1e-3


@pytest.fixture(scope="module")
def adapter_dir(tiny_model_dir, tmp_path_factory):
    return tiny_lora_adapter(tiny_model_dir, tmp_path_factory.mktemp("adapter"), seed=3)


def _pair(base_dir, adapter) -> tuple[TransformersClassifier, TransformersClassifier]:
    settings = {"base_model": str(base_dir), "adapter": str(adapter) if adapter else None, "dtype": "float32",
                "device": "cpu", "max_text_tokens": MAX_TEXT_TOKENS}
    return (TransformersClassifier(ModelConfig(**settings, fast_path=True)),
            TransformersClassifier(ModelConfig(**settings, fast_path=False)))


def _assert_same_scores(fast: TransformersClassifier, plain: TransformersClassifier, texts: list[str]) -> None:
    fast_scores = torch.tensor([[p.scores[e] for e in EMOTIONS] for p in fast.predict(texts)])
    plain_scores = torch.tensor([[p.scores[e] for e in EMOTIONS] for p in plain.predict(texts)])
    assert (fast_scores - plain_scores).abs().max().item() <= TOLERANCE
    assert fast_scores.argmax(dim=1).tolist() == plain_scores.argmax(dim=1).tolist()


@pytest.mark.parametrize("with_adapter", [True, False], ids=["adapter", "base"])
def test_fast_path_matches_the_full_prompt_path(tiny_model_dir, adapter_dir, with_adapter):
    fast, plain = _pair(tiny_model_dir, adapter_dir if with_adapter else None)
    assert fast.prefix is not None and plain.prefix is None
    for text in TEXTS:  # single texts
        _assert_same_scores(fast, plain, [text])
    _assert_same_scores(fast, plain, TEXTS)  # one mixed-length batch
    at_limit = [" ".join(["happy"] * 40), " ".join(["sad", "and", "alone"] * 20)]  # cut at MAX_TEXT_TOKENS
    assert all(len(fast.prompts.encode(t).prompt_ids) == len(fast.prompts.prefix_ids) + MAX_TEXT_TOKENS
               + len(fast.prompts.suffix_ids) for t in at_limit)
    _assert_same_scores(fast, plain, at_limit + TEXTS)


@pytest.mark.parametrize(("pack_tokens", "batch_size"), [(16, 32), (40, 32), (40, 4), (4096, 32)],
                         ids=["one-per-row", "a-few-per-row", "small-passes", "all-in-one-row"])
def test_packed_rows_of_any_size_give_the_same_scores(tiny_model_dir, adapter_dir, pack_tokens, batch_size):
    settings = {"base_model": str(tiny_model_dir), "adapter": str(adapter_dir), "dtype": "float32",
                "device": "cpu", "max_text_tokens": MAX_TEXT_TOKENS}
    packed = TransformersClassifier(ModelConfig(**settings, pack_tokens=pack_tokens, batch_size=batch_size))
    plain = TransformersClassifier(ModelConfig(**settings, fast_path=False))
    assert packed.scorer.packs(packed.prefix)
    _assert_same_scores(packed, plain, TEXTS * 3)


def test_the_adapter_really_changes_the_scores(tiny_model_dir, adapter_dir):
    """Guards the adapter test above against an adapter that happens to do nothing."""
    adapted, _ = _pair(tiny_model_dir, adapter_dir)
    base, _ = _pair(tiny_model_dir, None)
    difference = torch.tensor([[p.scores[e] for e in EMOTIONS] for p in adapted.predict(TEXTS)]) - \
        torch.tensor([[p.scores[e] for e in EMOTIONS] for p in base.predict(TEXTS)])
    assert difference.abs().max().item() > 0.01


def test_merging_leaves_the_generating_model_unmerged(tiny_model_dir, adapter_dir):
    fast, _ = _pair(tiny_model_dir, adapter_dir)
    assert fast.scoring_model is not fast.model
    assert hasattr(fast.model, "disable_adapter"), "generation needs the PEFT model to switch the adapter off"
    assert not any("lora_" in name for name, _ in fast.scoring_model.named_parameters())


def test_the_subword_trie_path_also_matches(tiny_subword_model_dir):
    fast, plain = _pair(tiny_subword_model_dir, None)
    assert not fast.scorer.first_tokens_distinct
    _assert_same_scores(fast, plain, TEXTS)


def test_a_prompt_without_the_prefix_is_refused(tiny_model_dir):
    fast, _ = _pair(tiny_model_dir, None)
    cache = PrefixCache(split_backbone_and_head(fast.scoring_model)[0], fast.prompts.prefix_ids)
    with pytest.raises(ValueError, match="does not start with the cached prefix"):
        cache.strip([[fast.prompts.prefix_ids[0] + 1, *fast.prompts.prefix_ids[1:], 5]])
