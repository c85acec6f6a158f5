"""The prompt prefix every text shares (system prompt and turn markers), run through the model once.

Every prompt is ``prefix_ids + text_ids + suffix_ids`` (``llm.prompt``). The prefix's keys and values
are computed once per loaded model and each batch feeds only its text and suffix tokens against
them, so the per-text work drops by the prefix length (24 of about 50 tokens for SmolLM2). Keys
and values of a causal model at a position depend only on the tokens before it, so the scores are
the same as with the full prompt (``tests/code/test_prefix_cache.py`` holds the two paths to 1e-3).
"""

from collections.abc import Sequence

import torch
from torch import nn
from transformers import DynamicCache


class PrefixCache:
    """Keys and values of a fixed token prefix for one model, expanded to any batch size on demand."""

    def __init__(self, backbone: nn.Module, prefix_ids: Sequence[int]) -> None:
        self.prefix_ids = list(prefix_ids)
        self.length = len(self.prefix_ids)
        device = next(backbone.parameters()).device
        with torch.no_grad():
            output = backbone(input_ids=torch.tensor([self.prefix_ids], device=device), use_cache=True)
        self._layers = [(layer.keys, layer.values) for layer in output.past_key_values.layers]

    def strip(self, prompts: Sequence[Sequence[int]]) -> list[list[int]]:
        """The prompts without the shared prefix; a prompt that does not start with it is a bug upstream."""
        for prompt in prompts:
            if list(prompt[: self.length]) != self.prefix_ids:
                raise ValueError("a prompt does not start with the cached prefix; build prompts with the "
                                 "same PromptBuilder the cache was made from")
        return [list(prompt[self.length:]) for prompt in prompts]

    def for_batch(self, size: int) -> DynamicCache:
        """A fresh cache holding the prefix for ``size`` rows (views; the forward pass appends to copies)."""
        return DynamicCache([(keys.expand(size, -1, -1, -1), values.expand(size, -1, -1, -1))
                             for keys, values in self._layers])
