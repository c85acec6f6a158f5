"""Plan a recipe before renting GPUs: parameters, memory per GPU and batch arithmetic, without any weights.

    python -m finetune.plan --config configs/finetune/qwen2.5-7b-lora-zero2.yaml [--gpus 8] [--gpu-memory-gb 80]
    python -m finetune.plan --serving configs/models/qwen2.5-7b-lora-vllm.yaml [--gpu-memory-gb 80]

The model is built on PyTorch's meta device from its architecture config (`configs/hub/<hub id>/config.json`
when shipped, else the hub), the recipe's LoRA is applied, and the memory per GPU is estimated:
- model states: the frozen bf16 weights (replicated under ZeRO 0-2, sharded under ZeRO-3, on the CPU with
  parameter offload) plus DeepSpeed's own ZeRO-2/ZeRO-3 estimate for the trainable (LoRA) parameters;
- activations of one micro-batch (bf16, per decoder layer: inputs of every projection, attention and MLP
  intermediates, LoRA inputs; with gradient checkpointing only the layer inputs plus one layer);
the sum is set against the GPU's memory. These are estimates, not measurements.
"""

import contextlib
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import click
import torch
import typer
from transformers import AutoConfig, AutoModelForCausalLM, PretrainedConfig

from finetune.config import ConfigError, FinetuneConfig, load_recipe
from llm.cli_support import command_settings, examples, fail, new_app, run
from llm.config import ModelConfig
from llm.paths import project_file
from llm.sources import resolve_model_source

HUB_CONFIGS = project_file("configs", "hub")
PROMPT_TOKENS = 64  # the chat template, instruction and answer around the text (SmolLM2: 30-40)
GIB = 2**30


def architecture(model_id: str) -> PretrainedConfig:
    """The model's architecture config: the shipped copy in configs/hub, else from the hub (or a local dir)."""
    shipped = HUB_CONFIGS / model_id / "config.json"
    return AutoConfig.from_pretrained(str(shipped.parent) if shipped.is_file() else resolve_model_source(model_id))


@dataclass
class TrainingPlan:
    model: str
    total_params: int
    trainable_params: int
    zero_stage: int
    offload: str
    gpus: int
    micro_batch: int
    accumulation: int
    global_batch: int
    sequence_tokens: int
    model_states_gib: float
    activations_gib: float
    total_gib: float
    gpu_memory_gib: float
    fits: bool


def meta_lora_model(config: FinetuneConfig) -> tuple[torch.nn.Module, PretrainedConfig]:
    """The recipe's model with its LoRA applied, on the meta device (no memory, no download of weights)."""
    from peft import get_peft_model

    arch = architecture(config.model)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(arch, torch_dtype=torch.bfloat16)
    return get_peft_model(model, config.lora.peft_config()), arch


def zero_settings(path: str | None) -> tuple[int, bool, bool]:
    """ZeRO stage and whether optimizer / parameters are offloaded to the CPU, from a DeepSpeed JSON."""
    if path is None:
        return 0, False, False
    zero = json.loads(Path(path).read_text()).get("zero_optimization", {})
    optimizer, params = (zero.get(key, {}).get("device", "none") in ("cpu", "nvme")
                         for key in ("offload_optimizer", "offload_param"))
    return int(zero.get("stage", 0)), optimizer, params


def largest_layer_params(model: torch.nn.Module) -> int:
    return max(sum(p.numel() for p in module.parameters(recurse=False)) for module in model.modules())


