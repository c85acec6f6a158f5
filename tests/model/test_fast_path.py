"""The embedded model with the shipped adapter scores the same on the fast path as on the full-prompt path."""

import pytest
import torch

from llm.backends.transformers_backend import TransformersClassifier
from llm.config import ModelConfig
from llm.labels import EMOTIONS
from tests.model.journal_cases import ISSUE_CASES, JOURNAL_CASES


@pytest.mark.slow
@pytest.mark.parametrize("adapter", ["shipped", None], ids=["shipped-adapter", "base-model"])
def test_fast_path_matches_the_full_prompt_path_in_fp32(adapter):
    texts = [case[0] for case in ISSUE_CASES + JOURNAL_CASES][:24]
    texts += ["ok", "I keep replaying the conversation with my sister. " * 20]  # one word; past the token limit
    settings = {"adapter": adapter, "dtype": "float32", "device": "cpu", "batch_size": 8}
    fast = TransformersClassifier(ModelConfig(**settings, fast_path=True))
    plain = TransformersClassifier(ModelConfig(**settings, fast_path=False))
    assert len(fast.prompts.encode(texts[-1]).prompt_ids) > len(fast.prompts.prefix_ids) + fast.config.max_text_tokens
    fast_scores = torch.tensor([[p.scores[e] for e in EMOTIONS] for p in fast.predict(texts)])
    plain_scores = torch.tensor([[p.scores[e] for e in EMOTIONS] for p in plain.predict(texts)])
    assert (fast_scores - plain_scores).abs().max().item() <= 1e-3
    assert fast_scores.argmax(dim=1).tolist() == plain_scores.argmax(dim=1).tolist()
