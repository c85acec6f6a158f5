"""Encoding examples with the shared prompt builder, and length-grouped, rank-sharded batches."""

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from llm.datasets import Example
from llm.labels import EMOTIONS
from llm.prompt import EncodedExample, PromptBuilder
from llm.scoring import right_pad


@dataclass
class LossBatch:
    """Tensors for the answer-only loss: where each answer token sits and what it should be."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    rows: torch.Tensor  # batch row of each answer token
    cols: torch.Tensor  # position whose output predicts that token
    targets: torch.Tensor  # the answer token ids
    token_weights: torch.Tensor  # per answer token: example weight / answer length
    teacher: torch.Tensor | None = None  # per answer token (first tokens only): the teacher's six probabilities

    def to(self, device: torch.device) -> "LossBatch":
        return LossBatch(*(None if t is None else t.to(device) for t in vars(self).values()))

    @property
    def n_tokens(self) -> int:
        return int(self.attention_mask.sum())


def encode_examples(builder: PromptBuilder, examples: Sequence[Example]) -> list[EncodedExample]:
    """Prompt + answer ids for every example, built exactly as serving builds prompts."""
    return [builder.encode(example.text, example.label) for example in examples]


def class_weights(examples: Sequence[Example], scheme: str) -> list[float]:
    """Per-class loss weights: 'none' (all 1) or 'sqrt_inverse' (rarer classes count more, mean 1)."""
    if scheme == "none":
        return [1.0] * len(EMOTIONS)
    counts = Counter(example.label for example in examples)
    raw = [(len(examples) / (len(EMOTIONS) * max(counts[i], 1))) ** 0.5 for i in range(len(EMOTIONS))]
    mean = sum(raw[e.label] for e in examples) / len(examples)
    return [w / mean for w in raw]


def collate(encoded: Sequence[EncodedExample], weights: Sequence[float], pad_id: int,
            first_token_only: bool = False, teacher: Sequence[Sequence[float]] | None = None) -> LossBatch:
    """Right-pad prompt+answer sequences; the loss covers answer tokens only (only the first with
    ``first_token_only``, which a ``teacher``'s probabilities per example need)."""
    if teacher is not None and not first_token_only:
        raise ValueError("teacher probabilities are per label, so they need first_token_only")
    ids, mask = right_pad([e.prompt_ids + e.answer_ids for e in encoded], pad_id)
    rows, cols, targets, token_weights = [], [], [], []
    for row, (example, weight) in enumerate(zip(encoded, weights, strict=True)):
        answer = example.answer_ids[:1] if first_token_only else example.answer_ids
        for j, token in enumerate(answer):
            rows.append(row)
            cols.append(len(example.prompt_ids) + j - 1)
            targets.append(token)
            token_weights.append(weight / len(answer))
    return LossBatch(ids, mask, torch.tensor(rows), torch.tensor(cols), torch.tensor(targets),
                     torch.tensor(token_weights) / len(encoded),
                     None if teacher is None else torch.tensor(teacher, dtype=torch.float32))


def epoch_batches(lengths: Sequence[int], batch_size: int, seed: int, epoch: int,
                  group_factor: int = 64) -> list[list[int]]:
    """Shuffled batches of indices; within groups of ``group_factor`` batches, similar lengths go together."""
    order = list(range(len(lengths)))
    rng = random.Random(seed * 1_000_003 + epoch)
    rng.shuffle(order)
    batches = []
    group = batch_size * group_factor
    for start in range(0, len(order), group):
        chunk = sorted(order[start:start + group], key=lambda i: lengths[i])
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    batches = [b for b in batches if len(b) == batch_size]  # equal shapes across ranks and steps
    rng.shuffle(batches)
    return batches


def shard(batch: Sequence[int], rank: int, world_size: int) -> list[int]:
    """This rank's share of a global batch."""
    return list(batch[rank::world_size])
