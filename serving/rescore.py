"""`python -m serving.rescore`: score past journal entries with a model version, resumably.

Entries this model version has not scored yet are streamed in id order, scored in batches, and each
batch is committed on its own; a version never scores an entry twice (the store's unique key), so a
run that is killed midway is finished by simply running it again.
"""

import argparse
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from tqdm import tqdm

from llm.classifier import Classifier
from llm.factory import load_classifier
from serving.config import ServingConfig, load_serving_config
from serving.model import serving_model_config
from serving.store import JournalStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RescoreReport:
    model_version: str
    scored: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.scored / self.seconds if self.seconds > 0 else 0.0


def rescore(store: JournalStore, classifier: Classifier, batch_size: int = 64, since: datetime | None = None,
            progress: bool = True) -> RescoreReport:
    """Score every entry (created at or after `since`) that this classifier's version has not scored."""
    version = classifier.info.version
    todo = store.count_unscored(version, since)
    started = time.perf_counter()
    scored, last_id = 0, 0
    with tqdm(total=todo, unit="entry", desc=f"re-scoring with {version}", disable=not progress) as bar:
        while batch := store.unscored(version, after_id=last_id, limit=batch_size, since=since):
            predictions = classifier.predict([text for _id, text in batch])
            scored += store.add_scores(zip((entry_id for entry_id, _text in batch), predictions, strict=True))
            last_id = batch[-1][0]
            bar.update(len(batch))
            bar.set_postfix(per_s=f"{scored / max(time.perf_counter() - started, 1e-9):.1f}")
    return RescoreReport(version, scored, time.perf_counter() - started)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m serving.rescore", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="serving YAML (store URL, model); default configs/serving.yaml")
    parser.add_argument("--model", help="model recipe YAML to score with (default: the serving model)")
    parser.add_argument("--store-url", help="SQLAlchemy URL of the journal (default: the serving config's)")
    parser.add_argument("--batch-size", type=int, default=64, help="entries per model call and per commit")
    parser.add_argument("--since", type=datetime.fromisoformat,
                        help="only entries written at or after this time (ISO 8601)")
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    return args


def main(argv: list[str] | None = None) -> RescoreReport:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config: ServingConfig = load_serving_config(args.config, store_url=args.store_url, model=args.model)
    if args.model:
        config = config.model_copy(update={"model_overrides": {}})
    classifier = load_classifier(serving_model_config(config))
    store = JournalStore(config.store_url)
    try:
        report = rescore(store, classifier, args.batch_size, args.since)
    finally:
        store.close()
    print(f"scored {report.scored} entries with {report.model_version} in {report.seconds:.1f} s "
          f"({report.per_second:.1f} entries/s)", flush=True)
    return report


if __name__ == "__main__":
    main()
