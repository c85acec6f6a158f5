"""Label scoring: the probability of each of the six labels in one forward pass per batch.

A label's probability is the one constrained decoding over the six label strings would give:
at each step the softmax is taken over the tokens that continue some label. When the labels'
first tokens are all different (the usual case) that is a softmax over six rows of the LM head
at the last prompt position. Otherwise every prompt is expanded with the six label sequences
and scored in the same single pass. Only the needed rows of the LM head are computed. With a
``PrefixCache`` the shared prompt prefix is not recomputed: each batch feeds only what follows it,
and (first-token case) the texts are packed end to end into rows of ``pack_tokens`` (128 by
default), a batch of nearly equal rows with almost no padding (``packed_end_logits``).
"""

from collections.abc import Sequence

import torch
from torch import nn

from llm.batching import token_packs
from llm.config import ModelConfig
from llm.prefix_cache import PrefixCache


def split_backbone_and_head(model: nn.Module) -> tuple[nn.Module, nn.Module]:
    """The transformer stack (returns hidden states) and the LM head of a causal LM or PEFT model."""
    causal_lm = model.get_base_model() if hasattr(model, "get_base_model") else model
    return getattr(causal_lm, causal_lm.base_model_prefix), causal_lm.get_output_embeddings()


def right_pad(sequences: Sequence[Sequence[int]], pad_id: int, multiple: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded ids and attention mask; the width is rounded up to ``multiple`` so that few distinct
    shapes occur (oneDNN caches a kernel per shape: unbounded shapes grow memory)."""
    width = -(-max(len(s) for s in sequences) // multiple) * multiple
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return ids, mask


def logits_at(model: nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor,
              rows: torch.Tensor, cols: torch.Tensor, prefix: PrefixCache | None = None) -> torch.Tensor:
    """LM-head logits only at the given (row, col) positions: shape (len(rows), vocab). With a prefix
    cache, ``input_ids`` are what follows the prefix and ``cols`` index into them."""
    backbone, head = split_backbone_and_head(model)
    if prefix is None:
        hidden = backbone(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    else:
        size = input_ids.shape[0]
        mask = torch.cat([attention_mask.new_ones((size, prefix.length)), attention_mask], dim=1)
        hidden = backbone(input_ids=input_ids, attention_mask=mask, past_key_values=prefix.for_batch(size),
                          use_cache=True).last_hidden_state
    return head(hidden[rows, cols]).float()


def packed_end_logits(model: nn.Module, rows: Sequence[Sequence[Sequence[int]]], prefix: PrefixCache,
                      pad_id: int, multiple: int = 8) -> torch.Tensor:
    """LM-head logits at the last token of every segment (what follows the cached prefix in a prompt), in
    row order: shape (number of segments, vocab). Each row holds several segments end to end; a
    block-diagonal causal mask lets each token see the prefix and its own segment's earlier tokens, and
    positions restart after the prefix in every segment, so each segment is scored as if alone. Rows are
    filled to a common width, a multiple of ``multiple`` (few distinct shapes, as in ``right_pad``), with
    one more segment of padding."""
    backbone, head = split_backbone_and_head(model)
    device = next(model.parameters()).device
    width = -(-max(sum(len(segment) for segment in row) for row in rows) // multiple) * multiple
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    owner = torch.full((len(rows), width), -1, dtype=torch.long)  # -1: the padding segment
    position = torch.zeros((len(rows), width), dtype=torch.long)
    ends: list[tuple[int, int]] = []
    for row_index, row in enumerate(rows):
        offset = 0
        for segment_index, segment in enumerate(row):
            span = slice(offset, offset + len(segment))
            ids[row_index, span] = torch.tensor(segment, dtype=torch.long)
            owner[row_index, span] = segment_index
            position[row_index, span] = torch.arange(len(segment))
            offset += len(segment)
            ends.append((row_index, offset - 1))
        position[row_index, offset:] = torch.arange(width - offset)
    own_past = (owner[:, :, None] == owner[:, None, :]) & (position[:, :, None] >= position[:, None, :])
    mask = torch.cat([torch.ones((len(rows), width, prefix.length), dtype=torch.bool), own_past], dim=2)
    hidden = backbone(input_ids=ids.to(device), attention_mask=mask[:, None].to(device),
                      position_ids=(position + prefix.length).to(device),
                      past_key_values=prefix.for_batch(len(rows)), use_cache=True).last_hidden_state
    end_rows, end_cols = zip(*ends, strict=True)
    return head(hidden[torch.tensor(end_rows, device=device), torch.tensor(end_cols, device=device)]).float()


class LabelScorer:
    """Turns prompt token ids into six label log-probabilities with one forward pass."""

    def __init__(self, label_ids: Sequence[Sequence[int]], pad_id: int) -> None:
        self.label_ids = [list(ids) for ids in label_ids]
        self.pad_id = pad_id
        self.first_ids = [ids[0] for ids in self.label_ids]
        self.first_tokens_distinct = len(set(self.first_ids)) == len(self.first_ids)
        # allowed[i][j]: tokens that continue some label sharing label i's first j tokens
        self.allowed = [
            [sorted({other[j] for other in self.label_ids if len(other) > j and other[:j] == ids[:j]})
             for j in range(len(ids))]
            for ids in self.label_ids
        ]

    def packs(self, prefix: PrefixCache | None) -> bool:
        """Whether ``log_probs`` packs its prompts into unpadded rows (so any mix of lengths can be passed
        together) rather than padding them as one batch (then group them with ``llm.batching.length_batches``)."""
        return prefix is not None and self.first_tokens_distinct

    @torch.no_grad()
    def log_probs(self, model: nn.Module, prompts: Sequence[Sequence[int]],
                  prefix: PrefixCache | None = None,
                  pack_tokens: int = ModelConfig.model_fields["pack_tokens"].default) -> torch.Tensor:
        """(len(prompts), 6) label log-probabilities; rows sum to 1 after exp. ``prefix``, when given,
        must have been computed with ``model`` and must start every prompt; the prompts are then packed
        into rows of at most ``pack_tokens`` tokens (a longer prompt gets a row of its own)."""
        device = next(model.parameters()).device
        if prefix is not None:
            prompts = prefix.strip(prompts)
        if not self.first_tokens_distinct:
            return self._trie_log_probs(model, prompts, device, prefix)
        if prefix is not None:
            packs = token_packs([len(prompt) for prompt in prompts], pack_tokens)
            logits = packed_end_logits(model, [[prompts[i] for i in pack] for pack in packs], prefix, self.pad_id)
        else:
            ids, mask = right_pad(prompts, self.pad_id)
            rows, cols = torch.arange(len(prompts)), mask.sum(dim=1) - 1
            logits = logits_at(model, ids.to(device), mask.to(device), rows.to(device), cols.to(device))
        return torch.log_softmax(logits[:, self.first_ids], dim=-1).cpu()

    def _trie_log_probs(self, model: nn.Module, prompts: Sequence[Sequence[int]],
                        device: torch.device, prefix: PrefixCache | None = None) -> torch.Tensor:
        n_labels = len(self.label_ids)
        sequences = [list(p) + label for p in prompts for label in self.label_ids]
        ids, mask = right_pad(sequences, self.pad_id)
        rows, cols, steps = [], [], []
        for seq_index in range(len(sequences)):
            label = seq_index % n_labels
            start = len(prompts[seq_index // n_labels]) - 1
            for j in range(len(self.label_ids[label])):
                rows.append(seq_index)
                cols.append(start + j)
                steps.append((label, j))
        logits = logits_at(model, ids.to(device), mask.to(device),
                           torch.tensor(rows, device=device), torch.tensor(cols, device=device), prefix).cpu()
        totals = torch.zeros(len(sequences))
        for k, (label, j) in enumerate(steps):
            allowed = self.allowed[label][j]
            chosen = self.label_ids[label][j]
            totals[rows[k]] += logits[k, chosen] - torch.logsumexp(logits[k, allowed], dim=0)
        return torch.log_softmax(totals.view(len(prompts), n_labels), dim=-1)
