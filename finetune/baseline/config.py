"""Typed baseline recipes (configs/finetune/baseline-*.yaml)."""

from typing import Literal

from pydantic import Field

from finetune.config import DataSettings, EncoderLora, TrackingSettings, _Strict


class BaselineTraining(_Strict):
    epochs: float = Field(default=3.0, gt=0)
    learning_rate: float = Field(default=5e-5, gt=0, lt=1)
    batch_size: int = Field(default=32, ge=1)
    max_length: int = Field(default=96, ge=8)
    weight_decay: float = Field(default=0.01, ge=0)
    warmup_ratio: float = Field(default=0.06, ge=0, lt=1)
    seed: int = 42
    class_weighting: Literal["none", "sqrt_inverse"] = "none"
    log_every_steps: int = Field(default=50, ge=1)
    save_every_steps: int = Field(default=100, ge=1, description="how often the resumable checkpoint is written")


class BaselineConfig(_Strict):
    """Encoder fine-tuning recipe: which encoder, data, optimisation, tracking, where to save."""

    encoder: str = Field(default="all-minilm-l6-v2", description="embedded name, local dir, or hub id")
    lora: EncoderLora | None = Field(default=None, description="train a LoRA adapter plus the head (a few MB to "
                                                               "ship) instead of every weight")
    data: DataSettings = DataSettings()
    training: BaselineTraining = BaselineTraining()
    tracking: TrackingSettings = TrackingSettings(register_as="emotion-baseline")
    output_dir: str = "outputs/baseline-minilm"
