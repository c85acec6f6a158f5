"""The texts an evaluation runs on: a split of dair-ai/emotion or any labelled JSONL file."""

from dataclasses import dataclass
from pathlib import Path

from finetune.data import DatasetError, Example, load_split, read_labelled_jsonl, resolve_data_source


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


def load_eval_dataset(split: str, path: str | None = None, source: str | None = None,
                      limit: int | None = None) -> EvalDataset:
    """A JSONL file (rows with ``text`` and ``label_text`` or ``label``) if given, else the named split.

    ``limit`` keeps the first N rows, so a limited run is a prefix of the full one.
    """
    if limit is not None and limit < 1:
        raise DatasetError(f"--limit must be at least 1, got {limit}")
    if path:
        file = Path(path).expanduser()
        dataset = EvalDataset(name=file.name, split="custom", examples=read_labelled_jsonl(file))
    else:
        dataset = EvalDataset(name=resolve_data_source(source), split=split, examples=load_split(split, source))
    if limit is not None:
        dataset = EvalDataset(dataset.name, dataset.split, dataset.examples[:limit])
    return dataset
