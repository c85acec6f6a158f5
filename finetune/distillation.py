"""A teacher's six label probabilities for every training text (``distillation`` in a recipe).

The teacher is any model the eval harness can score: run it over the training sets, e.g.

    python -m evals --config configs/evals/model-selection.yaml --models served \
      --dataset dair-ai-train,goemotions6-train,journal-train --output outputs/teacher-served --no-tracking

and name that folder in the recipe (``distillation.teacher``). The training loss then follows the teacher's
probabilities for ``distillation.weight`` of each example and the gold label for the rest.
"""

from collections.abc import Sequence
from pathlib import Path

from evals.report import read_predictions
from llm.datasets import DatasetError, Example
from llm.labels import EMOTIONS


def load_teacher(folder: str | Path, model: str) -> dict[str, list[float]]:
    """Text -> the teacher's six probabilities (in ``EMOTIONS`` order), from every ``<set>/predictions.jsonl``."""
    runs = read_predictions(Path(folder))
    if not runs:
        raise DatasetError(f"distillation.teacher {folder}: no <set>/predictions.jsonl (run python -m evals over "
                           "the training sets with --output there)")
    targets: dict[str, list[float]] = {}
    for name, rows in runs.items():
        for number, row in enumerate(rows, start=1):
            scores = row["models"].get(model, {}).get("scores")
            if scores is None:
                raise DatasetError(f"{Path(folder) / name}, row {number}: no scores for teacher model {model!r}")
            total = sum(scores[label] for label in EMOTIONS)
            targets[row["text"]] = [scores[label] / total for label in EMOTIONS]
    return targets


def teacher_targets(examples: Sequence[Example], teacher: dict[str, list[float]]) -> list[list[float]]:
    """One probability row per training example; every text must have been scored by the teacher."""
    missing = [example.text for example in examples if example.text not in teacher]
    if missing:
        raise DatasetError(f"the teacher has not scored {len(missing)} of {len(examples)} training texts (first: "
                           f"{missing[0][:80]!r}): score every set of data.mix")
    return [teacher[example.text] for example in examples]
