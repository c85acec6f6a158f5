"""The PyTorch/transformers classifier: batched label scoring, bf16 where supported.

On the fast path (the default) scoring runs on a plain model with the LoRA update merged into its
weights, against the prompt prefix's keys and values computed once (``llm.prefix_cache``), with the
texts of each forward pass packed end to end into rows of at most ``pack_tokens`` tokens (``llm.scoring``). The
unmerged PEFT model stays for generation, which switches the adapter off; merging therefore costs
a second copy of the adapted projections (about 0.2 GB for SmolLM2-135M in bf16).
"""

import copy
from collections.abc import Sequence

import torch
from torch import nn

from llm.batching import length_batches
from llm.config import ModelConfig
from llm.device import resolve_device, resolve_dtype
from llm.generation import Conversation, TransformersGenerator
from llm.loading import attach_adapter, load_causal_lm, load_tokenizer, model_info, resolve_model_adapter
from llm.prediction import Prediction
from llm.prefix_cache import PrefixCache
from llm.prompt import PromptBuilder, read_text_style
from llm.scoring import LabelScorer, split_backbone_and_head


class TransformersClassifier:
    """Classifies texts with a causal LM (plus optional LoRA adapter) by scoring the six labels."""

    def __init__(self, config: ModelConfig) -> None:
        self.config = config
        self.tokenizer = load_tokenizer(config.base_model)
        adapter_dir = resolve_model_adapter(config)
        self.device = resolve_device(config.device)
        self.model = load_causal_lm(config.base_model, resolve_dtype(config.dtype, self.device), self.device)
        if adapter_dir is not None:
            self.model = attach_adapter(self.model, adapter_dir, config.base_model)
        self.prompts = PromptBuilder(self.tokenizer, max_text_tokens=config.max_text_tokens,
                                     text_style=read_text_style(adapter_dir))
        self._generator = TransformersGenerator(self.model, self.tokenizer)
        self.scorer = LabelScorer(self.prompts.label_ids, self.tokenizer.pad_token_id)
        self.scoring_model = merged_copy(self.model) if config.fast_path else self.model
        self.prefix = (PrefixCache(split_backbone_and_head(self.scoring_model)[0], self.prompts.prefix_ids)
                       if config.fast_path else None)
        self.info = model_info(config.base_model, adapter_dir, "transformers")

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One prediction per text, in order."""
        return Prediction.from_rows(self.probabilities(texts).tolist(), self.info.version)

    def probabilities(self, texts: Sequence[str]) -> torch.Tensor:
        """(len(texts), 6) label probabilities, ``batch_size`` texts per forward pass. On the fast path the
        scorer packs each pass's texts into rows of ``pack_tokens``, so texts go in as they come; otherwise
        they are grouped by length into batches that pad little."""
        encoded = [self.prompts.encode(text).prompt_ids for text in texts]
        size = self.config.batch_size
        if self.scorer.packs(self.prefix):
            groups = [list(range(start, min(start + size, len(encoded)))) for start in range(0, len(encoded), size)]
        else:
            groups = length_batches([len(ids) for ids in encoded], size)
        probabilities = torch.empty((len(encoded), 6))
        for rows in groups:
            batch = [encoded[i] for i in rows]
            probabilities[rows] = self.scorer.log_probs(self.scoring_model, batch, self.prefix,
                                                        self.config.pack_tokens).exp()
        return probabilities

    def generate(self, conversations: Sequence[Conversation], max_new_tokens: int = 160,
                 temperature: float = 0.0) -> list[str]:
        """Free text from the base model (adapter off), e.g. for explanations."""
        return self._generator.generate(conversations, max_new_tokens, temperature)


def merged_copy(model: nn.Module) -> nn.Module:
    """A plain model with the LoRA update folded into its weights; the given model is left as it is.
    A model without an adapter is returned unchanged (nothing to merge)."""
    if not hasattr(model, "merge_and_unload"):
        return model
    return copy.deepcopy(model).merge_and_unload().eval()
