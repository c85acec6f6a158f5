"""The vLLM backend's label trie gives the same label probabilities as llm.scoring, without vLLM."""

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from llm.backends.vllm_backend import LabelTrie
from llm.labels import EMOTIONS
from llm.prompt import PromptBuilder
from llm.scoring import LabelScorer

TEXTS = ["i feel so alone", "I am SO happy with my day!!", "furious at my boss", "nervous"]


@torch.no_grad()
def _next_token_log_probs(model, ids: list[int]) -> dict[int, float]:
    """What a vLLM one-token request returns: raw log-probabilities of the next token (all of them here)."""
    logits = model(input_ids=torch.tensor([ids])).logits[0, -1].float()
    return dict(enumerate(torch.log_softmax(logits, dim=-1).tolist()))


@pytest.mark.parametrize("model_fixture", ["tiny_model_dir", "tiny_subword_model_dir"])
def test_trie_matches_the_transformers_label_scorer(model_fixture, request):
    model_dir = request.getfixturevalue(model_fixture)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    builder = PromptBuilder(tokenizer)
    trie = LabelTrie(builder.label_ids)
    prompts = [builder.encode(text).prompt_ids for text in TEXTS]
    expected = LabelScorer(builder.label_ids, tokenizer.pad_token_id).log_probs(model, prompts)
    for prompt, reference in zip(prompts, expected, strict=True):
        raw = [_next_token_log_probs(model, prompt + list(point.answer_prefix)) for point in trie.branch_points]
        assert torch.allclose(torch.tensor(trie.label_log_probs(raw)), reference, atol=1e-4)


def test_distinct_first_tokens_need_one_request_per_text():
    trie = LabelTrie([[10 + i, 99] for i in range(len(EMOTIONS))])
    assert len(trie.branch_points) == 1
    assert trie.branch_points[0].answer_prefix == ()
    assert trie.branch_points[0].next_tokens == tuple(10 + i for i in range(len(EMOTIONS)))


def test_shared_first_tokens_add_a_branch_point_per_divergence():
    # "sad", "sur", "joy", ... where sadness/surprise share the first token 1
    labels = [[1, 2, 99], [3, 99], [4, 99], [5, 99], [6, 99], [1, 7, 99]]
    trie = LabelTrie(labels)
    assert {(p.answer_prefix, p.next_tokens) for p in trie.branch_points} == {((), (1, 3, 4, 5, 6)), ((1,), (2, 7))}
    raw = [{1: -1.0, 3: -2.0, 4: -3.0, 5: -4.0, 6: -5.0}, {2: -0.5, 7: -1.5}]
    log_probs = trie.label_log_probs(raw)
    assert sum(torch.tensor(log_probs).exp().tolist()) == pytest.approx(1.0)
    assert log_probs[0] > log_probs[5]  # same first token, then 2 beats 7
