"""Typed recipe for the crisis-screen classifier (configs/finetune/crisis-*.yaml)."""

from typing import Literal

from pydantic import Field

from finetune.config import EncoderLora, TrackingSettings, _Strict
from llm.safety.model import Rules, Scoring


class CrisisDataSettings(_Strict):
    manifest: str = Field(default="data/crisis/manifest.yaml",
                          description="the crisis sets: file, split, role, writer, rows of each (llm.safety.sets)")
    sets: list[str] | None = Field(default=None,
                                   description="the manifest's sets trained on; null: every labelled set whose role "
                                               "is train or spent. A blind-dev set is never trained on")
    ordinary_negatives: int = Field(default=1000, ge=0,
                                    description="ordinary texts from the emotion dataset's train split added as "
                                                "non-risk rows (any the rules flag are skipped)")
    ordinary_source: str = Field(default="dair-ai/emotion", description="hub id or local dir; EMOAI_DATA_DIR wins")
    overlap_words: int = Field(default=6, ge=0,
                               description="leak guard: a training row sharing a run of this many words with a row "
                                           "of a set not trained on (spent or blind-dev) is dropped; 0 turns it off")


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
        default="auto", description="how an entry is scored (llm/safety/model.py); cross-validation reports every "
                                    "mode, and `auto` keeps the one with the best out-of-fold precision")
    rules: Rules | Literal["auto"] = Field(
        default="auto", description="how the rules (llm/safety/rules.py) combine with the model: `beside` (either one "
                                    "flags an entry), `fallback` (the model alone decides; rules only without a "
                                    "model), or `auto` (the one with the best out-of-fold precision)")
    data: CrisisDataSettings = CrisisDataSettings()
    lora: EncoderLora = EncoderLora()
    training: CrisisTraining = CrisisTraining()
    tracking: TrackingSettings = TrackingSettings(experiment="emoai-crisis-screen")
    output_dir: str = "outputs/crisis-minilm"
