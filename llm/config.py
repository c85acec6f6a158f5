"""Typed model configuration, loaded from YAML recipes in configs/models/."""

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from llm.sources import DEFAULT_MODEL

SHIPPED_ADAPTER = "shipped"
SERVED_RECIPE = "configs/models/smollm2-135m-ensemble.yaml"  # what the server, `emoai classify` and re-scoring use


class ModelConfig(BaseModel):
    """Which model classifies, on which backend, and how it is batched."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    base_model: str = DEFAULT_MODEL
    adapter: str | None = Field(
        default=SHIPPED_ADAPTER,
        description="LoRA adapter: a directory, an MLflow 'models:/name@alias' URI, 'shipped' (the adapter "
        "that comes with the project for the embedded model and this path: the vote's when an encoder votes, "
        "the LLM-alone one otherwise) or null for the base model alone",
    )
    backend: Literal["transformers", "vllm"] = "transformers"
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    device: str = "auto"
    batch_size: int = Field(default=32, ge=1, le=4096,
                            description="texts per forward pass (the LLM, the encoder) and per vLLM call")
    pack_tokens: int = Field(default=128, ge=16, le=65536,
                             description="transformers fast path: the length of the rows a forward pass's texts "
                             "are packed into (attention inside a row grows with its square; docs/benchmarks.md "
                             "has the measured sweep)")
    max_text_tokens: int = Field(default=128, ge=8, le=8192)
    fast_path: bool = Field(
        default=True,
        description="transformers only: score with the LoRA update merged into a copy of the weights and "
        "the prompt prefix's keys/values computed once per load; false scores every full prompt through "
        "the unmerged adapter (the reference path the fast one is tested against)",
    )
    encoder: str | None = Field(
        default=None,
        description="an encoder classifier that votes with the LLM (weighted geometric mean of the "
        "probabilities): 'shipped' (the shipped MiniLM baseline), a directory saved by "
        "`python -m finetune.baseline`, an MLflow models:/ URI, or null for the LLM alone",
    )
    encoder_weight: float = Field(default=0.5, ge=0.0, le=1.0,
                                  description="the encoder's share of the vote (0 = the LLM alone)")
    tensor_parallel_size: int = Field(default=1, ge=1, description="vLLM only: GPUs per model")
    gpu_memory_utilization: float = Field(default=0.85, gt=0, le=1, description="vLLM only")


def load_yaml_config(path: str | Path) -> dict:
    """Read a YAML recipe into a dict, with a clear error for a missing or malformed file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file not found: {path}")
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data
