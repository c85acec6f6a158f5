"""Loading tokenizers, causal LMs and LoRA adapters, with clear errors for bad sources."""

import hashlib
import json
import logging
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedTokenizerBase

from llm.classifier import ClassifierError
from llm.config import SHIPPED_ADAPTER, ModelConfig
from llm.prediction import ModelInfo
from llm.registry import download_artifacts
from llm.sources import DEFAULT_MODEL, resolve_model_source

log = logging.getLogger(__name__)

ADAPTERS_DIR = Path(__file__).parent / "adapters"  # the model weights that ship with the package
SHIPPED_VOTE_ADAPTER_DIR = ADAPTERS_DIR / "smollm2-135m-emotion"  # the LLM's part of the served vote
SHIPPED_ALONE_ADAPTER_DIR = ADAPTERS_DIR / "smollm2-135m-emotion-alone"  # the LLM when no encoder votes
ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")


def load_tokenizer(source: str) -> PreTrainedTokenizerBase:
    """The tokenizer of a model source, with a pad token set."""
    tokenizer = AutoTokenizer.from_pretrained(resolve_model_source(source))
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_causal_lm(source: str, dtype: torch.dtype, device: torch.device) -> torch.nn.Module:
    """A causal LM from any model source, in eval mode on the given device."""
    model = AutoModelForCausalLM.from_pretrained(resolve_model_source(source), dtype=dtype)
    return model.to(device).eval()


def resolve_adapter(adapter: str | None, base_model: str, *, votes: bool = False) -> Path | None:
    """Turn an adapter setting (dir, 'shipped', MLflow models:/ URI, None) into a validated local dir.
    'shipped' is the shipped adapter for the path: the vote's when an encoder votes with the LLM (``votes``),
    the LLM-alone one otherwise; each was chosen on its own path's validation numbers."""
    if adapter is None:
        return None
    if adapter == SHIPPED_ADAPTER:
        if base_model != DEFAULT_MODEL:
            raise ClassifierError(f"the shipped adapter is for {DEFAULT_MODEL!r}, not {base_model!r}: "
                                  "set adapter to a directory, a models:/ URI, or null")
        path = SHIPPED_VOTE_ADAPTER_DIR if votes else SHIPPED_ALONE_ADAPTER_DIR
    elif adapter.startswith(("models:/", "runs:/")):
        path = Path(download_artifacts(adapter))
    else:
        path = Path(adapter).expanduser()
    validate_adapter_dir(path)
    return path


def resolve_model_adapter(config: ModelConfig) -> Path | None:
    """The adapter directory a model config loads; 'shipped' is the vote's adapter when an encoder votes."""
    return resolve_adapter(config.adapter, config.base_model, votes=config.encoder is not None)


def validate_adapter_dir(path: Path) -> None:
    """Check a LoRA adapter directory before any backend loads it (a bad path kills a vLLM engine)."""
    if not path.is_dir():
        raise ClassifierError(f"adapter directory not found: {path}")
    if not (path / "adapter_config.json").is_file():
        raise ClassifierError(f"{path} is not a LoRA adapter (no adapter_config.json)")
    if not any((path / name).is_file() for name in ADAPTER_WEIGHTS):
        raise ClassifierError(f"{path} has no adapter weights ({' or '.join(ADAPTER_WEIGHTS)})")
    config = json.loads((path / "adapter_config.json").read_text())
    if config.get("peft_type") != "LORA":
        raise ClassifierError(f"{path}: only LoRA adapters are supported, got {config.get('peft_type')}")


def adapter_version(path: Path) -> str:
    """A short content hash of the adapter weights: changes whenever the weights change."""
    weights = next(path / name for name in ADAPTER_WEIGHTS if (path / name).is_file())
    return hashlib.sha256(weights.read_bytes()).hexdigest()[:12]


def model_info(base_model: str, adapter_dir: Path | None, backend: str) -> ModelInfo:
    """The identity of a loaded model: base, adapter path and content version, backend."""
    return ModelInfo(base_model=base_model, adapter=str(adapter_dir) if adapter_dir else None,
                     adapter_version=adapter_version(adapter_dir) if adapter_dir else None, backend=backend)


def attach_adapter(model: torch.nn.Module, path: Path, base_model: str) -> torch.nn.Module:
    """Wrap a model with a LoRA adapter, turning shape/module mismatches into a clear error."""
    from peft import PeftModel

    try:
        return PeftModel.from_pretrained(model, str(path), is_trainable=False).eval()
    except (RuntimeError, ValueError, KeyError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ClassifierError(f"adapter {path} does not match base model {base_model!r}: {first_line}") from None

