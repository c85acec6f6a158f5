"""Typed serving configuration: `configs/serving.yaml`, overridden by `EMOAI_*` environment variables.

An environment variable overrides one field: `EMOAI_PORT=8001`, `EMOAI_STORE_URL=postgresql://...`,
nested fields with a double underscore (`EMOAI_BATCHING__MAX_QUEUE=64`). Values are read as YAML,
so numbers, booleans, `null` and mappings work (`EMOAI_API_KEYS='{key1: alice, key2: bob}'`).
"""

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from llm.config import SERVED_RECIPE, load_yaml_config
from llm.paths import project_file, project_path

DEFAULT_CONFIG = project_file("configs", "serving.yaml")
ENV_PREFIX = "EMOAI_"
LOCAL_HOST = "127.0.0.1"


class BatchingConfig(BaseModel):
    """Micro-batching of concurrent classification requests."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="coalesce concurrent requests into one model call")
    max_batch_size: int = Field(default=32, ge=1, le=4096, description="texts per model call")
    max_wait_ms: float = Field(default=5.0, ge=0, le=10_000, description="how long a batch waits to fill")
    max_queue: int = Field(default=256, ge=1, description="texts waiting; beyond this requests get 503")
    request_timeout_s: float = Field(default=30.0, gt=0, description="a request waiting longer gets 504")
    retry_after_s: int = Field(default=1, ge=1, description="Retry-After sent with 503 answers")


class LimitsConfig(BaseModel):
    """Input limits; anything beyond them is a 422 with a clear message."""

    model_config = ConfigDict(extra="forbid")

    max_text_chars: int = Field(default=5000, ge=1)
    max_batch_texts: int = Field(default=64, ge=1)
    max_page_size: int = Field(default=200, ge=1)


class ServingConfig(BaseModel):
    """Everything `python -m serving` needs."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    host: str = LOCAL_HOST
    port: int = Field(default=8000, ge=0, le=65535)
    model: str = Field(default=SERVED_RECIPE, description="model recipe (YAML)")
    model_overrides: dict[str, Any] = Field(default_factory=dict, description="fields replacing the recipe's")
    store_url: str = Field(default="sqlite:///data/journal.db", description="SQLAlchemy URL of the journal")
    retrieval_config: str = Field(default="configs/retrieval.yaml", description="knowledge base settings")
    explanations: bool = Field(default=True, description="load the explanation service (/v1/explain, UI)")
    ui: bool = Field(default=True, description="mount the Gradio journaling UI at /ui")
    api_keys: dict[str, str] = Field(default_factory=dict, description="API key -> user; empty: single user")
    single_user: str = Field(default="local", description="the user of single-user mode (no API keys)")
    crisis_locale: str = Field(default="default", description="crisis resources locale")
    crisis_model: str | None = Field(default="shipped", description='learned crisis screen (beside the rules, or '
                                                                    'alone with the rules as fallback, as trained): '
                                                                    '"shipped" (the shipped panel, the default), a '
                                                                    'model or panel directory, or null (rules only)')
    batching: BatchingConfig = Field(default_factory=BatchingConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    shutdown_grace_s: float = Field(default=30.0, ge=0, description="time in-flight requests get on shutdown")
    log_level: str = "info"

    @property
    def bind_host(self) -> str:
        """Without API keys the server is single-user and only listens on the loopback interface."""
        return self.host if self.api_keys else LOCAL_HOST


def env_overrides(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The `EMOAI_*` variables that name ServingConfig fields, as a nested dict of parsed values."""
    environ = os.environ if environ is None else environ
    overrides: dict[str, Any] = {}
    for name, field in ServingConfig.model_fields.items():
        key = ENV_PREFIX + name.upper()
        if key in environ:
            overrides[name] = yaml.safe_load(environ[key])
        nested = field.annotation if isinstance(field.annotation, type) else None
        if nested is not None and issubclass(nested, BaseModel):
            for sub in nested.model_fields:
                sub_key = f"{key}__{sub.upper()}"
                if sub_key in environ:
                    overrides.setdefault(name, {})[sub] = yaml.safe_load(environ[sub_key])
    return overrides


def load_serving_config(path: str | Path | None = None, environ: dict[str, str] | None = None,
                        **overrides: Any) -> ServingConfig:
    """The config from a YAML file (default `configs/serving.yaml`), then env variables, then keyword args."""
    if path is not None:
        data = load_yaml_config(project_path(path))
    else:
        data = load_yaml_config(DEFAULT_CONFIG) if DEFAULT_CONFIG.is_file() else {}
    for name, value in env_overrides(environ).items():
        if isinstance(value, dict) and isinstance(data.get(name), dict) and name != "api_keys":
            data[name] = {**data[name], **value}
        else:
            data[name] = value
    data.update({k: v for k, v in overrides.items() if v is not None})
    return ServingConfig.model_validate(data)
