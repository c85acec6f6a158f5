"""Typed recipe for the crisis-screen classifier (configs/finetune/crisis-minilm.yaml)."""

from typing import Literal

from pydantic import Field

from finetune.config import EncoderLora, TrackingSettings, _Strict
from llm.crisis_model import Rules, Scoring


class CrisisDataSettings(_Strict):
    files: list[str] = Field(default=["llm/safety_data/crisis_train.jsonl", "llm/safety_data/crisis_train2.jsonl",
                                      "llm/safety_data/crisis_train3.jsonl", "llm/safety_data/crisis_train4.jsonl",
                                      "llm/safety_data/crisis_train5.jsonl", "llm/safety_data/crisis_train6.jsonl",
                                      "evals/datasets/crisis_screen.jsonl"],
                             description="labelled JSONL files (text, crisis)")
    splits: list[str] | None = Field(default=["dev", "heldout", "heldout2", "heldout3", "heldout4", "heldout5",
                                              "heldout6", "heldout7", "heldout10"],
                                     description="rows whose `split` is listed (rows without one always count); "
                                                 "null takes every row. Blind test splits stay out.")
    guard_files: list[str] = Field(default=["evals/datasets/retrieval_queries.jsonl",
                                            "evals/datasets/everyday_journal.jsonl",
                                            "evals/datasets/everyday_journal2.jsonl",
                                            "evals/datasets/everyday_journal3.jsonl",
                                            "evals/datasets/everyday_journal4.jsonl",
                                            "evals/datasets/everyday_journal5.jsonl",
                                            "evals/datasets/everyday_journal6.jsonl",
                                            "evals/datasets/everyday_journal7.jsonl"],
                                   description="JSONL evaluation sets (a `text` per row) that are never trained on: "
                                               "the leak guard treats their rows as held out")
    ordinary_negatives: int = Field(default=1000, ge=0,
                                    description="ordinary texts from the emotion dataset's train split added as "
                                                "non-risk rows (any the rules flag are skipped)")
    ordinary_source: str = Field(default="dair-ai/emotion", description="hub id or local dir; EMOAI_DATA_DIR wins")
    overlap_words: int = Field(default=6, ge=0,
                               description="leak guard: a training row sharing a run of this many words with a "
                                           "held-out row (a split left out above) is dropped; 0 turns it off")


class CrisisTraining(_Strict):
    epochs: int = Field(default=5, ge=1)
    learning_rate: float = Field(default=5e-4, gt=0, lt=1)
    batch_size: int = Field(default=16, ge=1)
    max_length: int = Field(default=128, ge=8)
    weight_decay: float = Field(default=0.01, ge=0)
    seed: int = 42
    device: str = Field(default="auto", description="auto (CUDA when present, with bf16 autocast), cuda or cpu")
    folds: int = Field(default=4, ge=2, description="cross-validation folds that choose the threshold")
    target_recall: float = Field(default=0.97, gt=0, le=1,
                                 description="the threshold is the highest one at which the screen (as deployed: "
                                             "see `rules`) reaches this out-of-fold recall")


class CrisisConfig(_Strict):
    """Fine-tune a LoRA adapter on a small encoder to score self-harm/suicide risk."""

    encoder: str = Field(default="all-minilm-l6-v2", description="embedded name, local dir, or hub id")
    scoring: Scoring | Literal["auto"] = Field(
        default="auto", description="how an entry is scored (llm/crisis_model.py); cross-validation reports every "
                                    "mode, and `auto` keeps the one with the best out-of-fold precision")
    rules: Rules | Literal["auto"] = Field(
        default="auto", description="how the rules of llm/safety.py combine with the model: `beside` (either one "
                                    "flags an entry), `fallback` (the model alone decides; rules only without a "
                                    "model), or `auto` (the one with the best out-of-fold precision)")
    data: CrisisDataSettings = CrisisDataSettings()
    lora: EncoderLora = EncoderLora()
    training: CrisisTraining = CrisisTraining()
    tracking: TrackingSettings = TrackingSettings(experiment="emoai-crisis-screen")
    output_dir: str = "outputs/crisis-minilm"
