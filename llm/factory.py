"""Build a classifier from a ModelConfig, whichever backend it names."""

from llm.classifier import Classifier
from llm.config import ModelConfig, load_yaml_config


def load_model_config(path: str | None = None, **overrides) -> ModelConfig:
    """A ModelConfig from a YAML recipe (or the defaults), with keyword overrides applied."""
    data = load_yaml_config(path) if path else {}
    data.update({k: v for k, v in overrides.items() if v is not None})
    return ModelConfig.model_validate(data)


def load_classifier(config: ModelConfig) -> Classifier:
    """The classifier for a config: the LLM on its backend (imported only when used), with the
    configured encoder voting alongside it when there is one."""
    llm = _load_llm(config)
    if config.encoder is None:
        return llm
    from llm.encoder import EncoderClassifier
    from llm.ensemble import EnsembleClassifier

    return EnsembleClassifier(llm, EncoderClassifier.load(config.encoder, batch_size=config.batch_size),
                              config.encoder_weight)


def _load_llm(config: ModelConfig) -> Classifier:
    if config.backend == "vllm":
        from llm.backends.vllm_backend import VLLMClassifier

        return VLLMClassifier(config)
    from llm.backends.transformers_backend import TransformersClassifier

    return TransformersClassifier(config)
