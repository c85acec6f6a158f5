"""Re-scoring throughput: `serving.rescore` over N journal entries in a fresh SQLite and PostgreSQL journal.

    python -m benchmarks.bench_rescore [--entries 10000] [--batch-size 64] [--stores sqlite,postgres]
        [--model configs/models/smollm2-135m-ensemble.yaml]

Entries are the project's journal train entries (data/journal/train.jsonl, cycled), first-person text
about 1.5x as long as dair-ai's. PostgreSQL is a real server started by the `pgserver` package (a dev
dependency) in a temp dir. The same loaded model scores both stores in one run; entries/s covers the
whole job: reading unscored entries, scoring, and one commit per batch.
"""

import argparse
import json
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import cycle, islice
from pathlib import Path

from sqlalchemy import insert

from llm.classifier import Classifier
from llm.datasets import load_journal
from llm.factory import load_classifier
from serving.config import load_serving_config
from serving.model import serving_model_config
from serving.rescore import rescore
from serving.store import EntryRow, JournalStore, utc_now


def journal_texts(count: int) -> list[str]:
    """``count`` journal entries: the project's train entries, cycled."""
    return list(islice(cycle(example.text for example in load_journal("train")), count))


@contextmanager
def store_url(kind: str, workdir: Path) -> Iterator[str]:
    """A URL naming an empty journal database of the given kind, for as long as the context lasts."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir}/journal.db"
        return
    import pgserver

    server = pgserver.get_server(workdir / "postgres", cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


def bench_store(kind: str, classifier: Classifier, texts: list[str], batch_size: int) -> dict:
    """Fill a fresh journal of this kind with the texts and time one re-scoring job over it."""
    with tempfile.TemporaryDirectory(prefix=f"emoai-bench-rescore-{kind}-") as tmp, \
            store_url(kind, Path(tmp)) as url:
        store = JournalStore(url)
        with store.engine.begin() as connection:
            connection.execute(insert(EntryRow), [
                {"user_id": "bench", "text": text, "created_at": utc_now(), "crisis": False,
                 "crisis_matched": []} for text in texts])
        started = time.perf_counter()
        report = rescore(store, classifier, batch_size=batch_size)
        elapsed = time.perf_counter() - started
        left = store.count_unscored(report.model_version)
        store.close()
    if left:
        raise RuntimeError(f"{left} entries were left unscored in {kind}")
    return {"store": kind, "entries": report.scored, "batch_size": batch_size, "seconds": round(elapsed, 1),
            "entries_per_s": round(report.scored / elapsed, 1), "model": report.model_version}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--stores", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--model", default="configs/models/smollm2-135m-ensemble.yaml", help="model recipe")
    args = parser.parse_args()
    classifier = load_classifier(serving_model_config(load_serving_config(model=args.model)))
    texts = journal_texts(args.entries)
    classifier.predict(texts[:32])  # warm-up
    for kind in [k.strip() for k in args.stores.split(",") if k.strip()]:
        print(json.dumps(bench_store(kind, classifier, texts, args.batch_size)), flush=True)


if __name__ == "__main__":
    main()
