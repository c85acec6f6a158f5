"""Grouping texts into batches of similar length, so that padding wastes little compute.

Texts are sorted by length; a batch closes when it holds ``max_size`` texts or when padding all of
it to the next text's length would make more than ``max_padding`` of its tokens padding. This matters
most for the server, whose micro-batches are texts of any length that arrived together
(docs/benchmarks.md, the 32-client row). The fast scoring path hardly pads at all: it packs texts
end to end into rows of at most ``max_tokens`` (``token_packs``, used by ``llm.scoring``).
"""

from collections.abc import Sequence

MAX_PADDING = 0.2  # a batch may be at most 20% padding


def length_batches(lengths: Sequence[int], max_size: int, max_padding: float = MAX_PADDING) -> list[list[int]]:
    """Indices into ``lengths`` grouped into batches of at most ``max_size``, shortest first."""
    if max_size < 1:
        raise ValueError(f"max_size must be at least 1, got {max_size}")
    batches: list[list[int]] = []
    batch: list[int] = []
    tokens = 0
    for index in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        length = max(lengths[index], 1)
        padded = (len(batch) + 1) * length  # the batch padded to the newcomer, the longest so far
        if batch and (len(batch) == max_size or padded > (1 + max_padding) * (tokens + length)):
            batches.append(batch)
            batch, tokens = [], 0
        batch.append(index)
        tokens += length
    if batch:
        batches.append(batch)
    return batches


def token_packs(lengths: Sequence[int], max_tokens: int) -> list[list[int]]:
    """Indices into ``lengths``, in order, grouped so that each group's lengths sum to at most ``max_tokens``
    (a longer text is a group of its own). Packed rows need no padding, so order does not matter."""
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    packs: list[list[int]] = []
    pack: list[int] = []
    tokens = 0
    for index, length in enumerate(lengths):
        if pack and tokens + length > max_tokens:
            packs.append(pack)
            pack, tokens = [], 0
        pack.append(index)
        tokens += length
    if pack:
        packs.append(pack)
    return packs
