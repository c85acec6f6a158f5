"""The served model: loaded in the background, used from one worker thread.

Classification and explanation generation share one model object (the transformers backend switches
its LoRA adapter off to generate), so every call runs on a single dedicated thread: calls never
overlap, and the event loop stays free while the CPU-bound work runs.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, TypeVar

from llm.classifier import Classifier
from llm.config import ModelConfig, load_yaml_config
from llm.factory import load_classifier
from llm.paths import project_path
from llm.prediction import ModelInfo, Prediction
from serving.config import ServingConfig

log = logging.getLogger(__name__)
T = TypeVar("T")


class ModelUnavailable(RuntimeError):
    """The model is still loading or failed to load."""


def serving_model_config(config: ServingConfig) -> ModelConfig:
    """The model recipe named by the serving config, with its overrides (null values included)."""
    data = load_yaml_config(project_path(config.model))
    data.update(config.model_overrides)
    return ModelConfig.model_validate(data)


class ModelRunner:
    """Owns the classifier and the one thread that runs it."""

    def __init__(self, model_config: ModelConfig,
                 loader: Callable[[ModelConfig], Classifier] = load_classifier) -> None:
        self.model_config = model_config
        self._loader = loader
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model")
        self.classifier: Classifier | None = None
        self.state: Literal["loading", "ready", "failed"] = "loading"
        self.error: str | None = None
        self.load_seconds: float | None = None

    @property
    def info(self) -> ModelInfo | None:
        return self.classifier.info if self.classifier is not None else None

    async def load(self) -> None:
        """Load the classifier on the model thread; a failure is recorded, not raised."""
        started = time.perf_counter()
        try:
            self.classifier = await asyncio.get_running_loop().run_in_executor(
                self._executor, self._loader, self.model_config)
        except Exception as error:  # any failure leaves the journal usable; /readyz says why
            self.state, self.error = "failed", f"{type(error).__name__}: {error}"
            log.exception("model failed to load: %s", self.error)
            return
        self.load_seconds = time.perf_counter() - started
        self.state = "ready"
        log.info("model %s ready in %.1f s", self.classifier.info.version, self.load_seconds)

    def require(self) -> Classifier:
        """The classifier, or ModelUnavailable saying why there is none."""
        if self.classifier is None:
            reason = self.error if self.state == "failed" else "the model is still loading"
            raise ModelUnavailable(reason)
        return self.classifier

    async def predict(self, texts: list[str]) -> list[Prediction]:
        """Classify texts on the model thread."""
        classifier = self.require()
        return await asyncio.get_running_loop().run_in_executor(self._executor, classifier.predict, texts)

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run any other model work (explanations) on the model thread, between batches."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=False)
