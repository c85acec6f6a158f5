"""Request and response bodies of the JSON API. Request limits come from the serving config."""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from llm.prediction import ModelInfo, Prediction
from serving.config import LimitsConfig
from serving.store import Entry, MoodBucket, Score


@dataclass(frozen=True)
class RequestModels:
    """The request bodies, built once per app with its limits."""

    classify: type[BaseModel]
    explain: type[BaseModel]
    entry: type[BaseModel]


def request_models(limits: LimitsConfig) -> RequestModels:
    """Request bodies that refuse unknown fields, wrong types, empty/whitespace and over-long texts."""
    Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1,
                                            max_length=limits.max_text_chars)]

    class ClassifyRequest(BaseModel):
        """One text (`text`) or several (`texts`), not both."""

        model_config = ConfigDict(extra="forbid")
        text: Text | None = None
        texts: list[Text] | None = Field(default=None, min_length=1, max_length=limits.max_batch_texts)

        @model_validator(mode="after")
        def _one_of(self) -> "ClassifyRequest":
            if (self.text is None) == (self.texts is None):
                raise ValueError("give exactly one of 'text' or 'texts'")
            return self

        @property
        def all_texts(self) -> list[str]:
            return [self.text] if self.text is not None else list(self.texts)

    class ExplainRequest(BaseModel):
        model_config = ConfigDict(extra="forbid")
        text: Text

    class EntryRequest(BaseModel):
        """A journal entry; `timestamp` defaults to now, `explain` adds an explanation and activities."""

        model_config = ConfigDict(extra="forbid")
        text: Text
        timestamp: datetime | None = None
        explain: bool = False

    return RequestModels(ClassifyRequest, ExplainRequest, EntryRequest)


class PredictionOut(BaseModel):
    emotion: str
    confidence: float
    scores: dict[str, float]

    @classmethod
    def of(cls, prediction: Prediction) -> "PredictionOut":
        return cls(emotion=prediction.emotion, confidence=prediction.confidence, scores=prediction.scores)


class ModelOut(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    base_model: str
    adapter: str | None
    adapter_version: str | None
    backend: str
    version: str

    @classmethod
    def of(cls, info: ModelInfo) -> "ModelOut":
        return cls(**info.model_dump(), version=info.version)


class ClassifyResponse(BaseModel):
    predictions: list[PredictionOut]
    model: ModelOut


class ExplainResponse(BaseModel):
    prediction: PredictionOut
    model: ModelOut
    safety: dict[str, Any]
    path: str
    explanation: str | None
    recommendations: list[dict[str, Any]]
    sources: list[dict[str, Any]]


class EntryOut(BaseModel):
    """An entry with the score of the serving model (or its latest score) and its score history."""

    id: int
    text: str
    timestamp: datetime
    crisis: bool
    status: Literal["scored", "pending"]
    prediction: Score | None
    scores: list[Score]
    explanation: dict[str, Any] | None

    @classmethod
    def of(cls, entry: Entry, model_version: str | None) -> "EntryOut":
        score = entry.score_for(model_version)
        return cls(id=entry.id, text=entry.text, timestamp=entry.timestamp, crisis=entry.crisis,
                   status="scored" if score else "pending", prediction=score, scores=entry.scores,
                   explanation=entry.explanation)


class EntryPage(BaseModel):
    entries: list[EntryOut]
    total: int
    limit: int
    offset: int


class MoodSummary(BaseModel):
    period: Literal["day", "week"]
    model_version: str | None
    buckets: list[MoodBucket]


class ModelStatus(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    state: Literal["loading", "ready", "failed"]
    error: str | None
    model: ModelOut | None
    config: dict[str, Any]
    load_seconds: float | None
