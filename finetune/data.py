"""The dair-ai/emotion dataset: from the hub (default) or a local directory of JSONL files.

``EMOAI_DATA_DIR`` (or a directory given as the source) holds ``train.jsonl``,
``validation.jsonl`` and ``test.jsonl``, one ``{"text": ..., "label": ...}`` object per line.
Every row is validated on load; a bad row is reported with its file and line number.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

from llm.labels import EMOTIONS, label_id

HUB_DATASET = "dair-ai/emotion"
SPLITS = ("train", "validation", "test")


class DatasetError(ValueError):
    """The dataset is missing or malformed; the message names the file and line."""


@dataclass(frozen=True)
class Example:
    """One labelled text; ``label`` is an index into ``EMOTIONS``."""

    text: str
    label: int

    @property
    def label_text(self) -> str:
        return EMOTIONS[self.label]


def resolve_data_source(source: str | None = None) -> str:
    """``EMOAI_DATA_DIR`` wins over the configured source; the default is the hub dataset."""
    return os.environ.get("EMOAI_DATA_DIR") or source or HUB_DATASET


def load_split(split: str, source: str | None = None) -> list[Example]:
    """Load one split from a local directory or the hub, validated."""
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    source = resolve_data_source(source)
    if Path(source).expanduser().is_dir():
        return read_labelled_jsonl(Path(source).expanduser() / f"{split}.jsonl")
    return _load_from_hub(source, split)


def read_labelled_jsonl(path: Path) -> list[Example]:
    """Read a JSONL file of rows with ``text`` and ``label`` (id) and/or ``label_text`` (name)."""
    if not path.is_file():
        raise DatasetError(f"dataset file not found: {path}")
    examples = []
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if line.strip():
                examples.append(_parse_row(line, f"{path}:{line_number}"))
    if not examples:
        raise DatasetError(f"{path} has no rows")
    return examples


def _parse_row(line: str, where: str) -> Example:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise DatasetError(f"{where}: not valid JSON ({error.msg})") from None
    if not isinstance(row, dict):
        raise DatasetError(f"{where}: expected a JSON object")
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        raise DatasetError(f"{where}: 'text' must be a non-empty string")
    return Example(text=text, label=_parse_label(row, where))


def _parse_label(row: dict, where: str) -> int:
    label, label_text = row.get("label"), row.get("label_text")
    if label is None and label_text is None:
        raise DatasetError(f"{where}: needs 'label' (0-5) or 'label_text' ({', '.join(EMOTIONS)})")
    if label is not None and (not isinstance(label, int) or isinstance(label, bool)
                              or not 0 <= label < len(EMOTIONS)):
        raise DatasetError(f"{where}: 'label' must be an integer 0-{len(EMOTIONS) - 1}, got {label!r}")
    if label_text is not None:
        try:
            from_text = label_id(str(label_text))
        except ValueError as error:
            raise DatasetError(f"{where}: {error}") from None
        if label is not None and label != from_text:
            raise DatasetError(f"{where}: 'label' {label} disagrees with 'label_text' {label_text!r}")
        return from_text
    return label


def _load_from_hub(source: str, split: str) -> list[Example]:
    from datasets import load_dataset

    try:
        rows = load_dataset(source, split=split)
    except Exception as error:  # network, auth, unknown dataset: all need the same advice
        raise DatasetError(f"cannot load {source!r} ({split}) from the hub: {error}. Offline? Point "
                           "EMOAI_DATA_DIR at a directory with train/validation/test.jsonl") from None
    return [_parse_row(json.dumps(row), f"{source}[{split}][{i}]") for i, row in enumerate(rows)]
