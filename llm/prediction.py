"""The classification result and the identity of the model that produced it."""

from pydantic import BaseModel, ConfigDict, Field

from llm.labels import EMOTIONS


class ModelInfo(BaseModel):
    """Which model scored a text: base model, adapter, backend, the encoder voting with it, a version string."""

    model_config = ConfigDict(frozen=True, protected_namespaces=())

    base_model: str
    adapter: str | None = None
    adapter_version: str | None = None
    backend: str
    encoder: str | None = None
    encoder_version: str | None = None
    encoder_weight: float | None = None

    @property
    def version(self) -> str:
        """A stable id for this model version, used to key stored scores."""
        version = f"{self.base_model}+{self.adapter_version}" if self.adapter_version else self.base_model
        if self.encoder_version:
            version += f"&{self.encoder_version}@{self.encoder_weight:g}"
        return version


class Prediction(BaseModel):
    """The emotion of one text: the winning label, its probability and all six scores."""

    model_config = ConfigDict(frozen=True)

    emotion: str
    confidence: float = Field(ge=0.0, le=1.0)
    scores: dict[str, float]
    model_version: str

    @classmethod
    def from_probabilities(cls, probabilities: list[float], model_version: str) -> "Prediction":
        """Build a prediction from six probabilities in label order."""
        if len(probabilities) != len(EMOTIONS):
            raise ValueError(f"expected {len(EMOTIONS)} probabilities, got {len(probabilities)}")
        scores = {label: float(p) for label, p in zip(EMOTIONS, probabilities, strict=True)}
        emotion = max(scores, key=scores.__getitem__)
        return cls(emotion=emotion, confidence=scores[emotion], scores=scores, model_version=model_version)

    @classmethod
    def from_rows(cls, rows: list[list[float]], model_version: str) -> list["Prediction"]:
        """One prediction per row of six probabilities."""
        return [cls.from_probabilities(row, model_version) for row in rows]
