"""Predicting with a fine-tuned encoder through the same Classifier interface as the LLM."""

import hashlib
from collections.abc import Sequence
from pathlib import Path

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from llm.classifier import ClassifierError
from llm.labels import EMOTIONS
from llm.prediction import ModelInfo, Prediction
from llm.registry import download_artifacts
from llm.text import normalize_text

WEIGHTS = "model.safetensors"


class EncoderClassifier:
    """A sequence-classification encoder (MiniLM, DistilBERT, RoBERTa) scoring the six emotions."""

    def __init__(self, model: torch.nn.Module, tokenizer, name: str, version: str, batch_size: int = 64,
                 max_length: int = 96) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.max_length = max_length
        self.info = ModelInfo(base_model=name, adapter=None, adapter_version=version, backend="encoder")

    @classmethod
    def load(cls, path_or_uri: str, batch_size: int = 64) -> "EncoderClassifier":
        """Load a saved baseline from a directory or an MLflow ``models:/emotion-baseline@alias`` URI."""
        path = Path(download_artifacts(path_or_uri) if path_or_uri.startswith(("models:/", "runs:/")) else path_or_uri)
        if not (path / "config.json").is_file():
            raise ClassifierError(f"{path} is not a saved baseline: train one with "
                                  "`python -m finetune.baseline --config configs/finetune/baseline-minilm.yaml`")
        model = AutoModelForSequenceClassification.from_pretrained(str(path))
        if model.config.num_labels != len(EMOTIONS):
            raise ClassifierError(f"{path} has {model.config.num_labels} labels, expected {len(EMOTIONS)}")
        weights = path / WEIGHTS
        version = hashlib.sha256(weights.read_bytes()).hexdigest()[:12] if weights.is_file() else "unknown"
        return cls(model, AutoTokenizer.from_pretrained(str(path)), f"encoder:{path.name}", version, batch_size)

    @torch.no_grad()
    def probabilities(self, texts: Sequence[str]) -> torch.Tensor:
        """(len(texts), 6) probabilities, batched, texts normalised as for the LLM."""
        out = []
        for start in range(0, len(texts), self.batch_size):
            chunk = [normalize_text(t) for t in texts[start:start + self.batch_size]]
            inputs = self.tokenizer(chunk, padding=True, truncation=True, max_length=self.max_length,
                                    return_tensors="pt").to(self.model.device)
            out.append(torch.softmax(self.model(**inputs).logits.float(), dim=-1).cpu())
        return torch.cat(out) if out else torch.empty((0, len(EMOTIONS)))

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One prediction per text."""
        version = self.info.version
        return [Prediction.from_probabilities(p.tolist(), version) for p in self.probabilities(texts)]

