"""Journal export: CSV (one row per entry, with the serving model's scores) and JSON (everything)."""

import csv
import io
import json
from collections.abc import Iterable, Iterator

from llm.labels import EMOTIONS
from serving.schemas import EntryOut
from serving.store import Entry

CSV_COLUMNS = ["id", "timestamp", "text", "crisis", "emotion", "confidence", *EMOTIONS, "model_version",
               "scored_at"]


def csv_lines(entries: Iterable[Entry], model_version: str | None) -> Iterator[str]:
    """CSV text, line by line: the header, then one row per entry with its score (or blanks if pending)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        score = entry.score_for(model_version)
        writer.writerow([entry.id, entry.timestamp.isoformat(), entry.text, entry.crisis,
                         score.emotion if score else "", f"{score.confidence:.4f}" if score else "",
                         *[f"{score.scores.get(label, 0.0):.4f}" if score else "" for label in EMOTIONS],
                         score.model_version if score else "", score.scored_at.isoformat() if score else ""])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()


def json_text(entries: Iterable[Entry], model_version: str | None) -> str:
    """A JSON array of entries with their full score history and explanations."""
    return json.dumps([EntryOut.of(e, model_version).model_dump(mode="json") for e in entries],
                      ensure_ascii=False, indent=1)
