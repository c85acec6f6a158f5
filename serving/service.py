"""The journaling service shared by the JSON API and the UI: classify, explain, write entries."""

import asyncio
import logging
from datetime import datetime
from typing import Any

from llm.prediction import Prediction
from llm.safety import SafetyResult, screen, screening_model
from serving.batcher import MicroBatcher
from serving.config import ServingConfig
from serving.explain import Explainer
from serving.metrics import ServingMetrics
from serving.model import ModelRunner, serving_model_config
from serving.store import Entry, JournalStore

log = logging.getLogger(__name__)


class JournalService:
    """Owns the store, the model runner, the micro-batcher and the explainer for one app."""

    def __init__(self, config: ServingConfig, metrics: ServingMetrics) -> None:
        self.config = config
        self.metrics = metrics
        self.store = JournalStore(config.store_url)
        self.runner = ModelRunner(serving_model_config(config))
        self.explainer = Explainer(config, self.runner)
        batching = config.batching
        self.batcher = MicroBatcher(
            self._predict, max_batch_size=batching.max_batch_size, max_wait_s=batching.max_wait_ms / 1000,
            max_queue=batching.max_queue, timeout_s=batching.request_timeout_s, coalesce=batching.enabled,
            on_batch=metrics.batch_size.observe, on_queue_depth=metrics.queue_depth.set)
        self._loading: asyncio.Task | None = None
        self.crisis_model_state = "loading" if config.crisis_model else "off"

    @property
    def model_version(self) -> str | None:
        info = self.runner.info
        return info.version if info else None

    async def start(self) -> None:
        """Start the batcher and load the model, then the explainer, in the background."""
        self.batcher.start()
        self._loading = asyncio.get_running_loop().create_task(self._load(), name="model-load")

    async def _load(self) -> None:
        await self._load_crisis_model()
        await self.runner.load()
        await self.explainer.load()

    async def _load_crisis_model(self) -> None:
        """Load the learned crisis model; if it cannot load, screening goes on with the rules and says so."""
        if self.config.crisis_model is None:
            return
        try:
            await asyncio.to_thread(screening_model, self.config.crisis_model)
            self.crisis_model_state = "ready"
        except Exception as error:  # the rules still screen every entry; /readyz shows the failure
            self.crisis_model_state = f"failed: {type(error).__name__}: {error}"
            log.exception("crisis model unavailable, screening with the rules only")

    def screen(self, text: str) -> SafetyResult:
        """The crisis screen of one text (rules, plus the learned model unless it failed to load)."""
        model = None if self.crisis_model_state.startswith("failed") else self.config.crisis_model
        return screen(text, self.config.crisis_locale, model)

    async def stop(self) -> None:
        """Finish queued work, then release the model thread and the database."""
        await self.batcher.close()
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
        await asyncio.to_thread(self.runner.shutdown)
        self.store.close()

    async def _predict(self, texts: list[str]) -> list[Prediction]:
        try:
            predictions = await self.runner.predict(texts)
        except Exception:
            self.metrics.model_errors.inc()
            raise
        for prediction in predictions:
            self.metrics.predictions.labels(prediction.emotion).inc()
        return predictions

    async def classify(self, texts: list[str]) -> list[Prediction]:
        """Predictions for texts, through the micro-batcher (raises ModelUnavailable, Overloaded, ...)."""
        self.runner.require()
        return await self.batcher.submit(texts)

    async def explain(self, text: str) -> tuple[Prediction, dict[str, Any]]:
        """The prediction of a text and its explanation (crisis screen included)."""
        prediction = (await self.classify([text]))[0]
        return prediction, await self.explainer.explain(text, prediction)

    async def write_entry(self, user: str, text: str, timestamp: datetime | None = None,
                          explain: bool = False) -> tuple[Entry, str | None]:
        """Store an entry first, then score (and explain) it. A failure after storing leaves it pending.

        Returns the entry as stored now and, when it could not be scored or explained, why.
        """
        safety = await asyncio.to_thread(self.screen, text)  # once: the explanation reuses it
        entry = await asyncio.to_thread(self.store.add_entry, user, text, timestamp, safety.crisis,
                                        list(safety.matched))
        problem = None
        try:
            prediction = (await self.classify([text]))[0]
            await asyncio.to_thread(self.store.add_scores, [(entry.id, prediction)])
            if explain:
                explanation = await self.explainer.explain(text, prediction, safety)
                await asyncio.to_thread(self.store.set_explanation, entry.id, explanation)
        except Exception as error:  # the entry is safe; the re-scoring job scores it later
            problem = f"{type(error).__name__}: {error}"
            log.warning("entry %s stored but not fully processed: %s", entry.id, problem)
        return await asyncio.to_thread(self.store.get_entry, user, entry.id), problem
