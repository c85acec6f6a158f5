"""Re-scoring throughput: `serving.rescore` over N journal entries in a fresh SQLite journal.

    nice -n 10 .venv/bin/python -m benchmarks.bench_rescore [--entries 10000] [--batch-size 64]
        [--model configs/models/smollm2-135m-lora.yaml]

Entries are the dataset's texts (EMOAI_DATA_DIR train split, cycled) when available, else built-in
sentences. Prints entries/s for the whole run, commits per batch included.
"""

import argparse
import json
import os
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

from sqlalchemy import insert

from llm.factory import load_classifier
from serving.config import load_serving_config
from serving.model import serving_model_config
from serving.rescore import rescore
from serving.store import EntryRow, JournalStore, utc_now

FALLBACK_TEXTS = ["i feel like i finally have my life together after a long hard year",
                  "i was so angry when they cancelled the trip without telling anyone",
                  "i am nervous about the exam tomorrow and cannot sleep"]


def journal_texts(count: int) -> list[str]:
    data_dir = os.environ.get("EMOAI_DATA_DIR")
    path = Path(data_dir) / "train.jsonl" if data_dir else None
    texts = [json.loads(line)["text"] for line in path.open()] if path and path.is_file() else FALLBACK_TEXTS
    return list(islice(cycle(texts), count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--model", default="configs/models/smollm2-135m-lora.yaml", help="model recipe")
    args = parser.parse_args()
    config = load_serving_config(model=args.model)
    classifier = load_classifier(serving_model_config(config))
    with tempfile.TemporaryDirectory(prefix="emoai-bench-rescore-") as tmp:
        store = JournalStore(f"sqlite:///{tmp}/journal.db")
        with store.engine.begin() as connection:
            connection.execute(insert(EntryRow), [
                {"user_id": "bench", "text": text, "created_at": utc_now(), "crisis": False,
                 "crisis_matched": []} for text in journal_texts(args.entries)])
        started = time.perf_counter()
        report = rescore(store, classifier, batch_size=args.batch_size)
        elapsed = time.perf_counter() - started
        assert store.count_unscored(report.model_version) == 0
        store.close()
    print(json.dumps({"entries": report.scored, "batch_size": args.batch_size, "seconds": round(elapsed, 1),
                      "entries_per_s": round(report.scored / elapsed, 1), "model": report.model_version}))


if __name__ == "__main__":
    main()
