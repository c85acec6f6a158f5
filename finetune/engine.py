"""Training engines with one interface: DeepSpeed ZeRO (any number of processes) or plain PyTorch.

The training loop calls ``engine(batch)``, ``engine.backward(loss)`` and ``engine.step()`` on
every micro-batch; both engines accumulate gradients and step the optimizer and the LR
schedule on accumulation boundaries, so the loop is the same on a laptop and on a cluster.
"""

import json
import math
import os
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from finetune.config import FinetuneConfig


def lr_lambda(total_steps: int, warmup_steps: int, schedule: str):
    """Multiplier of the peak learning rate at each optimizer step."""
    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / max(1, warmup_steps)
        if schedule == "constant":
            return 1.0
        progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
        return 0.5 * (1 + math.cos(math.pi * progress)) if schedule == "cosine" else 1.0 - progress
    return factor


def is_distributed_launch() -> bool:
    """True when started by a launcher (deepspeed, torchrun) that sets WORLD_SIZE."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1 or "LOCAL_RANK" in os.environ


class PlainEngine:
    """Single-process PyTorch engine with the DeepSpeed engine's calling convention."""

    def __init__(self, module: nn.Module, config: FinetuneConfig, total_steps: int, warmup_steps: int) -> None:
        settings = config.training
        self.module = module
        self.params = [p for p in module.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(self.params, lr=settings.learning_rate,
                                           weight_decay=settings.weight_decay)
        self.lr_scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lr_lambda(total_steps, warmup_steps, settings.lr_scheduler))
        self.accumulation = settings.gradient_accumulation_steps
        self.max_grad_norm = settings.max_grad_norm
        self.micro_steps = 0
        self.zero_stage = 0

    def __call__(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        return self.module(*args, **kwargs)

    def backward(self, loss: torch.Tensor) -> None:
        (loss / self.accumulation).backward()

    def step(self) -> None:
        self.micro_steps += 1
        if self.micro_steps % self.accumulation == 0:
            torch.nn.utils.clip_grad_norm_(self.params, self.max_grad_norm)
            self.optimizer.step()
            self.lr_scheduler.step()
            self.optimizer.zero_grad(set_to_none=True)

    def gathered(self, params: list[nn.Parameter]):
        return nullcontext()

    def save_checkpoint(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        torch.save({"trainable": {n: p.detach().cpu() for n, p in self.module.named_parameters() if p.requires_grad},
                    "optimizer": self.optimizer.state_dict(), "lr_scheduler": self.lr_scheduler.state_dict(),
                    "micro_steps": self.micro_steps}, directory / "engine.pt")

    def load_checkpoint(self, directory: Path) -> None:
        state = torch.load(directory / "engine.pt", map_location="cpu", weights_only=False)
        missing = self.module.load_state_dict(state["trainable"], strict=False)
        if missing.unexpected_keys:
            raise RuntimeError(f"checkpoint {directory} does not fit this model: {missing.unexpected_keys[:3]}")
        self.optimizer.load_state_dict(state["optimizer"])
        self.lr_scheduler.load_state_dict(state["lr_scheduler"])
        self.micro_steps = state["micro_steps"]


class DeepSpeedEngine:
    """DeepSpeed's engine (ZeRO-2/3, optional offload), configured from a JSON file plus the recipe."""

    def __init__(self, module: nn.Module, config: FinetuneConfig, total_steps: int, warmup_steps: int) -> None:
        import deepspeed

        settings = config.training
        ds_config = json.loads(Path(config.deepspeed).read_text())
        world_size = dist.get_world_size()
        ds_config.update({
            "train_micro_batch_size_per_gpu": settings.micro_batch_size,
            "gradient_accumulation_steps": settings.gradient_accumulation_steps,
            "train_batch_size": settings.micro_batch_size * settings.gradient_accumulation_steps * world_size,
            "gradient_clipping": settings.max_grad_norm,
        })
        dtype = next(module.parameters()).dtype
        ds_config["bf16"] = {"enabled": dtype == torch.bfloat16}
        ds_config["fp16"] = {"enabled": dtype == torch.float16}
        params = [p for p in module.parameters() if p.requires_grad]
        optimizer = None
        if "optimizer" in ds_config:  # e.g. DeepSpeedCPUAdam for ZeRO-Offload: let DeepSpeed build it
            ds_config["optimizer"]["params"] = {"lr": settings.learning_rate,
                                                "weight_decay": settings.weight_decay}
        else:
            optimizer = torch.optim.AdamW(params, lr=settings.learning_rate, weight_decay=settings.weight_decay)
        schedule = lr_lambda(total_steps, warmup_steps, settings.lr_scheduler)
        self.engine, self.optimizer, _, self.lr_scheduler = deepspeed.initialize(
            model=module, model_parameters=params, optimizer=optimizer, config=ds_config,
            lr_scheduler=lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, schedule))
        self.module = self.engine.module
        self.zero_stage = self.engine.zero_optimization_stage()

    def __call__(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        return self.engine(*args, **kwargs)

    def backward(self, loss: torch.Tensor) -> None:
        self.engine.backward(loss)

    def step(self) -> None:
        self.engine.step()

    def gathered(self, params: list[nn.Parameter]):
        """Under ZeRO-3 parameters are partitioned; gather them (on every rank) to read their values."""
        if self.zero_stage != 3:
            return nullcontext()
        import deepspeed

        return deepspeed.zero.GatheredParameters(params, modifier_rank=None)

    def save_checkpoint(self, directory: Path) -> None:
        self.engine.save_checkpoint(str(directory), tag="engine")

    def load_checkpoint(self, directory: Path) -> None:
        path, _ = self.engine.load_checkpoint(str(directory), tag="engine")
        if path is None:
            raise RuntimeError(f"no DeepSpeed checkpoint in {directory}")


def build_engine(module: nn.Module, config: FinetuneConfig, total_steps: int, warmup_steps: int):
    """DeepSpeed when the recipe names a ZeRO config, plain PyTorch otherwise."""
    cls = DeepSpeedEngine if config.deepspeed else PlainEngine
    return cls(module, config, total_steps, warmup_steps)
