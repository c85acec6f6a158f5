"""Helpers for the eval-harness tests: tiny real models (LoRA adapters, an encoder baseline) and recipes."""

from collections.abc import Sequence
from pathlib import Path

import yaml

from llm.labels import EMOTIONS
from llm.prediction import ModelInfo, Prediction


def tiny_lora_adapter(base_dir: Path, directory: Path, seed: int, scale: float = 4.0) -> Path:
    """A LoRA adapter for the tiny Llama with random non-zero weights (so it changes the predictions)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    lora = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "o_proj", "down_proj"],
                      init_lora_weights=False, task_type="CAUSAL_LM")
    peft_model = get_peft_model(model, lora)
    with torch.no_grad():
        for name, parameter in peft_model.named_parameters():
            if "lora_" in name:
                parameter.mul_(scale)
    peft_model.save_pretrained(directory)
    return directory


def tiny_encoder_dir(directory: Path) -> Path:
    """A 2-layer random BERT with a six-label head, saved as the baseline trainer saves it."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from tests.tiny_models import word_tokenizer

    torch.manual_seed(0)
    tokenizer = word_tokenizer()
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=64, max_position_embeddings=128, num_labels=len(EMOTIONS),
                        pad_token_id=tokenizer.pad_token_id)
    BertForSequenceClassification(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def llm_spec(base_dir: Path, adapter: Path | str | None = None, batch_size: int = 8) -> dict:
    """An eval-recipe model entry for the tiny Llama (float32, so batching cannot change a score)."""
    return {"kind": "llm", "model": {"base_model": str(base_dir), "adapter": str(adapter) if adapter else None,
                                     "dtype": "float32", "batch_size": batch_size}}


def write_recipe(path: Path, models: dict, **sections) -> Path:
    """A small, fast eval recipe (few bootstrap resamples, small slices, no MLflow unless asked)."""
    recipe = {
        "models": models,
        "runner": {"latency_samples": 3},
        "statistics": {"bootstrap_resamples": 200},
        "slices": {"robustness_limit": 6, "length_buckets": [6, 9]},
        "system_checks": {"crisis_set": str(path.parent / "no-crisis-set.jsonl"),
                          "retrieval_queries": str(path.parent / "no-queries.jsonl")},
        "tracking": {"enabled": False},
        **sections,
    }
    path.write_text(yaml.safe_dump(recipe))
    return path


class KeywordTestDouble:
    """A pure-Python stand-in used ONLY to test the harness's own plumbing (failures, bad outputs, metrics).

    It answers ``fear`` for texts with "afraid"/"scared", ``anger`` for "resentful"/"furious", else ``sadness``;
    it raises on texts containing ``fail_on`` and, if ``corrupt_on`` matches, returns scores that do not sum to 1.
    """

    def __init__(self, fail_on: str | None = None, corrupt_on: str | None = None) -> None:
        self.fail_on, self.corrupt_on = fail_on, corrupt_on
        self.info = ModelInfo(base_model="keyword-test-double", backend="python")
        self.calls: list[int] = []

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        self.calls.append(len(texts))
        out = []
        for text in texts:
            if self.fail_on and self.fail_on in text:
                raise ValueError(f"cannot handle {text[:20]!r}")
            label = ("fear" if any(w in text for w in ("afraid", "scared")) else
                     "anger" if any(w in text for w in ("resentful", "furious")) else "sadness")
            scores = {e: (0.75 if e == label else 0.05) for e in EMOTIONS}
            if self.corrupt_on and self.corrupt_on in text:
                scores = {e: 0.5 for e in EMOTIONS}
                out.append(Prediction.model_construct(emotion=label, confidence=0.5, scores=scores,
                                                      model_version="keyword"))
                continue
            out.append(Prediction(emotion=label, confidence=0.75, scores=scores, model_version="keyword"))
        return out
