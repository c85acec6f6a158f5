"""Slices of the evaluation: text-length buckets and the robustness subset with its surface variants."""

import random
from collections.abc import Sequence

from evals import metrics
from evals.perturb import VARIANTS


def length_bucket_names(edges: Sequence[int]) -> list[str]:
    """Bucket names for upper word-count edges, e.g. [10, 20] -> ['1-10', '11-20', '>20']."""
    lowers = [1, *(e + 1 for e in edges)]
    return [f"{lo}-{hi}" for lo, hi in zip(lowers, edges, strict=False)] + [f">{edges[-1]}"]


def length_bucket(text: str, edges: Sequence[int]) -> int:
    """The index of the bucket a text's word count falls in."""
    words = len(text.split())
    return next((i for i, edge in enumerate(edges) if words <= edge), len(edges))


def length_slices(texts: Sequence[str], gold: Sequence[int], predicted: Sequence[int],
                  edges: Sequence[int]) -> dict[str, dict]:
    """Accuracy and macro-F1 per length bucket (buckets with no texts are left out)."""
    buckets = [length_bucket(t, edges) for t in texts]
    slices = {}
    for i, name in enumerate(length_bucket_names(edges)):
        members = [j for j, b in enumerate(buckets) if b == i]
        if members:
            g, p = [gold[j] for j in members], [predicted[j] for j in members]
            slices[name] = {"n": len(members), "accuracy": metrics.accuracy(g, p), "macro_f1": metrics.macro_f1(g, p)}
    return slices


def robustness_subset(n: int, limit: int, seed: int) -> list[int]:
    """A seeded sample of text indices (sorted), the same for every model."""
    return sorted(random.Random(seed).sample(range(n), min(limit, n)))


def variant_texts(texts: Sequence[str], variants: Sequence[str]) -> list[str]:
    """Every text under every variant, variant-major: [v1(t1), v1(t2), ..., v2(t1), ...]."""
    return [VARIANTS[v](t) for v in variants for t in texts]


def flip_summary(original: Sequence[int], perturbed: Sequence[int], gold: Sequence[int]) -> dict:
    """How often a variant changes the prediction, among texts scored both ways, and accuracy before/after."""
    pairs = [(o, p, g) for o, p, g in zip(original, perturbed, gold, strict=True)
             if o != metrics.ERROR and p != metrics.ERROR]
    flips = sum(o != p for o, p, _ in pairs)
    return {
        "n": len(pairs),
        "flips": flips,
        "flip_rate": flips / len(pairs) if pairs else None,
        "accuracy_original": metrics.accuracy(gold, original),
        "accuracy_perturbed": metrics.accuracy(gold, perturbed),
    }
