"""Safety screening and grounded explanations, from the `llm.safety` and `retrieval` packages.

The knowledge store (Chroma + embeddings) loads in the background; explanations need it and the
model (its text generator). Until both are there, or when they fail, `/v1/explain` answers 503 and
journal entries are stored and scored without an explanation.
"""

import asyncio
import logging
from typing import Any, Literal

from llm.prediction import Prediction
from serving.config import ServingConfig, project_path
from serving.model import ModelRunner

log = logging.getLogger(__name__)


class ExplanationsUnavailable(RuntimeError):
    """The explanation service is switched off, still loading or failed to load."""


def screen(text: str) -> dict[str, Any]:
    """The crisis screen of a text as a dict: crisis, matched, resources."""
    from llm.safety import screen as safety_screen

    result = safety_screen(text)
    return result.model_dump() if hasattr(result, "model_dump") else dict(result)


def ensure_index(config: ServingConfig) -> None:
    """Build the knowledge-base index when it is missing (the retrieval package decides what 'missing' is)."""
    from retrieval.index import ensure_index as build_if_missing

    from retrieval.settings import load_settings

    build_if_missing(load_settings(project_path(config.retrieval_config)))


class Explainer:
    """Builds the retrieval ExplanationService once the model is loaded, and runs it on the model thread."""

    def __init__(self, config: ServingConfig, runner: ModelRunner) -> None:
        self.config = config
        self.runner = runner
        self.state: Literal["off", "loading", "ready", "failed"] = "loading" if config.explanations else "off"
        self.error: str | None = None
        self._service = None

    async def load(self) -> None:
        """Open the knowledge store and build the service; failures are recorded, not raised."""
        if self.state == "off":
            return
        try:
            self._service = await self.runner.call(self._build)
        except Exception as error:  # the journal works without explanations; /readyz says why
            self.state, self.error = "failed", f"{type(error).__name__}: {error}"
            log.error("explanations unavailable: %s", self.error)
            return
        self.state = "ready"

    def _build(self):
        from retrieval.chain import ExplanationService
        from retrieval.store import KnowledgeStore

        from retrieval.settings import load_settings

        settings = load_settings(project_path(self.config.retrieval_config))
        return ExplanationService(KnowledgeStore(settings), self.runner.require(), settings)

    async def explain(self, text: str, prediction: Prediction) -> dict[str, Any]:
        """The explanation of a prediction: explanation, recommendations, sources, path, safety."""
        if self._service is None:
            reason = {"off": "explanations are switched off", "loading": "the explanation service is loading"}
            raise ExplanationsUnavailable(reason.get(self.state, self.error or "explanations failed to load"))
        result = await self.runner.call(self._service.explain, text, prediction)
        return result.model_dump(mode="json")

    async def wait_ready(self, timeout_s: float) -> None:
        """Wait (up to a timeout) while the service is loading."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while self.state == "loading" and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.1)