def model_state_bytes(total: int, trainable: int, largest: int, stage: int, gpus: int,
                      offload_optimizer: bool, offload_params: bool) -> int:
    """Frozen bf16 weights by ZeRO stage, plus DeepSpeed's estimate for the trainable parameters."""
    with contextlib.redirect_stdout(sys.stderr):  # DeepSpeed announces its accelerator on stdout
        from deepspeed.runtime.zero.stage3 import estimate_zero3_model_states_mem_needs
        from deepspeed.runtime.zero.stage_1_and_2 import estimate_zero2_model_states_mem_needs

    frozen = 2 * (total - trainable)
    if stage == 3:
        _cpu, trainable_bytes, _layer = estimate_zero3_model_states_mem_needs(
            trainable, largest, num_gpus_per_node=gpus, cpu_offload=offload_optimizer,
            cpu_offload_params=offload_params)
        return (0 if offload_params else frozen // gpus) + trainable_bytes
    _cpu, trainable_bytes = estimate_zero2_model_states_mem_needs(
        trainable, num_gpus_per_node=gpus if stage >= 1 else 1, cpu_offload=offload_optimizer)
    return frozen + trainable_bytes


def activation_bytes(arch: PretrainedConfig, batch: int, tokens: int, lora_modules: int,
                     checkpointing: bool) -> int:
    """bf16 activations kept for the backward pass of one micro-batch (an estimate; see the module notes)."""
    hidden, inner, layers = arch.hidden_size, arch.intermediate_size, arch.num_hidden_layers
    heads = arch.num_attention_heads
    head_dim = getattr(arch, "head_dim", None) or hidden // heads
    kv = arch.num_key_value_heads * head_dim
    per_token = 2 * (6 * hidden + 2 * kv + 4 * inner)  # norms, q/k/v, attention out, residual; MLP gate/up/act
    per_token += 2 * (lora_modules - 1) * hidden + 2 * inner  # LoRA's dropout copies of each projection input
    layer = batch * tokens * per_token
    if checkpointing:
        return layers * batch * tokens * 2 * hidden + layer
    return layers * layer


def plan_training(config: FinetuneConfig, gpus: int, gpu_memory_gib: float) -> TrainingPlan:
    model, arch = meta_lora_model(config)
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    stage, offload_optimizer, offload_params = zero_settings(config.deepspeed)
    states = model_state_bytes(total, trainable, largest_layer_params(model), stage, gpus, offload_optimizer,
                               offload_params)
    tokens = config.data.max_text_tokens + PROMPT_TOKENS
    training = config.training
    activations = activation_bytes(arch, training.micro_batch_size, tokens, len(config.lora.target_modules),
                                   training.gradient_checkpointing)
    offload = "+".join(name for name, on in (("optimizer", offload_optimizer), ("params", offload_params)) if on)
    total_gib = (states + activations) / GIB
    return TrainingPlan(
        model=config.model, total_params=total, trainable_params=trainable, zero_stage=stage,
        offload=offload or "none", gpus=gpus, micro_batch=training.micro_batch_size,
        accumulation=training.gradient_accumulation_steps,
        global_batch=training.micro_batch_size * training.gradient_accumulation_steps * gpus,
        sequence_tokens=tokens, model_states_gib=round(states / GIB, 2), activations_gib=round(activations / GIB, 2),
        total_gib=round(total_gib, 2), gpu_memory_gib=gpu_memory_gib, fits=total_gib <= gpu_memory_gib)


@dataclass
class ServingPlan:
    model: str
    tensor_parallel: int
    weights_gib: float
    kv_cache_gib: float
    budget_gib: float
    fits: bool


def plan_serving(config: ModelConfig, gpu_memory_gib: float, tensor_parallel: list[int]) -> list[ServingPlan]:
    """Weights plus the KV cache of `batch_size` sequences of the classifier's prompt, per tensor-parallel degree."""
    arch = architecture(config.base_model)
    with torch.device("meta"):
        params = sum(p.numel() for p in AutoModelForCausalLM.from_config(arch).parameters())
    head_dim = getattr(arch, "head_dim", None) or arch.hidden_size // arch.num_attention_heads
    kv_per_token = 2 * arch.num_hidden_layers * arch.num_key_value_heads * head_dim * 2  # K and V, bf16
    tokens = config.max_text_tokens + PROMPT_TOKENS
    plans = []
    for tp in tensor_parallel:
        weights = 2 * params / tp / GIB
        kv_cache = kv_per_token * tokens * config.batch_size / tp / GIB
        budget = gpu_memory_gib * config.gpu_memory_utilization
        plans.append(ServingPlan(config.base_model, tp, round(weights, 2), round(kv_cache, 2), round(budget, 2),
                                 weights + kv_cache <= budget))
    return plans


def _table(rows: list[dict]) -> str:
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    lines += ["| " + " | ".join(f"{row[key]:,}" if isinstance(row[key], int) and not isinstance(row[key], bool)
                               else str(row[key]) for key in head) + " |" for row in rows]
    return "\n".join(lines)


EXAMPLES = examples(
    "  python -m finetune.plan --config configs/finetune/qwen2.5-7b-lora-zero2.yaml --gpus 1 2 8",
    "  python -m finetune.plan --config configs/finetune/mistral-7b-lora-zero3-offload.yaml --gpus 2 "
    "--gpu-memory-gb 24",
    "  python -m finetune.plan --serving configs/models/qwen2.5-7b-lora-vllm.yaml --gpus 1 2 --json")
MULTI_VALUE = ("--gpus",)  # options that take several values: --gpus 1 2 8
app = new_app(__doc__.splitlines()[0])


@app.command(help=__doc__.split("\n\n")[0], epilog=EXAMPLES, context_settings=command_settings())
def plan(config: Annotated[str | None, typer.Option(metavar="RECIPE.yaml", help="a fine-tuning recipe (configs/finetune/*.yaml)")] = None,
         serving: Annotated[str | None, typer.Option(metavar="RECIPE.yaml", help="a model recipe served with vLLM (configs/models/*.yaml)")]
         = None,
         gpus: Annotated[list[int], typer.Option(metavar="N...", help="GPU counts to plan for, e.g. --gpus 1 2 8")]
         = [1, 2, 8],  # noqa: B006 (Typer reads the default, never mutates it)
         gpu_memory_gb: Annotated[float, typer.Option(help="memory of one GPU, GiB")] = 80.0,
         json_output: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False) -> None:
    if (config is None) == (serving is None):
        raise click.UsageError("give one of --config RECIPE or --serving MODEL_RECIPE")
    try:
        if config:
            recipe = load_recipe(FinetuneConfig, config)
            rows = [asdict(plan_training(recipe, count, gpu_memory_gb)) for count in gpus]
        else:
            model = load_recipe(ModelConfig, serving)
            rows = [asdict(plan) for plan in plan_serving(model, gpu_memory_gb, gpus)]
    except (ConfigError, OSError, ValueError) as error:
        fail(str(error))
    typer.echo(json.dumps(rows, indent=1) if json_output else _table(rows))


def main(argv: list[str] | None = None) -> int:
    """Plan; a bad recipe prints one line and exits 2."""
    return run(app, argv, "python -m finetune.plan", multi_value=MULTI_VALUE)


if __name__ == "__main__":
    sys.exit(main())
