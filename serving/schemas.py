"""Request and response bodies of the JSON API. Request limits come from the serving config.

The published schema is exact: what it calls valid is accepted and what it calls invalid is refused (a 422),
which tests/integration/test_api_fuzz.py checks with schemathesis.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from llm.prediction import ModelInfo, Prediction
from serving.config import LimitsConfig
from serving.store import Entry, MoodBucket, Score

# Blank characters by both Python's and JSON Schema's definition: a text of only these (or with a NUL) is refused.
_BLANK = r"\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
TEXT_PATTERN = rf"^[^\x00]*[^\x00{_BLANK}][^\x00]*$"
_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))")


def parse_timestamp(value: Any) -> datetime:
    """An RFC 3339 date-time string with its UTC offset (e.g. 2026-12-06T08:30:00Z); numbers are refused."""
    if isinstance(value, datetime):
        return value
    match = _RFC3339.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError("expected an RFC 3339 date-time with its offset, e.g. 2026-12-06T08:30:00Z")
    year, month, day, hour, minute, second = (int(part) for part in match.group(1, 2, 3, 4, 5, 6))
    micro = int((match.group(7) or "0")[:6].ljust(6, "0"))
    offset = UTC if match.group(8) else timezone(
        (-1 if match.group(9) == "-" else 1) * timedelta(hours=int(match.group(10)), minutes=int(match.group(11))))
    # a leap second (:60) is read as the last instant of its minute
    return datetime(year, month, day, hour, minute, min(second, 59), 999999 if second == 60 else micro, offset)


Timestamp = Annotated[datetime, BeforeValidator(parse_timestamp),
                      WithJsonSchema({"type": "string", "format": "date-time"})]
MAX_ID = 2**31 - 1  # the largest entry id and offset either database (SQLite, PostgreSQL integer) can hold


def _one_of_text_or_texts(schema: dict[str, Any]) -> None:
    """The published schema: `text` and `texts` are never null, and exactly one is required."""
    for name in ("text", "texts"):
        options = schema["properties"][name].pop("anyOf")
        schema["properties"][name].update(next(o for o in options if o.get("type") != "null"))
    schema["oneOf"] = [{"required": ["text"]}, {"required": ["texts"]}]


@dataclass(frozen=True)
class RequestModels:
    """The request bodies, built once per app with its limits."""

    classify: type[BaseModel]
    explain: type[BaseModel]
    entry: type[BaseModel]


def request_models(limits: LimitsConfig) -> RequestModels:
    """Request bodies that refuse unknown fields, wrong types, blank and over-long texts; texts are stripped."""
    Text = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=limits.max_text_chars,
                                            pattern=TEXT_PATTERN), AfterValidator(str.strip)]

    class ClassifyRequest(BaseModel):
        """One text (`text`) or several (`texts`), not both."""

        model_config = ConfigDict(extra="forbid", json_schema_extra=_one_of_text_or_texts)
        text: Text | None = None
        texts: list[Text] | None = Field(default=None, min_length=1, max_length=limits.max_batch_texts)

        @model_validator(mode="before")
        @classmethod
        def _not_null(cls, data: Any) -> Any:
            for name in ("text", "texts"):
                if isinstance(data, dict) and name in data and data[name] is None:
                    raise ValueError(f"'{name}' must not be null: leave it out instead")
            return data

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
        timestamp: Timestamp | None = None
        explain: StrictBool = False

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
    encoder: str | None = None
    encoder_version: str | None = None
    encoder_weight: float | None = None
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
