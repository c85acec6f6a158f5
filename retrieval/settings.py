"""Typed settings for the knowledge store, search and explanations, loaded from configs/retrieval.yaml."""

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from llm.config import load_yaml_config
from llm.paths import project_file

DEFAULT_CONFIG = project_file("configs", "retrieval.yaml")
SHIPPED_KB = Path(__file__).resolve().parent / "kb"


class ChromaSettings(BaseModel):
    """Where the vectors live: an embedded PersistentClient directory or a `chroma run` server."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["embedded", "server"] = "embedded"
    path: str = ".chroma"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    collection: str = Field(default="emoai-kb", min_length=3, max_length=63)


class SearchSettings(BaseModel):
    """How many documents are retrieved and how they are diversified."""

    model_config = ConfigDict(extra="forbid")

    k: int = Field(default=3, ge=1, le=20)
    fetch_k: int = Field(default=12, ge=1, le=200)
    mmr_lambda: float = Field(default=0.6, ge=0.0, le=1.0)
    runner_up_margin: float = Field(default=0.15, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _fetch_at_least_k(self) -> "SearchSettings":
        if self.fetch_k < self.k:
            raise ValueError(f"search.fetch_k ({self.fetch_k}) must be >= search.k ({self.k})")
        return self


class ExplanationSettings(BaseModel):
    """Bounds on the generated explanation and on the recommendations."""

    model_config = ConfigDict(extra="forbid")

    recommendations: int = Field(default=3, ge=2, le=3)
    max_chars: int = Field(default=600, ge=80, le=4000)
    max_sentences: int = Field(default=4, ge=2, le=8)
    max_new_tokens: int = Field(default=120, ge=16, le=1024)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)


class SafetySettings(BaseModel):
    """Which locale's crisis resources are shown, and which learned model screens with (or instead of) the
    rules."""

    model_config = ConfigDict(extra="forbid")

    locale: str = "default"
    model: str | None = Field(default="shipped", description='learned crisis screen: "shipped" (the shipped '
                                                              'panel, the default), a model or panel directory, '
                                                              'or null (rules only)')


class RetrievalSettings(BaseModel):
    """Everything the retrieval package is configured by."""

    model_config = ConfigDict(extra="forbid")

    chroma: ChromaSettings = ChromaSettings()
    kb_dir: str | None = None
    embedding_model: str = "all-MiniLM-L6-v2"
    search: SearchSettings = SearchSettings()
    explanation: ExplanationSettings = ExplanationSettings()
    safety: SafetySettings = SafetySettings()

    @property
    def kb_path(self) -> Path:
        """The knowledge-base directory (the shipped one unless configured)."""
        return Path(self.kb_dir) if self.kb_dir else SHIPPED_KB


def load_settings(path: str | Path | None = None) -> RetrievalSettings:
    """Read settings from YAML (default: configs/retrieval.yaml), then apply EMOAI_CHROMA_* overrides."""
    data = load_yaml_config(path) if path is not None else (
        load_yaml_config(DEFAULT_CONFIG) if DEFAULT_CONFIG.is_file() else {})
    settings = RetrievalSettings.model_validate(data)
    chroma = settings.chroma.model_dump()
    if os.environ.get("EMOAI_CHROMA_PATH"):
        chroma["path"] = os.environ["EMOAI_CHROMA_PATH"]
    if os.environ.get("EMOAI_CHROMA_HOST"):
        chroma["host"], chroma["mode"] = os.environ["EMOAI_CHROMA_HOST"], "server"
    if os.environ.get("EMOAI_CHROMA_PORT"):
        port = os.environ["EMOAI_CHROMA_PORT"]
        if not port.isdigit():
            raise ValueError(f"EMOAI_CHROMA_PORT must be a port number, got {port!r}")
        chroma["port"] = int(port)
    return settings.model_copy(update={"chroma": ChromaSettings.model_validate(chroma)})
