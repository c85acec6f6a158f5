"""Shared helpers for the fine-tuning tests: tiny recipes and adapter checks."""

from pathlib import Path

import torch
from safetensors.torch import load_file

from llm.backends.transformers_backend import TransformersClassifier
from llm.config import ModelConfig
from llm.paths import project_file

RECIPE = project_file("configs", "finetune", "smollm2-135m-lora-dair.yaml")
PROBE_TEXTS = ["i feel so alone", "i am so happy with my day", "furious at my boss", "scared of the dark house"]


def tiny_recipe(model_dir: Path, output_dir: Path, **training) -> list[str]:
    """Overrides for a few-step run of the real recipe on a tiny random model and the fixture data."""
    settings = {"max_steps": 8, "micro_batch_size": 8, "learning_rate": 3e-2, "warmup_ratio": 0.0,
                "log_every_steps": 1, "eval_every_steps": 4, "save_every_steps": 2, "dtype": "float32", **training}
    return ["--config", str(RECIPE), f"model={model_dir}", f"output_dir={output_dir}",
            "lora.dropout=0.0", "data.eval_limit=16", *(f"training.{k}={v}" for k, v in settings.items())]


def adapter_tensors(adapter_dir: Path) -> dict[str, torch.Tensor]:
    return load_file(str(adapter_dir / "adapter_model.safetensors"))


def assert_adapter_is_real(adapter_dir: Path, model_dir: Path) -> None:
    """The adapter holds full, non-zero LoRA matrices and changes the base model's label scores."""
    tensors = adapter_tensors(adapter_dir)
    lora_b = {k: v for k, v in tensors.items() if "lora_B" in k}
    assert lora_b, "no LoRA B matrices saved"
    assert all(v.numel() > 0 and v.dim() == 2 for v in tensors.values()), "empty tensors saved (ZeRO-3 pitfall)"
    assert any(v.abs().max() > 0 for v in lora_b.values()), "LoRA B is still all zeros: nothing was trained"
    base = TransformersClassifier(ModelConfig(base_model=str(model_dir), adapter=None, dtype="float32"))
    tuned = TransformersClassifier(ModelConfig(base_model=str(model_dir), adapter=str(adapter_dir), dtype="float32"))
    before = torch.tensor([list(p.scores.values()) for p in base.predict(PROBE_TEXTS)])
    after = torch.tensor([list(p.scores.values()) for p in tuned.predict(PROBE_TEXTS)])
    assert (before - after).abs().max() > 1e-3, "the adapter does not change the model's outputs"
