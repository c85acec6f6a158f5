"""The LLM + encoder vote: the weighted geometric mean of two real (tiny) classifiers' probabilities."""

import pytest
import torch

from llm.config import ModelConfig
from llm.encoder import EncoderClassifier
from llm.ensemble import EnsembleClassifier
from llm.factory import load_classifier
from llm.labels import EMOTIONS
from tests.eval_fixtures import tiny_encoder_dir, tiny_lora_adapter

TEXTS = ["i feel so alone", "I am SO happy with my day!!", "furious at my boss", "nervous"]


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory):
    return tiny_encoder_dir(tmp_path_factory.mktemp("encoder"))


@pytest.fixture(scope="module")
def llm_config(tiny_model_dir, tmp_path_factory) -> ModelConfig:
    adapter = tiny_lora_adapter(tiny_model_dir, tmp_path_factory.mktemp("adapter"), seed=5)
    return ModelConfig(base_model=str(tiny_model_dir), adapter=str(adapter), dtype="float32", device="cpu")


def _matrix(predictions) -> torch.Tensor:
    return torch.tensor([[p.scores[label] for label in EMOTIONS] for p in predictions])


def test_the_vote_is_the_weighted_geometric_mean_of_the_members(llm_config, encoder_dir):
    ensemble = load_classifier(llm_config.model_copy(update={"encoder": str(encoder_dir), "encoder_weight": 0.3}))
    assert isinstance(ensemble, EnsembleClassifier)
    llm = _matrix(load_classifier(llm_config).predict(TEXTS))
    encoder = _matrix(EncoderClassifier.load(str(encoder_dir)).predict(TEXTS))
    expected = llm.pow(0.7) * encoder.pow(0.3)
    expected = expected / expected.sum(dim=1, keepdim=True)
    combined = ensemble.predict(TEXTS)
    assert torch.allclose(_matrix(combined), expected, atol=1e-5)
    assert [p.emotion for p in combined] == [EMOTIONS[i] for i in expected.argmax(dim=1)]


@pytest.mark.parametrize("weight, member", [(0.0, "llm"), (1.0, "encoder")])
def test_a_weight_at_either_end_gives_one_member_alone(llm_config, encoder_dir, weight, member):
    ensemble = load_classifier(llm_config.model_copy(update={"encoder": str(encoder_dir), "encoder_weight": weight}))
    alone = ensemble.llm if member == "llm" else ensemble.encoder
    assert torch.allclose(_matrix(ensemble.predict(TEXTS)), _matrix(alone.predict(TEXTS)), atol=1e-5)


def test_the_version_names_both_members_and_the_weight(llm_config, encoder_dir):
    half = load_classifier(llm_config.model_copy(update={"encoder": str(encoder_dir)}))
    third = load_classifier(llm_config.model_copy(update={"encoder": str(encoder_dir), "encoder_weight": 0.3}))
    llm_version = half.llm.info.version
    assert half.info.version.startswith(llm_version + "&") and half.info.version != third.info.version
    assert half.info.encoder_version == half.encoder.info.adapter_version
    assert {p.model_version for p in half.predict(TEXTS)} == {half.info.version}


def test_explanations_are_written_by_the_llm(llm_config, encoder_dir):
    ensemble = load_classifier(llm_config.model_copy(update={"encoder": str(encoder_dir)}))
    conversation = [{"role": "user", "content": "hello"}]
    assert ensemble.generate([conversation], max_new_tokens=4) == ensemble.llm.generate([conversation], max_new_tokens=4)


def test_a_missing_encoder_is_a_clear_error(llm_config, tmp_path):
    from llm.classifier import ClassifierError

    with pytest.raises(ClassifierError, match="is not a saved baseline"):
        load_classifier(llm_config.model_copy(update={"encoder": str(tmp_path)}))
