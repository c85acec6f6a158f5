"""Typed fine-tuning recipes: YAML files in configs/finetune/ plus command-line overrides."""

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer
import yaml
from peft import LoraConfig
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from llm.cli_support import PASS_THROUGH, command_settings, fail, new_app
from llm.config import load_yaml_config
from llm.sources import DEFAULT_MODEL
from llm.text import TextStyle


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class LoraSettings(_Strict):
    r: int = Field(default=16, ge=1, le=1024)
    alpha: int = Field(default=32, ge=1)
    dropout: float = Field(default=0.05, ge=0.0, lt=1.0)
    target_modules: list[str] = ["q_proj", "k_proj", "v_proj", "o_proj"]
    init_from: str | None = Field(default=None, description="start from this saved LoRA adapter (same r, alpha "
                                                             "and modules) instead of a fresh one")

    def peft_config(self, task_type: str = "CAUSAL_LM") -> LoraConfig:
        """The PEFT config of these settings (a causal LM by default)."""
        return LoraConfig(task_type=task_type, r=self.r, lora_alpha=self.alpha, lora_dropout=self.dropout,
                          target_modules=list(self.target_modules))


class EncoderLora(LoraSettings):
    """LoRA on a BERT-style encoder (attention projections and dense layers)."""

    dropout: float = Field(default=0.1, ge=0.0, lt=1.0)
    target_modules: list[str] = Field(default=["query", "key", "value", "dense"])

    def peft_config(self, task_type: str = "SEQ_CLS") -> LoraConfig:
        """The PEFT config of a sequence classifier with these settings."""
        return super().peft_config(task_type)


class MixPart(_Strict):
    """One dataset of the training mix and how many copies of it an epoch holds."""

    dataset: Literal["dair-ai", "goemotions6", "journal"]
    split: str = "train"
    repeat: float = Field(default=1.0, gt=0, description="copies per epoch: 0.5 is a seeded half, 3 is 3 copies")


class DataSettings(_Strict):
    source: str = Field(default="dair-ai/emotion", description="dair-ai's hub id or local dir; EMOAI_DATA_DIR wins")
    mix: list[MixPart] = Field(default=[MixPart(dataset="dair-ai")], min_length=1,
                               description="the training datasets and their share of an epoch")
    validation: list[str] = Field(default=["dair-ai-validation"], min_length=1,
                                  description="named validation sets; the best checkpoint has the best mean "
                                              "macro-F1 over them")
    text_style: TextStyle = Field(default="dair", description="dair: lower-case a-z words; natural: as written")
    train_limit: int | None = Field(default=None, ge=1)
    eval_limit: int | None = Field(default=None, ge=1, description="texts per validation set per evaluation")
    max_text_tokens: int = Field(default=128, ge=8)

    @model_validator(mode="after")
    def _no_test_split(self) -> "DataSettings":
        for name in self.validation:
            if name.endswith("-test"):
                raise ValueError(f"validation: {name!r} is a test split; choose models on validation sets only")
        return self


class TrainingSettings(_Strict):
    epochs: float = Field(default=1.0, gt=0)
    max_steps: int | None = Field(default=None, ge=1, description="optimizer steps; overrides epochs")
    learning_rate: float = Field(default=2e-4, gt=0, lt=1)
    lr_scheduler: Literal["cosine", "linear", "constant"] = "cosine"
    warmup_ratio: float = Field(default=0.03, ge=0, lt=1)
    micro_batch_size: int = Field(default=16, ge=1)
    gradient_accumulation_steps: int = Field(default=1, ge=1)
    weight_decay: float = Field(default=0.0, ge=0)
    max_grad_norm: float = Field(default=1.0, gt=0)
    seed: int = 42
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    class_weighting: Literal["none", "sqrt_inverse"] = "none"
    loss: Literal["answer_tokens", "label_choice"] = Field(
        default="answer_tokens",
        description="answer_tokens: full-vocabulary cross-entropy on the label and end-of-turn tokens; "
                    "label_choice: cross-entropy over the six labels' first tokens only, the softmax the "
                    "label scorer takes at inference (needs labels whose first tokens differ)")
    gradient_checkpointing: bool = False
    log_every_steps: int = Field(default=10, ge=1)
    eval_every_steps: int = Field(default=200, ge=1)
    save_every_steps: int = Field(default=50, ge=1)
    keep_checkpoints: int = Field(default=2, ge=1)


class DistillationSettings(_Strict):
    """Soft targets from a teacher: the loss follows its six probabilities as well as the gold label."""

    teacher: str = Field(description="a harness run over the training sets (python -m evals --dataset "
                                     "dair-ai-train,... --output DIR): its <set>/predictions.jsonl give the targets")
    teacher_model: str = Field(default="served", description="the model of that run whose scores are the targets")
    weight: float = Field(default=0.5, gt=0, le=1, description="the teacher's share of each example's loss; "
                                                                "the gold label keeps the rest")


