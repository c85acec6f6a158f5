"""Validation metrics used while training (the eval harness has the full set)."""

from collections.abc import Sequence

from sklearn.metrics import accuracy_score, f1_score

from llm.labels import EMOTIONS


def accuracy_and_macro_f1(gold: Sequence[int], predicted: Sequence[int]) -> dict[str, float]:
    """Accuracy and macro-F1 over the six labels."""
    return {
        "accuracy": float(accuracy_score(gold, predicted)),
        "macro_f1": float(f1_score(gold, predicted, labels=list(range(len(EMOTIONS))), average="macro",
                                   zero_division=0)),
    }
