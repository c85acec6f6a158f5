"""The LLM and the encoder baseline voting together: a weighted geometric mean of their probabilities.

On the three validation sets (dair-ai, GoEmotions-6, the journal dev set) the shipped LLM and the
shipped MiniLM baseline err on different entries: the LLM reads dair-ai's style best, the encoder
reads Reddit comments and journal entries best. Their geometric mean beats each of them on the mean
of the three macro-F1s (docs/experiments/2026-12-06-real-journal-entries.md, round 5). A geometric
mean lets the more confident member decide where the other is unsure.
"""

from collections.abc import Sequence
from typing import Protocol

import torch

from llm.generation import Conversation
from llm.prediction import ModelInfo, Prediction

SMALLEST_PROBABILITY = 1e-9  # keeps log(0) out of the mean


class ScoresTexts(Protocol):
    """A classifier that gives its six label probabilities as a tensor (both backends, the encoder)."""

    info: ModelInfo

    def probabilities(self, texts: Sequence[str]) -> torch.Tensor: ...


class EnsembleClassifier:
    """Scores texts with an LLM classifier and an encoder classifier and combines their probabilities."""

    def __init__(self, llm: ScoresTexts, encoder: ScoresTexts, encoder_weight: float) -> None:
        if not 0.0 <= encoder_weight <= 1.0:
            raise ValueError(f"encoder_weight must be in [0, 1], got {encoder_weight}")
        self.llm = llm
        self.encoder = encoder
        self.encoder_weight = encoder_weight
        self.info = ModelInfo(**llm.info.model_dump(exclude={"encoder", "encoder_version", "encoder_weight"}),
                              encoder=encoder.info.base_model, encoder_version=encoder.info.adapter_version,
                              encoder_weight=encoder_weight)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One prediction per text: both members score every text, then their probabilities are combined."""
        llm = self.llm.probabilities(texts)
        encoder = self.encoder.probabilities(texts)
        combined = torch.exp((1 - self.encoder_weight) * llm.clamp_min(SMALLEST_PROBABILITY).log()
                             + self.encoder_weight * encoder.clamp_min(SMALLEST_PROBABILITY).log())
        combined = combined / combined.sum(dim=1, keepdim=True)
        return Prediction.from_rows(combined.tolist(), self.info.version)

    def generate(self, conversations: Sequence[Conversation], max_new_tokens: int = 160,
                 temperature: float = 0.0) -> list[str]:
        """Explanations are the LLM's: the encoder cannot write."""
        return self.llm.generate(conversations, max_new_tokens, temperature)
