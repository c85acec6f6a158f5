"""Safety screening and grounded explanations, from the `llm.safety` and `retrieval` packages.

The knowledge store (Chroma + embeddings) loads in the background, after the model, and its index is
built (or brought up to date) on the way; explanations need it and the model (its text generator).
Until both are there, or when they fail, `/v1/explain` answers 503 and journal entries are stored and
scored without an explanation.
"""

import logging
from typing import Any, Literal

from llm.paths import project_path
from llm.prediction import Prediction
from llm.safety import SafetyResult
from serving.config import ServingConfig
from serving.model import ModelRunner

log = logging.getLogger(__name__)


class ExplanationsUnavailable(RuntimeError):
    """The explanation service is switched off, still loading or failed to load."""


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
            log.exception("explanations unavailable: %s", self.error)
            return
        self.state = "ready"

    def _build(self):
        from retrieval.chain import ExplanationService
        from retrieval.settings import load_settings
        from retrieval.store import KnowledgeStore

        settings = load_settings(project_path(self.config.retrieval_config))
        # the server's own crisis settings win, so an entry and its explanation are screened the same way
        settings.safety = settings.safety.model_copy(
            update={"locale": self.config.crisis_locale, "model": self.config.crisis_model})
        return ExplanationService(KnowledgeStore(settings), self.runner.require(), settings)

    async def explain(self, text: str, prediction: Prediction, safety: SafetyResult | None = None) -> dict[str, Any]:
        """The explanation of a prediction: explanation, recommendations, sources, path, safety.

        ``safety``: the entry's crisis screen, when the caller already ran it (it is not run again).
        """
        if self._service is None:
            reason = {"off": "explanations are switched off", "loading": "the explanation service is loading"}
            raise ExplanationsUnavailable(reason.get(self.state, self.error or "explanations failed to load"))
        result = await self.runner.call(self._service.explain, text, prediction, safety)
        return result.model_dump(mode="json")
