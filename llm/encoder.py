"""The encoder classifier: the transformer baseline, and the member that votes with the LLM when served.

Trained by ``python -m finetune.baseline``; predicts through the same Classifier interface as the LLM.
A saved baseline is either a whole model (``config.json`` + weights) or, compact enough to ship, a LoRA
adapter plus classification head over an embedded encoder (``adapter_config.json`` + ``baseline.json``,
which names the encoder). Both record the text style they were trained with.
"""

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer
from transformers import logging as hf_logging

from llm.batching import length_batches
from llm.classifier import ClassifierError
from llm.labels import EMOTIONS, LABEL_TO_ID
from llm.loading import ADAPTERS_DIR
from llm.prediction import ModelInfo, Prediction
from llm.prompt import read_text_style
from llm.registry import download_artifacts
from llm.scoring import right_pad
from llm.sources import resolve_encoder_source
from llm.text import TextStyle, prepare_text

WEIGHTS = ("model.safetensors", "adapter_model.safetensors")
ADAPTER_METADATA = "baseline.json"
SHIPPED_BASELINE_DIR = ADAPTERS_DIR / "minilm-emotion-baseline"


def encoder_with_head(encoder: str) -> tuple[torch.nn.Module, object]:
    """An encoder with a fresh six-label head, and its tokenizer."""
    source = resolve_encoder_source(encoder)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the fresh head is expected: training or the adapter brings it
    try:
        model = AutoModelForSequenceClassification.from_pretrained(
            source, num_labels=len(EMOTIONS), id2label=dict(enumerate(EMOTIONS)), label2id=LABEL_TO_ID)
    finally:
        hf_logging.set_verbosity(verbosity)
    return model, AutoTokenizer.from_pretrained(source)


class EncoderClassifier:
    """A sequence-classification encoder (MiniLM, DistilBERT, RoBERTa) scoring the six emotions."""

    def __init__(self, model: torch.nn.Module, tokenizer, name: str, version: str, batch_size: int = 64,
                 max_length: int = 96, text_style: TextStyle = "dair") -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.max_length = max_length
        self.text_style = text_style
        self.info = ModelInfo(base_model=name, adapter=None, adapter_version=version, backend="encoder")

    @classmethod
    def load(cls, path_or_uri: str, batch_size: int = 64) -> "EncoderClassifier":
        """Load a saved baseline from a directory, ``shipped``, or an MLflow ``models:/emotion-baseline@alias``."""
        if path_or_uri == "shipped":
            path = SHIPPED_BASELINE_DIR
        elif path_or_uri.startswith(("models:/", "runs:/")):
            path = Path(download_artifacts(path_or_uri))
        else:
            path = Path(path_or_uri).expanduser()
        weights = next((path / name for name in WEIGHTS if (path / name).is_file()), None)
        if weights is None:
            raise ClassifierError(f"{path} is not a saved baseline: train one with "
                                  "`python -m finetune.baseline --config configs/finetune/baseline-minilm.yaml`")
        if (path / ADAPTER_METADATA).is_file():
            model, tokenizer, max_length = _load_adapter(path)
        else:
            model = AutoModelForSequenceClassification.from_pretrained(str(path))
            tokenizer, max_length = AutoTokenizer.from_pretrained(str(path)), 96
        if model.config.num_labels != len(EMOTIONS):
            raise ClassifierError(f"{path} has {model.config.num_labels} labels, expected {len(EMOTIONS)}")
        version = hashlib.sha256(weights.read_bytes()).hexdigest()[:12]
        return cls(model, tokenizer, f"encoder:{path.name}", version, batch_size, max_length, read_text_style(path))

    @torch.no_grad()
    def probabilities(self, texts: Sequence[str]) -> torch.Tensor:
        """(len(texts), 6) probabilities, in order; texts are prepared in the model's text style and grouped
        by token length so that batches pad little."""
        prepared = [prepare_text(text, self.text_style) for text in texts]
        token_ids = self.tokenizer(prepared, truncation=True, max_length=self.max_length)["input_ids"]
        probabilities = torch.empty((len(prepared), len(EMOTIONS)))
        for rows in length_batches([len(ids) for ids in token_ids], self.batch_size):
            ids, mask = right_pad([token_ids[i] for i in rows], self.tokenizer.pad_token_id)
            logits = self.model(input_ids=ids.to(self.model.device), attention_mask=mask.to(self.model.device)).logits
            probabilities[rows] = torch.softmax(logits.float(), dim=-1).cpu()
        return probabilities

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One prediction per text."""
        return Prediction.from_rows(self.probabilities(texts).tolist(), self.info.version)


def _load_adapter(path: Path) -> tuple[torch.nn.Module, object, int]:
    """The encoder named in baseline.json with the LoRA adapter and head merged in."""
    from peft import PeftModel

    metadata = json.loads((path / ADAPTER_METADATA).read_text())
    base, tokenizer = encoder_with_head(metadata["encoder"])
    try:
        model = PeftModel.from_pretrained(base, str(path)).merge_and_unload()
    except (RuntimeError, ValueError, KeyError) as error:
        raise ClassifierError(f"{path} does not fit encoder {metadata['encoder']!r}: {error}") from None
    return model, tokenizer, int(metadata.get("max_length", 96))
