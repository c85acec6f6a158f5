"""The training mix and the validation sets of a recipe (``data.mix`` and ``data.validation``)."""

import logging
import random
from collections import Counter

from finetune.config import DataSettings
from llm.datasets import DatasetError, Example, journal_sets, load_dataset_split, load_named
from llm.labels import EMOTIONS

log = logging.getLogger("finetune")


def training_mix(settings: DataSettings, seed: int) -> list[Example]:
    """Every mix part repeated ``repeat`` times (the fraction as a seeded sample), in a seeded order."""
    rng = random.Random(seed)
    examples: list[Example] = []
    for part in settings.mix:
        role = journal_sets()[part.split].role if part.dataset == "journal" else "train"
        if role != "train":
            raise DatasetError(f"journal set {part.split!r} is {role}: training never reads it")
        rows = load_dataset_split(part.dataset, part.split, settings.source)
        whole, fraction = divmod(part.repeat, 1)
        taken = rows * int(whole) + rng.sample(rows, round(fraction * len(rows)))
        log.info("mix: %s %s, %d rows x %g = %d", part.dataset, part.split, len(rows), part.repeat, len(taken))
        examples += taken
    rng.shuffle(examples)
    examples = examples[: settings.train_limit]
    counts = Counter(e.label for e in examples)
    log.info("training mix: %d examples (%s)", len(examples),
             ", ".join(f"{name} {counts[i]}" for i, name in enumerate(EMOTIONS)))
    return examples


def validation_sets(settings: DataSettings) -> dict[str, list[Example]]:
    """The named validation sets, each cut to ``eval_limit`` texts (a seeded, label-mixed sample)."""
    sets = {}
    for name in settings.validation:
        rows = load_named(name)
        if settings.eval_limit is not None and len(rows) > settings.eval_limit:
            rows = random.Random(0).sample(rows, settings.eval_limit)
        sets[name] = rows
    return sets
