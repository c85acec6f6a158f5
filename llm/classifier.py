"""The interface every emotion classifier implements (LLM backends and the encoder baseline)."""

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from llm.prediction import ModelInfo, Prediction


class ClassifierError(RuntimeError):
    """A classifier could not be built or could not score its input; the message says why."""


@runtime_checkable
class Classifier(Protocol):
    """Scores texts with the six emotions."""

    info: ModelInfo

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Return one prediction per text, in order."""
        ...
