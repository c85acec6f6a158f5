"""Free-text generation (for explanations only; classification never decodes).

Backends that can write text implement ``TextGenerator``. With a LoRA adapter loaded, the
transformers backend generates with the adapter switched off: the adapter is trained to answer
with a label, the base model writes the prose.
"""

from collections.abc import Sequence
from contextlib import nullcontext
from typing import Protocol, runtime_checkable

import torch

Conversation = list[dict[str, str]]  # [{"role": "system"|"user"|"assistant", "content": str}, ...]


@runtime_checkable
class TextGenerator(Protocol):
    """Writes one reply per conversation."""

    def generate(self, conversations: Sequence[Conversation], max_new_tokens: int = 160,
                 temperature: float = 0.0) -> list[str]:
        ...


class TransformersGenerator:
    """Greedy (or sampled) chat generation with a transformers model, batched with left padding."""

    def __init__(self, model: torch.nn.Module, tokenizer) -> None:
        self.model = model
        self.tokenizer = tokenizer

    @torch.no_grad()
    def generate(self, conversations: Sequence[Conversation], max_new_tokens: int = 160,
                 temperature: float = 0.0) -> list[str]:
        """One reply per conversation, without the prompt, stripped."""
        if not conversations:
            return []
        prompts = [self.tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True)
                   for c in conversations]
        padding_side = self.tokenizer.padding_side
        self.tokenizer.padding_side = "left"
        try:
            inputs = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        finally:
            self.tokenizer.padding_side = padding_side
        device = next(self.model.parameters()).device
        sampling = {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
        disable = getattr(self.model, "disable_adapter", None)
        with disable() if disable is not None else nullcontext():
            output = self.model.generate(**inputs.to(device), max_new_tokens=max_new_tokens,
                                         pad_token_id=self.tokenizer.pad_token_id, **sampling)
        replies = output[:, inputs["input_ids"].shape[1]:]
        return [text.strip() for text in self.tokenizer.batch_decode(replies, skip_special_tokens=True)]