class TrackingSettings(_Strict):
    tracking_uri: str | None = Field(default=None, description="MLFLOW_TRACKING_URI wins; default sqlite")
    experiment: str = "emoai-finetune"
    run_name: str | None = None
    register_as: str | None = Field(default=None, description="registered model name, e.g. emotion-llm")
    enabled: bool = True


class FinetuneConfig(_Strict):
    """A LoRA SFT recipe: base model, adapter shape, data, optimisation, DeepSpeed and tracking."""

    model: str = DEFAULT_MODEL
    lora: LoraSettings = LoraSettings()
    data: DataSettings = DataSettings()
    training: TrainingSettings = TrainingSettings()
    tracking: TrackingSettings = TrackingSettings()
    distillation: DistillationSettings | None = Field(default=None, description="learn from a teacher's "
                                                                               "probabilities too (label_choice)")
    deepspeed: str | None = Field(default=None, description="path to a ZeRO JSON config (deepspeed/*.json)")
    output_dir: str = "outputs/smollm2-135m-lora"

    @model_validator(mode="after")
    def _deepspeed_file_exists(self) -> "FinetuneConfig":
        if self.deepspeed is not None and not Path(self.deepspeed).is_file():
            raise ValueError(f"deepspeed config not found: {self.deepspeed}")
        return self

    @model_validator(mode="after")
    def _distillation_needs_label_choice(self) -> "FinetuneConfig":
        if self.distillation is not None and self.training.loss != "label_choice":
            raise ValueError("distillation needs training.loss=label_choice: the teacher's probabilities are over "
                             "the six labels")
        return self


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
RecipeT = TypeVar("RecipeT", bound=BaseModel)


class ConfigError(ValueError):
    """A recipe or override is invalid; the message lists every problem."""


def parse_overrides(args: list[str]) -> dict[str, Any]:
    """Turn ``a.b=1`` arguments (the one override syntax) into a nested dict (values parsed as YAML)."""
    pairs = []
    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep or key.startswith("-"):
            raise ConfigError(f"cannot parse override {arg!r}: use key=value, e.g. training.max_steps=2000")
        pairs.append((key, value))
    nested: dict[str, Any] = {}
    for key, value in pairs:
        *parents, leaf = key.replace("-", "_").split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = _parse_value(value)
    return nested


def _parse_value(text: str) -> Any:
    """YAML value, with numbers like ``1e-4`` (a string to YAML 1.1) read as floats."""
    value = yaml.safe_load(text)
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return float(value)
    return value


def _merge(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = _merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) \
            else value
    return merged


def load_recipe(model_cls: type[RecipeT], path: str | Path | None, overrides: list[str] | None = None) -> RecipeT:
    """Load a YAML recipe into ``model_cls`` and apply overrides, raising ConfigError with readable messages."""
    data = load_yaml_config(path) if path else {}
    data = _merge(data, parse_overrides(overrides or []))
    try:
        return model_cls.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}" for e in error.errors())
        raise ConfigError(f"invalid config{f' {path}' if path else ''}: {problems}") from None


def load_config(model_cls: type[RecipeT], argv: list[str]) -> RecipeT:
    """Command-line form: ``--config FILE`` plus overrides (launcher-added ``--local_rank`` is ignored)."""
    args = [a for a in argv if not a.startswith("--local_rank")]
    path = None
    if "--config" in args:
        i = args.index("--config")
        if i + 1 >= len(args):
            raise ConfigError("--config needs a file")
        path = args[i + 1]
        del args[i:i + 2]
    return load_recipe(model_cls, path, args)


OVERRIDES_HELP = "dotted recipe keys, e.g. lora.r=32 output_dir=outputs/x (values are YAML)"


def recipe_app(model_cls: type[RecipeT], help: str, examples_text: str, train: Callable[[RecipeT], str]) -> typer.Typer:
    """The one command line of every recipe (`python -m finetune`, `.baseline`, `.crisis`): ``--config RECIPE``
    plus ``key=value`` overrides. ``train`` runs the job and returns the summary line; config errors print one
    line and exit 2. The ``--local_rank=N`` that launchers add is accepted and ignored (ranks come from the
    environment)."""
    app = new_app(help)

    @app.command(help=help, epilog=examples_text, context_settings=command_settings(**PASS_THROUGH))
    def run(config: Annotated[str | None, typer.Option("--config", metavar="RECIPE.yaml",
                                                       help="the recipe (configs/finetune/*.yaml)")] = None,
            overrides: Annotated[list[str] | None, typer.Argument(metavar="KEY=VALUE",
                                                                  help=OVERRIDES_HELP, show_default=False)] = None,
            local_rank: Annotated[int | None, typer.Option("--local_rank", hidden=True)] = None) -> None:
        try:
            recipe = load_recipe(model_cls, config, overrides)
        except (ConfigError, FileNotFoundError, ValueError) as error:
            fail(str(error))
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
        typer.echo(train(recipe))

    return app
