"""Label scoring on tiny random models: probabilities, batch invariances, multi-token labels."""

import pytest
import torch

from llm.labels import EMOTIONS
from tests.tiny_models import load_tiny_scorer

TEXTS = ["i feel so alone", "I am SO happy with my day!!", "furious at my boss", "nervous",
         "honestly i feel tender towards my partner and fond of my old friends"]


@pytest.fixture(params=["tiny_model_dir", "tiny_subword_model_dir"])
def loaded(request):
    return load_tiny_scorer(request.getfixturevalue(request.param))


def _prompts(builder, texts):
    return [builder.encode(t).prompt_ids for t in texts]


def test_probabilities_cover_six_labels_and_sum_to_one(loaded):
    model, builder, scorer = loaded
    probs = scorer.log_probs(model, _prompts(builder, TEXTS)).exp()
    assert probs.shape == (len(TEXTS), len(EMOTIONS))
    assert torch.allclose(probs.sum(dim=1), torch.ones(len(TEXTS)), atol=1e-5)
    assert (probs > 0).all()


def test_scores_do_not_depend_on_batch_order(loaded):
    model, builder, scorer = loaded
    forward = scorer.log_probs(model, _prompts(builder, TEXTS))
    backward = scorer.log_probs(model, _prompts(builder, TEXTS[::-1]))
    assert torch.allclose(forward, backward.flip(0), atol=1e-5)


def test_a_text_scores_the_same_alone_and_padded_in_a_batch(loaded):
    model, builder, scorer = loaded
    batch = scorer.log_probs(model, _prompts(builder, TEXTS))
    for i, text in enumerate(TEXTS):
        alone = scorer.log_probs(model, _prompts(builder, [text]))[0]
        assert torch.allclose(alone, batch[i], atol=1e-5), text


def test_subword_labels_take_the_trie_path_and_match_a_brute_force_computation(tiny_subword_model_dir):
    model, builder, scorer = load_tiny_scorer(tiny_subword_model_dir)
    assert not scorer.first_tokens_distinct, "the fixture tokenizer should make labels share first tokens"
    assert any(len(ids) > 2 for ids in builder.label_ids)
    prompt = _prompts(builder, ["i feel so alone"])[0]
    fast = scorer.log_probs(model, [prompt])[0]
    # brute force: feed each label token by token, softmax over the tokens that continue some label
    expected = []
    for label in builder.label_ids:
        total = 0.0
        for j, token in enumerate(label):
            with torch.no_grad():
                logits = model(torch.tensor([prompt + label[:j]])).logits[0, -1]
            allowed = sorted({other[j] for other in builder.label_ids if len(other) > j and other[:j] == label[:j]})
            total += (logits[token] - torch.logsumexp(logits[allowed], dim=0)).item()
        expected.append(total)
    assert torch.allclose(fast, torch.tensor(expected), atol=1e-4)


def test_first_token_path_equals_the_trie_computation(tiny_model_dir):
    model, builder, scorer = load_tiny_scorer(tiny_model_dir)
    assert scorer.first_tokens_distinct
    prompts = _prompts(builder, TEXTS)
    fast = scorer.log_probs(model, prompts)
    general = scorer._trie_log_probs(model, prompts, torch.device("cpu"))
    assert torch.allclose(fast, general, atol=1e-4)
