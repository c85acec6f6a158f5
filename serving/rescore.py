"""`python -m serving.rescore`: score past journal entries with a model version, resumably.

Entries this model version has not scored yet are streamed in id order, scored in batches, and each
batch is committed on its own; a version never scores an entry twice (the store's unique key), so a
run that is killed midway is finished by simply running it again.
"""

import logging
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import typer
from tqdm import tqdm

from llm.classifier import Classifier
from llm.cli_support import command_settings, examples, new_app, run
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


EXAMPLES = examples(
    "  python -m serving.rescore",
    "  python -m serving.rescore --model configs/models/smollm2-135m-lora.yaml --batch-size 128",
    "  python -m serving.rescore --store-url sqlite:///journal.db --since 2026-01-01T00:00:00")
app = new_app("Score past journal entries with a model version, resumably.")


@app.command(help="Score past journal entries with a model version, resumably.\n\n" + __doc__.split("\n\n")[1],
             epilog=EXAMPLES,
             context_settings=command_settings())
def rescore_command(
    config: Annotated[str | None, typer.Option(metavar="FILE", help="serving YAML (store URL, model); default "
                                                                    "configs/serving.yaml")] = None,
    model: Annotated[str | None, typer.Option(metavar="RECIPE.yaml", help="model recipe YAML to score with "
                                                                         "(default: the serving model)")] = None,
    store_url: Annotated[str | None, typer.Option(metavar="URL", help="SQLAlchemy URL of the journal (default: "
                                                                      "the serving config's)")] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="entries per model call and per commit")] = 64,
    since: Annotated[datetime | None, typer.Option(parser=datetime.fromisoformat, metavar="ISO-8601",
                                                   help="only entries written at or after this time")] = None,
) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings: ServingConfig = load_serving_config(config, store_url=store_url, model=model)
    if model:
        settings = settings.model_copy(update={"model_overrides": {}})
    classifier = load_classifier(serving_model_config(settings))
    store = JournalStore(settings.store_url)
    try:
        report = rescore(store, classifier, batch_size, since)
    finally:
        store.close()
    print(f"scored {report.scored} entries with {report.model_version} in {report.seconds:.1f} s "
          f"({report.per_second:.1f} entries/s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    return run(app, argv, "python -m serving.rescore")


if __name__ == "__main__":
    sys.exit(main())
