"""Typed eval recipes (configs/evals/*.yaml): which models, which data, which slices, which gates."""

from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from llm.config import ModelConfig, load_yaml_config

DEFAULT_CONFIG = "configs/evals/default.yaml"


class EvalConfigError(ValueError):
    """An eval recipe is invalid; the message lists every problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class LLMSpec(_Strict):
    """An LLM classifier: a model recipe (configs/models/*.yaml) with ModelConfig fields overriding it."""

    kind: Literal["llm"]
    recipe: str | None = None
    model: dict[str, Any] = Field(default_factory=dict, description="ModelConfig fields, e.g. adapter: null")

    def model_config_(self) -> ModelConfig:
        """The validated ModelConfig (recipe first, then the overrides; null values are kept)."""
        data = load_yaml_config(self.recipe) if self.recipe else {}
        return ModelConfig.model_validate({**data, **self.model})

    @property
    def batch_size(self) -> int:
        return self.model_config_().batch_size


class EncoderSpec(_Strict):
    """The transformer baseline: ``shipped``, a directory saved by ``python -m finetune.baseline`` or a models:/ URI."""

    kind: Literal["encoder"]
    path: str = "shipped"
    batch_size: int = Field(default=64, ge=1)


ModelSpec = Annotated[LLMSpec | EncoderSpec, Field(discriminator="kind")]


class DatasetSettings(_Strict):
    source: str | None = Field(default=None, description="dair-ai's hub id or directory; EMOAI_DATA_DIR wins")
    split: Literal["train", "validation", "test"] = "test"
    sets: list[str] = Field(default_factory=list, description="named sets or JSONL files evaluated in one run "
                                                               "(empty: the dair-ai split above); --dataset wins")


class RunnerSettings(_Strict):
    latency_samples: int = Field(default=32, ge=1, description="texts timed one at a time for latency")
    error_examples: int = Field(default=5, ge=0, description="failed inputs quoted per model")


class StatisticsSettings(_Strict):
    bootstrap_resamples: int = Field(default=1000, ge=10)
    confidence_level: float = Field(default=0.95, gt=0, lt=1)
    calibration_bins: int = Field(default=15, ge=1)
    seed: int = 0


class SliceSettings(_Strict):
    length_buckets: list[int] = Field(default=[10, 20, 40], description="upper word-count edges")
    robustness_limit: int = Field(default=200, ge=0, description="texts in the robustness slice")
    robustness_variants: list[Literal["capitalisation", "punctuation", "contractions", "journal"]] = [
        "capitalisation", "punctuation", "contractions", "journal"]
    seed: int = 0

    @field_validator("length_buckets")
    @classmethod
    def _increasing(cls, edges: list[int]) -> list[int]:
        if not edges or any(b <= a for a, b in pairwise(edges)) or edges[0] < 1:
            raise ValueError("length_buckets must be increasing positive word counts")
        return edges


class SystemChecks(_Strict):
    crisis_set: str | None = Field(default=None, description="labelled crisis JSONL (null: the labelled file of "
                                                             "data/crisis/manifest.yaml)")
    crisis_model: str | None = Field(default="shipped", description='the crisis screen measured: "shipped" (the '
                                                                    "default panel), a model or panel directory, "
                                                                    "or null (the rules alone)")
    retrieval_queries: str = "evals/datasets/retrieval_queries.jsonl"
    retrieval_k: int = Field(default=3, ge=1)


class GateSettings(_Strict):
    """Release thresholds; a threshold left null is not checked."""

    models: list[str] | None = Field(default=None, description="models the gates apply to (null: all)")
    min_accuracy: float | None = Field(default=None, ge=0, le=1)
    min_macro_f1: float | None = Field(default=None, ge=0, le=1)
    max_ece: float | None = Field(default=None, ge=0, le=1)
    max_error_rate: float | None = Field(default=None, ge=0, le=1)
    max_flip_rate: float | None = Field(default=None, ge=0, le=1)
    min_crisis_recall: float | None = Field(default=None, ge=0, le=1)


class PromotionSettings(_Strict):
    """How ``python -m evals promote`` builds registered versions and decides who wins."""

    metric: Literal["accuracy", "macro_f1", "weighted_f1"] = "macro_f1"
    min_improvement: float = Field(default=0.0, ge=0, description="the challenger must lead by more than this")
    require_significance: bool = Field(default=False, description="also need paired bootstrap p < 1 - level")
    registered_models: dict[str, ModelSpec] = Field(
        default_factory=dict, description="registered name -> spec; its adapter/path becomes models:/NAME/VER")


class TrackingSettings(_Strict):
    enabled: bool = True
    tracking_uri: str | None = Field(default=None, description="MLFLOW_TRACKING_URI wins; default sqlite")
    experiment: str = "emoai-evals"


class EvalConfig(_Strict):
    """A whole eval recipe."""

    models: dict[str, ModelSpec]
    default_models: list[str] | None = None
    dataset: DatasetSettings = DatasetSettings()
    runner: RunnerSettings = RunnerSettings()
    statistics: StatisticsSettings = StatisticsSettings()
    slices: SliceSettings = SliceSettings()
    system_checks: SystemChecks = SystemChecks()
    gates: GateSettings = GateSettings()
    promotion: PromotionSettings = PromotionSettings()
    tracking: TrackingSettings = TrackingSettings()

    @model_validator(mode="after")
    def _names_exist(self) -> "EvalConfig":
        if not self.models:
            raise ValueError("models: name at least one model")
        for name in self.default_models or []:
            if name not in self.models:
                raise ValueError(f"default_models: {name!r} is not in models ({', '.join(self.models)})")
        for name, spec in self.models.items():
            if isinstance(spec, LLMSpec):
                try:
                    spec.model_config_()
                except (ValidationError, FileNotFoundError, ValueError) as error:
                    raise ValueError(f"models.{name}: {_one_line(error)}") from None
        return self

    def select(self, names: list[str] | None) -> dict[str, ModelSpec]:
        """The named models, in the order given (default: default_models, else all)."""
        names = names or self.default_models or list(self.models)
        unknown = [n for n in names if n not in self.models]
        if unknown:
            raise EvalConfigError(f"unknown model(s) {', '.join(unknown)}; this config names "
                                  f"{', '.join(self.models)}")
        return {name: self.models[name] for name in dict.fromkeys(names)}


def load_eval_config(path: str | Path | None = None) -> EvalConfig:
    """Load and validate an eval recipe, with one readable line per problem."""
    path = Path(path or DEFAULT_CONFIG)
    try:
        return EvalConfig.model_validate(load_yaml_config(path))
    except ValidationError as error:
        raise EvalConfigError(f"invalid eval config {path}: {_one_line(error)}") from None
    except (FileNotFoundError, ValueError) as error:
        raise EvalConfigError(str(error)) from None


def _one_line(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}" for e in error.errors())
    return str(error).splitlines()[0]
