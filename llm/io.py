"""Reading texts to classify from JSONL, CSV or plain-text files, labelled JSONL rows, and writing JSON lines."""

import csv
import json
from pathlib import Path


class InputError(ValueError):
    """An input file or text is unusable; the message names the file and line."""


def read_texts(path: Path) -> list[str]:
    """Texts from ``.jsonl`` (a "text" field), ``.csv`` (a "text" column) or any other file (one per line)."""
    if not path.is_file():
        raise InputError(f"input file not found: {path}")
    suffix = path.suffix.lower()
    with path.open(encoding="utf-8", newline="") as handle:
        if suffix in (".jsonl", ".ndjson"):
            texts = [_jsonl_text(line, f"{path}:{n}") for n, line in enumerate(handle, 1) if line.strip()]
        elif suffix == ".csv":
            texts = _csv_texts(handle, path)
        else:
            texts = [line.rstrip("\n") for line in handle if line.strip()]
    if not texts:
        raise InputError(f"{path} contains no texts")
    return texts


def _jsonl_text(line: str, where: str) -> str:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise InputError(f"{where}: not valid JSON ({error.msg})") from None
    text = row.get("text") if isinstance(row, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{where}: needs a non-empty string field 'text'")
    return text


def _csv_texts(handle, path: Path) -> list[str]:
    reader = csv.DictReader(handle)
    if not reader.fieldnames or "text" not in reader.fieldnames:
        raise InputError(f"{path}: needs a header row with a 'text' column")
    texts = []
    for n, row in enumerate(reader, start=2):
        if not (row.get("text") or "").strip():
            raise InputError(f"{path}:{n}: empty 'text'")
        texts.append(row["text"])
    return texts


def check_texts(texts: list[str]) -> None:
    """Reject empty or whitespace-only texts with their position."""
    for i, text in enumerate(texts, start=1):
        if not text.strip():
            raise InputError(f"text {i} is empty")


def read_jsonl(path: str | Path, required: tuple[str, ...]) -> list[dict]:
    """Rows of a JSONL file, each checked for the required keys (one-line errors with the line number)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"dataset not found: {path}")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise ValueError(f"{path}:{number}: not valid JSON") from None
        missing = [key for key in required if key not in row]
        if missing:
            raise ValueError(f"{path}:{number}: missing {', '.join(missing)}")
        rows.append(row)
    if not rows:
        raise ValueError(f"{path}: no rows")
    return rows
