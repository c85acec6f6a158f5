"""The texts an evaluation runs on: a named split (dair-ai, GoEmotions-6, journal) or any labelled JSONL file."""

from dataclasses import dataclass
from pathlib import Path

from llm.datasets import (
    DATASET_NAMES,
    DatasetError,
    Example,
    load_named,
    load_split,
    resolve_data_source,
    split_reference,
)


@dataclass(frozen=True)
class EvalDataset:
    """Labelled examples plus the name and split that metrics.json reports."""

    name: str
    split: str
    examples: list[Example]

    @property
    def texts(self) -> list[str]:
        return [e.text for e in self.examples]

    @property
    def gold(self) -> list[int]:
        return [e.label for e in self.examples]

    @property
    def label(self) -> str:
        """A short name for folders and tables: ``goemotions6-validation``, ``test`` or a file's stem."""
        if self.split == "custom":
            return Path(self.name).stem
        return f"{self.name}-{self.split}" if self.name in DATASET_NAMES else self.split


def load_eval_dataset(split: str, path: str | None = None, source: str | None = None,
                      limit: int | None = None) -> EvalDataset:
    """A JSONL file (rows with ``text`` and ``label_text`` or ``label``) or a named set if given, else the
    dair-ai split.

    ``limit`` keeps the first N rows, so a limited run is a prefix of the full one.
    """
    if limit is not None and limit < 1:
        raise DatasetError(f"--limit must be at least 1, got {limit}")
    if path:
        dataset = _named_or_file(path)
    else:
        dataset = EvalDataset(name=resolve_data_source(source), split=split, examples=load_split(split, source))
    if limit is not None:
        dataset = EvalDataset(dataset.name, dataset.split, dataset.examples[:limit])
    return dataset


def load_eval_datasets(references: list[str], split: str, source: str | None = None,
                       limit: int | None = None) -> list[EvalDataset]:
    """Every named set or file in ``references`` (each once, in order); the dair-ai ``split`` when there are none."""
    references = list(dict.fromkeys(references))
    if not references:
        return [load_eval_dataset(split, None, source, limit)]
    return [load_eval_dataset(split, reference, source, limit) for reference in references]


def _named_or_file(reference: str) -> EvalDataset:
    named = split_reference(reference)
    if named is not None:
        return EvalDataset(name=named[0], split=named[1], examples=load_named(reference))
    file = Path(reference).expanduser()
    if not file.is_file():
        raise DatasetError(f"dataset {reference!r} is neither a file nor a named set ("
                           + ", ".join(f"{n}-<split>" for n in DATASET_NAMES) + ")")
    return EvalDataset(name=file.name, split="custom", examples=load_named(str(file)))
