"""Grouping texts into batches of similar length, so that padding wastes little compute.

Texts are sorted by length; a batch closes when it holds ``max_size`` texts or when padding all of
it to the next text's length would make more than ``max_padding`` of its tokens padding. This matters
most for the server, whose micro-batches are texts of any length that arrived together
(docs/benchmarks.md, the 32-client row). The fast scoring path hardly pads at all: it packs texts
end to end into rows of at most ``max_tokens`` (``token_packs``, used by ``llm.scoring``).
"""

from collections.abc import Callable, Sequence

MAX_PADDING = 0.2  # a batch may be at most 20% padding


def length_batches(lengths: Sequence[int], max_size: int, max_padding: float = MAX_PADDING) -> list[list[int]]:
    """Indices into ``lengths`` grouped into batches of at most ``max_size``, shortest first."""
    if max_size < 1:
        raise ValueError(f"max_size must be at least 1, got {max_size}")

    def closes(batch: list[int], tokens: int, length: int) -> bool:
        padded = (len(batch) + 1) * length  # the batch padded to the newcomer, the longest so far
        return len(batch) == max_size or padded > (1 + max_padding) * (tokens + length)

    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return _greedy_groups(order, [max(length, 1) for length in lengths], closes)


def token_packs(lengths: Sequence[int], max_tokens: int) -> list[list[int]]:
    """Indices into ``lengths``, in order, grouped so that each group's lengths sum to at most ``max_tokens``
    (a longer text is a group of its own). Packed rows need no padding, so order does not matter."""
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    return _greedy_groups(range(len(lengths)), lengths, lambda pack, tokens, length: tokens + length > max_tokens)


def _greedy_groups(order: Sequence[int], lengths: Sequence[int],
                   closes: Callable[[list[int], int, int], bool]) -> list[list[int]]:
    """``order`` cut into consecutive groups: a group is closed before the index for which
    ``closes(group, its tokens, that index's length)`` holds (a group always takes its first index)."""
    groups: list[list[int]] = []
    group: list[int] = []
    tokens = 0
    for index in order:
        if group and closes(group, tokens, lengths[index]):
            groups.append(group)
            group, tokens = [], 0
        group.append(index)
        tokens += lengths[index]
    if group:
        groups.append(group)
    return groups
