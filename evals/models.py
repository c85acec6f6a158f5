"""Build the named classifiers of an eval recipe; every kind is used through the same Classifier interface."""

from pathlib import Path

from evals.config import EncoderSpec, LLMSpec, ModelSpec
from llm.classifier import Classifier, ClassifierError


def check_model(name: str, spec: ModelSpec) -> None:
    """Fail fast, before any model predicts, when a model's files are missing (e.g. an untrained adapter)."""
    try:
        if isinstance(spec, LLMSpec):
            from llm.loading import resolve_model_adapter

            resolve_model_adapter(spec.model_config_())
        elif spec.path != "shipped" and not _is_registry_uri(spec.path) and not Path(spec.path).is_dir():
            raise ClassifierError(f"baseline directory not found: {spec.path} "
                                  "(train it with python -m finetune.baseline)")
    except ClassifierError as error:
        raise ClassifierError(f"model {name!r}: {error}") from None


def build_classifier(name: str, spec: ModelSpec) -> Classifier:
    """The classifier a spec names: an LLM (transformers or vLLM backend) or the encoder baseline."""
    try:
        if isinstance(spec, LLMSpec):
            from llm.factory import load_classifier

            return load_classifier(spec.model_config_())
        return _load_encoder(spec)
    except ClassifierError as error:
        raise ClassifierError(f"model {name!r}: {error}") from None


def with_registry_version(spec: ModelSpec, uri: str) -> ModelSpec:
    """The same spec pointed at a registered version (``models:/name/3``): the adapter or the baseline dir."""
    if isinstance(spec, LLMSpec):
        return spec.model_copy(update={"model": {**spec.model, "adapter": uri}})
    return spec.model_copy(update={"path": uri})


def _load_encoder(spec: EncoderSpec) -> Classifier:
    try:
        from llm.encoder import EncoderClassifier
    except ImportError as error:
        raise ClassifierError(f"the transformer baseline is not available ({error})") from None
    return EncoderClassifier.load(spec.path, batch_size=spec.batch_size)


def _is_registry_uri(path: str) -> bool:
    return path.startswith(("models:/", "runs:/"))


def uses_registry(spec: ModelSpec) -> bool:
    """Whether the spec loads from the MLflow registry (so MLflow must be configured first)."""
    location = spec.model_config_().adapter if isinstance(spec, LLMSpec) else spec.path
    return location is not None and _is_registry_uri(location)
