"""The learned half of the crisis screen: a LoRA-tuned MiniLM that scores self-harm and suicide risk.

It scores the whole entry and each of its sentences and keeps the highest score, so one risk sentence inside
a long, ordinary entry still counts and a denial in a later sentence cannot lower it. The threshold was
chosen by cross-validation at training time (`python -m finetune.crisis`) and is stored with the adapter.
"""

import json
import re
from functools import lru_cache
from pathlib import Path

import torch
from peft import PeftModel
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from llm.sources import resolve_encoder_source

SHIPPED_CRISIS_MODEL = Path(__file__).resolve().parent / "safety_data" / "crisis-minilm"
METADATA_FILE = "crisis_model.json"
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\s*\n+\s*")


class CrisisModelError(ValueError):
    """The crisis model directory is missing or incomplete; the message says how to (re)build it."""


def split_sentences(text: str) -> list[str]:
    """The sentences of an entry (the whole text when it has only one)."""
    return [part.strip() for part in _SENTENCE_BREAK.split(text) if part.strip()] or [text]


def scoring_units(text: str) -> list[str]:
    """What gets scored for one entry: the entry itself and, when it has several, each sentence."""
    sentences = split_sentences(text)
    return [text] + sentences if len(sentences) > 1 else [text]


class CrisisModel:
    """A sequence classifier (label 1 = risk) with the decision threshold it was validated at."""

    def __init__(self, model: torch.nn.Module, tokenizer, threshold: float, max_length: int = 128,
                 version: str = "unversioned") -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.threshold = threshold
        self.max_length = max_length
        self.version = version

    @classmethod
    def load(cls, path: str | Path = SHIPPED_CRISIS_MODEL) -> "CrisisModel":
        """Load an adapter directory written by `python -m finetune.crisis`."""
        path = Path(path).expanduser()
        metadata_path = path / METADATA_FILE
        if not metadata_path.is_file():
            raise CrisisModelError(f"{path} is not a crisis model (no {METADATA_FILE}): train one with "
                                   "`python -m finetune.crisis --config configs/finetune/crisis-minilm.yaml`")
        metadata = json.loads(metadata_path.read_text())
        source = resolve_encoder_source(metadata["encoder"])
        tokenizer = AutoTokenizer.from_pretrained(source)
        base = AutoModelForSequenceClassification.from_pretrained(source, num_labels=2)
        model = PeftModel.from_pretrained(base, str(path))
        return cls(model, tokenizer, float(metadata["threshold"]), int(metadata.get("max_length", 128)),
                   str(metadata.get("version", "unversioned")))

    @torch.inference_mode()
    def unit_probabilities(self, units: list[str], batch_size: int = 32) -> list[float]:
        """P(risk) of each text, scored on its own."""
        probabilities: list[float] = []
        for start in range(0, len(units), batch_size):
            inputs = self.tokenizer(units[start:start + batch_size], padding=True, truncation=True,
                                    max_length=self.max_length, return_tensors="pt")
            probabilities += torch.softmax(self.model(**inputs).logits.float(), dim=-1)[:, 1].tolist()
        return probabilities

    def risk(self, texts: list[str]) -> list[float]:
        """The risk score of each entry: the highest P(risk) over the entry and its sentences."""
        units = [scoring_units(text) for text in texts]
        flat = self.unit_probabilities([unit for group in units for unit in group])
        scores, start = [], 0
        for group in units:
            scores.append(max(flat[start:start + len(group)]))
            start += len(group)
        return scores


@lru_cache(maxsize=2)
def load_crisis_model(path: str = str(SHIPPED_CRISIS_MODEL)) -> CrisisModel:
    """The crisis model at ``path``, loaded once per process."""
    return CrisisModel.load(path)
