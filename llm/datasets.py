"""The labelled datasets: dair-ai/emotion, GoEmotions-6 and the project's own journal sets.

- ``dair-ai``: from the hub (``dair-ai/emotion``) or a local directory (``EMOAI_DATA_DIR``, or a
  directory given as the source) holding ``train.jsonl``, ``validation.jsonl`` and ``test.jsonl``.
- ``goemotions6``: GoEmotions (Reddit comments) mapped to the six labels: from the hub
  (``google-research-datasets/go_emotions``, mapped here) or a local directory of the mapped rows
  (``EMOAI_GOEMOTIONS_DIR``, else a ``goemotions6/`` folder beside ``EMOAI_DATA_DIR``).
- ``journal``: the project's own journal-style sets, in ``data/journal/`` with a manifest.

Rows are ``{"text": ..., "label": ...}`` (or ``label_text``), validated on load; a bad row is
reported with its file and line number. ``load_named("goemotions6-validation")`` names a split.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from llm.labels import EMOTIONS, label_id
from llm.paths import project_file

HUB_DATASET = "dair-ai/emotion"
SPLITS = ("train", "validation", "test")
GOEMOTIONS_HUB = "google-research-datasets/go_emotions"
GOEMOTIONS_SPLITS = ("train", "validation")  # the official test split is deliberately not used
# GoEmotions emotion -> one of the six labels (single-label comments only; others are dropped)
GOEMOTIONS_MAPPING: dict[str, str] = {
    **dict.fromkeys(("sadness", "grief", "disappointment", "remorse"), "sadness"),
    **dict.fromkeys(("joy", "amusement", "excitement", "optimism", "pride", "relief", "gratitude"), "joy"),
    **dict.fromkeys(("love", "caring"), "love"),
    **dict.fromkeys(("anger", "annoyance", "disgust"), "anger"),
    **dict.fromkeys(("fear", "nervousness"), "fear"),
    "surprise": "surprise",
}
JOURNAL_DIR = project_file("data", "journal")
JOURNAL_MANIFEST = "manifest.yaml"
JOURNAL_ROLES = ("train", "blind-dev", "blind-test", "spent")
DATASET_NAMES = ("dair-ai", "goemotions6", "journal")


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


def goemotions_dir() -> Path | None:
    """The local GoEmotions-6 directory: ``EMOAI_GOEMOTIONS_DIR``, else ``goemotions6/`` beside
    ``EMOAI_DATA_DIR``; None means the hub."""
    explicit = os.environ.get("EMOAI_GOEMOTIONS_DIR")
    if explicit:
        return Path(explicit).expanduser()
    dair_dir = os.environ.get("EMOAI_DATA_DIR")
    sibling = Path(dair_dir).expanduser().parent / "goemotions6" if dair_dir else None
    return sibling if sibling is not None and sibling.is_dir() else None


def load_goemotions6(split: str) -> list[Example]:
    """GoEmotions mapped to the six labels (train or validation), from the local copy or the hub."""
    if split not in GOEMOTIONS_SPLITS:
        raise DatasetError(f"goemotions6 has the splits {', '.join(GOEMOTIONS_SPLITS)}, not {split!r}")
    directory = goemotions_dir()
    if directory is not None:
        return read_labelled_jsonl(directory / f"{split}.jsonl")
    try:
        from datasets import load_dataset

        rows = load_dataset(GOEMOTIONS_HUB, "simplified", split=split)
        names = rows.features["labels"].feature.names
    except Exception as error:  # network, auth, unknown dataset: all need the same advice
        raise DatasetError(f"cannot load {GOEMOTIONS_HUB!r} ({split}) from the hub: {error}. Offline? Point "
                           "EMOAI_GOEMOTIONS_DIR at a directory with train/validation.jsonl") from None
    return map_goemotions((row["text"], [names[i] for i in row["labels"]]) for row in rows)


def map_goemotions(rows) -> list[Example]:
    """Keep comments with exactly one GoEmotions label that maps to one of the six; map it."""
    return [Example(text=text, label=label_id(GOEMOTIONS_MAPPING[labels[0]]))
            for text, labels in rows if len(labels) == 1 and labels[0] in GOEMOTIONS_MAPPING]


@dataclass(frozen=True)
class JournalSet:
    """One journal-style set of the manifest: its file, role (train / blind-dev / spent), writers, rows."""

    name: str
    file: Path
    role: str
    writers: tuple[str, ...]
    rows: int


def journal_sets(directory: Path | None = None) -> dict[str, JournalSet]:
    """The journal sets named in ``data/journal/manifest.yaml`` (or ``EMOAI_JOURNAL_DIR``'s)."""
    directory = Path(directory or os.environ.get("EMOAI_JOURNAL_DIR") or JOURNAL_DIR)
    manifest = directory / JOURNAL_MANIFEST
    if not manifest.is_file():
        raise DatasetError(f"journal manifest not found: {manifest}")
    sets = {}
    for name, entry in (yaml.safe_load(manifest.read_text()) or {}).get("sets", {}).items():
        if entry.get("role") not in JOURNAL_ROLES:
            raise DatasetError(f"{manifest}: set {name!r} has role {entry.get('role')!r}; expected one of "
                               f"{', '.join(JOURNAL_ROLES)}")
        sets[name] = JournalSet(name, directory / entry["file"], entry["role"], tuple(entry.get("writers", ())),
                                int(entry["rows"]))
    return sets


def load_journal(split: str) -> list[Example]:
    """One journal set by name (``train``, ``dev``, ...), checked against the row count in the manifest."""
    sets = journal_sets()
    if split not in sets:
        raise DatasetError(f"journal has the sets {', '.join(sets)}, not {split!r}")
    examples = read_labelled_jsonl(sets[split].file)
    if len(examples) != sets[split].rows:
        raise DatasetError(f"{sets[split].file} has {len(examples)} rows; the manifest says {sets[split].rows}")
    return examples


def split_reference(reference: str) -> tuple[str, str] | None:
    """``goemotions6-validation`` -> ``("goemotions6", "validation")``; None when it names no dataset."""
    for name in DATASET_NAMES:
        if reference.startswith(name + "-"):
            return name, reference[len(name) + 1:]
    return None


def load_named(reference: str) -> list[Example]:
    """A named split (``dair-ai-test``, ``goemotions6-validation``, ``journal-dev``) or a JSONL file path."""
    named = split_reference(reference)
    if named is not None:
        return load_dataset_split(*named)
    if reference.endswith(".jsonl") or Path(reference).expanduser().is_file():
        return read_labelled_jsonl(Path(reference).expanduser())
    raise DatasetError(f"unknown dataset {reference!r}: use dair-ai-<split>, goemotions6-<split>, "
                       "journal-<set> or a path to a JSONL file")


def load_dataset_split(name: str, split: str, source: str | None = None) -> list[Example]:
    """One split of a named dataset (``source`` overrides dair-ai's hub id or directory)."""
    if name == "dair-ai":
        return load_split(split, source)
    if name == "goemotions6":
        return load_goemotions6(split)
    if name == "journal":
        return load_journal(split)
    raise DatasetError(f"unknown dataset {name!r}; expected one of {', '.join(DATASET_NAMES)}")


def _load_from_hub(source: str, split: str) -> list[Example]:
    from datasets import load_dataset

    try:
        rows = load_dataset(source, split=split)
    except Exception as error:  # network, auth, unknown dataset: all need the same advice
        raise DatasetError(f"cannot load {source!r} ({split}) from the hub: {error}. Offline? Point "
                           "EMOAI_DATA_DIR at a directory with train/validation/test.jsonl") from None
    return [_parse_row(json.dumps(row), f"{source}[{split}][{i}]") for i, row in enumerate(rows)]
