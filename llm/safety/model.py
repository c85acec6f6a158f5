"""The learned half of the crisis screen: a LoRA-tuned classifier (MiniLM by default) that scores self-harm and
suicide risk.

Two ways to score an entry, chosen at training time and stored with the adapter:

- ``sentences``: the entry and each of its sentences on its own; the highest score counts, so one risk
  sentence inside a long, ordinary entry counts and a denial in a later sentence cannot lower it. A sentence
  read alone loses its context ("I can't believe they picked me." after good news).
- ``windows``: the entry as written, read in overlapping windows of ``max_length`` tokens when it is longer;
  the highest window counts. Context is kept; the model must learn that a later denial does not cancel risk.

Every text longer than ``max_length`` tokens is read in overlapping windows, so no part of an entry goes
unread. The threshold was chosen by cross-validation (`python -m finetune.crisis`) for the stored mode.

The model also records how the rules (``llm.safety.rules``) combine with it (``rules``): ``beside`` (either one
flags an entry) or ``fallback`` (the model alone decides; the rules screen only when no model is loaded).
"""

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

import torch
from peft import PeftModel
from transformers import AutoModelForSequenceClassification, AutoTokenizer
from transformers.utils import logging as hf_logging

from llm.sources import resolve_encoder_source
from llm.text import split_sentences

METADATA_FILE = "crisis_model.json"
Scoring = Literal["sentences", "windows"]
SCORING_MODES: tuple[Scoring, ...] = get_args(Scoring)
Rules = Literal["beside", "fallback"]
RULES_MODES: tuple[Rules, ...] = get_args(Rules)


class CrisisModelError(ValueError):
    """The crisis model directory is missing or incomplete; the message says how to (re)build it."""


def scoring_units(text: str, scoring: Scoring = "sentences") -> list[str]:
    """What gets scored for one entry: the entry itself and, in ``sentences`` mode, each of its sentences."""
    if scoring == "windows":
        return [text]
    sentences = split_sentences(text)
    return [text, *sentences] if len(sentences) > 1 else [text]


def load_classifier_base(encoder: str) -> tuple[torch.nn.Module, object]:
    """The encoder (or decoder LLM) with a fresh two-label head, and its tokenizer, ready to pad batches."""
    source = resolve_encoder_source(encoder)
    tokenizer = AutoTokenizer.from_pretrained(source)
    if tokenizer.pad_token is None:  # decoder LLMs: pad with end-of-sequence; the head reads the last real token
        tokenizer.pad_token = tokenizer.eos_token
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the base has no head: training or the adapter brings it
    try:
        base = AutoModelForSequenceClassification.from_pretrained(source, num_labels=2)
    finally:
        hf_logging.set_verbosity(verbosity)
    base.config.pad_token_id = tokenizer.pad_token_id
    return base, tokenizer


class CrisisModel:
    """A sequence classifier (label 1 = risk) with the decision threshold it was validated at."""

    def __init__(self, model: torch.nn.Module, tokenizer, threshold: float, max_length: int = 128,
                 version: str = "unversioned", scoring: Scoring = "sentences", rules: Rules = "beside") -> None:
        if scoring not in SCORING_MODES:
            raise CrisisModelError(f"unknown scoring {scoring!r}: use one of {', '.join(SCORING_MODES)}")
        if rules not in RULES_MODES:
            raise CrisisModelError(f"unknown rules mode {rules!r}: use one of {', '.join(RULES_MODES)}")
        self.scoring = scoring
        self.rules = rules
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.threshold = threshold
        self.max_length = max_length
        self.version = version

    @classmethod
    def load(cls, path: str | Path) -> "CrisisModel":
        """Load an adapter directory written by `python -m finetune.crisis`."""
        path = Path(path).expanduser()
        metadata_path = path / METADATA_FILE
        if not metadata_path.is_file():
            raise CrisisModelError(f"{path} is not a crisis model (no {METADATA_FILE}): train one with "
                                   "`python -m finetune.crisis --config configs/finetune/crisis-minilm.yaml`")
        metadata = json.loads(metadata_path.read_text())
        base, tokenizer = load_classifier_base(metadata["encoder"])
        model = PeftModel.from_pretrained(base, str(path)).merge_and_unload()  # inference only: one matmul a layer
        return cls(model, tokenizer, float(metadata["threshold"]), int(metadata.get("max_length", 128)),
                   str(metadata.get("version", "unversioned")), metadata.get("scoring", "sentences"),
                   metadata.get("rules", "beside"))

    @torch.inference_mode()
    def unit_probabilities(self, units: list[str], batch_size: int = 32) -> list[float]:
        """P(risk) of each text on its own; a long text keeps the highest of its overlapping windows.

        Texts are batched with others of similar length, so that little of a batch is padding.
        """
        probabilities = [0.0] * len(units)
        order = sorted(range(len(units)), key=lambda i: len(units[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            batch = [units[i] for i in rows]
            inputs = self.tokenizer(batch, padding=True, truncation=True, max_length=self.max_length,
                                    stride=self.max_length // 4, return_overflowing_tokens=True,
                                    return_tensors="pt")
            owners = inputs.pop("overflow_to_sample_mapping").tolist()
            inputs = inputs.to(next(self.model.parameters()).device)
            windows = torch.softmax(self.model(**inputs).logits.float(), dim=-1)[:, 1].tolist()
            best = [0.0] * len(batch)
            for owner, probability in zip(owners, windows, strict=True):
                best[owner] = max(best[owner], probability)
            for row, probability in zip(rows, best, strict=True):
                probabilities[row] = probability
        return probabilities

    def token_count(self, text: str) -> int:
        """How many tokens this model's tokenizer makes of a text (before windowing)."""
        return len(self.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    def risk(self, texts: list[str]) -> list[float]:
        """The risk score of each entry: the highest P(risk) over its scoring units (see the module notes)."""
        units = [scoring_units(text, self.scoring) for text in texts]
        flat = self.unit_probabilities([unit for group in units for unit in group])
        scores, start = [], 0
        for group in units:
            scores.append(max(flat[start:start + len(group)]))
            start += len(group)
        return scores

    def assess(self, texts: list[str]) -> list[tuple[float, bool]]:
        """Per entry: the risk score and whether it reaches the threshold."""
        return [(score, score >= self.threshold) for score in self.risk(texts)]


@lru_cache(maxsize=4)
def load_crisis_model(path: str) -> CrisisModel:
    """The crisis model at ``path``, loaded once per process."""
    return CrisisModel.load(path)
