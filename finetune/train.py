"""LoRA supervised fine-tuning with an answer-only loss: one loop for a laptop and a GPU cluster.

Launch single-process (``python -m finetune --config ...``) or multi-process through the
DeepSpeed launcher (``deepspeed --num_gpus N -m finetune --config ... deepspeed=deepspeed/zero3.json``).
"""

import json
import logging
import os
import random
import shutil
import socket
import time
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from tqdm.auto import tqdm

from finetune.adapters import attach_saved_adapter
from finetune.batching import LossBatch, class_weights, collate, encode_examples, epoch_batches, shard
from finetune.config import FinetuneConfig
from finetune.distillation import load_teacher, teacher_targets
from finetune.engine import build_engine, is_distributed_launch
from finetune.metrics import accuracy_and_macro_f1
from finetune.mixing import training_mix, validation_sets
from finetune.tracking import RunTracker
from llm.datasets import Example
from llm.device import resolve_dtype
from llm.loading import load_causal_lm, load_tokenizer, resolve_adapter
from llm.prompt import PromptBuilder, write_text_style
from llm.scoring import LabelScorer, logits_at

log = logging.getLogger("finetune")
TRAINER_STATE = "trainer_state.json"


class AnswerLoss(nn.Module):
    """Wraps the PEFT model so that the engine's forward returns the answer-only loss: over the whole
    vocabulary, or, given the labels' first token ids (``choices``), over those tokens only; with a batch's
    teacher probabilities, ``teacher_weight`` of each example's loss is the cross-entropy against them."""

    def __init__(self, lm: nn.Module, choices: list[int] | None = None, teacher_weight: float = 0.0) -> None:
        super().__init__()
        self.lm = lm
        self.choices = choices
        self.teacher_weight = teacher_weight

    def forward(self, batch: LossBatch) -> torch.Tensor:
        logits = logits_at(self.lm, batch.input_ids, batch.attention_mask, batch.rows, batch.cols)
        targets = batch.targets
        if self.choices is not None:
            choices = torch.tensor(self.choices, device=logits.device)
            logits, targets = logits[:, choices], (targets[:, None] == choices).int().argmax(dim=1)
        token_losses = nn.functional.cross_entropy(logits, targets, reduction="none")
        if batch.teacher is not None:
            soft = nn.functional.cross_entropy(logits, batch.teacher.to(logits.dtype), reduction="none")
            token_losses = (1 - self.teacher_weight) * token_losses + self.teacher_weight * soft
        return (token_losses * batch.token_weights).sum()


def _loss_choices(config: FinetuneConfig, scorer: LabelScorer) -> list[int] | None:
    """The first token ids the loss is restricted to (``label_choice``), or None for the full vocabulary."""
    if config.training.loss == "answer_tokens":
        return None
    if not scorer.first_tokens_distinct:
        raise SystemExit(f"training.loss=label_choice needs labels whose first tokens differ; {config.model}'s "
                         f"tokenizer gives first tokens {scorer.first_ids}: use training.loss=answer_tokens")
    return scorer.first_ids


def _init_distributed(config: FinetuneConfig) -> tuple[int, int, torch.device]:
    if not config.deepspeed:
        if is_distributed_launch():
            raise SystemExit("a multi-process launch needs a DeepSpeed config: add deepspeed=deepspeed/zero2.json")
        return 0, 1, torch.device("cuda" if torch.cuda.is_available() else "cpu")
    import deepspeed

    if not is_distributed_launch():  # a single process with a ZeRO config: be our own launcher
        os.environ.update({"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1", "MASTER_ADDR": "127.0.0.1"})
        os.environ.setdefault("MASTER_PORT", str(_free_port()))
    cuda = torch.cuda.is_available()
    deepspeed.init_distributed(dist_backend="nccl" if cuda else "gloo")
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if cuda:
        torch.cuda.set_device(local_rank)
    elif "OMP_NUM_THREADS" not in os.environ:  # CPU ranks share the cores instead of oversubscribing them
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // dist.get_world_size()))
    return dist.get_rank(), dist.get_world_size(), torch.device(f"cuda:{local_rank}" if cuda else "cpu")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)


def _build_model(config: FinetuneConfig, device: torch.device) -> tuple[nn.Module, object]:
    from peft import get_peft_model

    tokenizer = load_tokenizer(config.model)
    model = load_causal_lm(config.model, resolve_dtype(config.training.dtype, device), device)
    if config.training.gradient_checkpointing:
        model.gradient_checkpointing_enable()
        model.enable_input_require_grads()
    if config.lora.init_from:
        return attach_saved_adapter(model, resolve_adapter(config.lora.init_from, config.model), config.lora), \
            tokenizer
    try:
        peft_model = get_peft_model(model, config.lora.peft_config())
    except ValueError as error:
        raise SystemExit(f"LoRA target modules {config.lora.target_modules} do not fit {config.model}: {error}") \
            from None
    return peft_model, tokenizer


class Trainer:
    """Runs the loop: batches, logging, periodic validation, best-adapter keeping, checkpoints, resume."""

    def __init__(self, config: FinetuneConfig) -> None:
        self.config = config
        self.rank, self.world_size, self.device = _init_distributed(config)
        self.is_main = self.rank == 0
        _seed_everything(config.training.seed)
        self.output_dir = Path(config.output_dir)
        self.peft_model, self.tokenizer = _build_model(config, self.device)
        self.builder = PromptBuilder(self.tokenizer, max_text_tokens=config.data.max_text_tokens,
                                     text_style=config.data.text_style)
        self.scorer = LabelScorer(self.builder.label_ids, self.tokenizer.pad_token_id)
        train = training_mix(config.data, config.training.seed)
        self.validation = validation_sets(config.data)
        self.train_encoded = encode_examples(self.builder, train)
        self.teacher = (teacher_targets(train, load_teacher(config.distillation.teacher,
                                                            config.distillation.teacher_model))
                        if config.distillation else None)
        weights = class_weights(train, config.training.class_weighting)
        self.example_weights = [weights[e.label] for e in train]
        settings = config.training
        self.global_batch = settings.micro_batch_size * self.world_size
        lengths = [len(e.prompt_ids) + len(e.answer_ids) for e in self.train_encoded]
        self.lengths = lengths
        self._order_cache: tuple[int, list[list[int]]] = (-1, [])
        self.batches_per_epoch = len(lengths) // self.global_batch
        if self.batches_per_epoch < settings.gradient_accumulation_steps:
            raise SystemExit(f"{len(lengths)} training examples are too few for one optimizer step of "
                             f"{self.global_batch * settings.gradient_accumulation_steps}")
        steps_per_epoch = self.batches_per_epoch // settings.gradient_accumulation_steps
        self.total_steps = settings.max_steps or max(1, int(steps_per_epoch * settings.epochs))
        self.loss_choices = _loss_choices(config, self.scorer)
        teacher_weight = config.distillation.weight if config.distillation else 0.0
        self.engine = build_engine(AnswerLoss(self.peft_model, self.loss_choices, teacher_weight), config,
                                   self.total_steps, int(self.total_steps * settings.warmup_ratio))
        self.state = {"step": 0, "micro_batches_done": 0, "best_macro_f1": -1.0, "best_step": None,
                      "run_id": None, "history": [], "loss_log": [],
                      "train_tokens": 0, "train_seconds": 0.0}
        self._maybe_resume()
        tracking = config.tracking
        self.tracker = RunTracker(self.is_main and tracking.enabled, tracking.tracking_uri, tracking.experiment,
                                  tracking.run_name, config.model_dump(), run_id=self.state["run_id"])
        self.state["run_id"] = self.tracker.run_id

    # ----- checkpoints -----------------------------------------------------------------------
    def _checkpoints(self) -> list[Path]:
        root = self.output_dir / "checkpoints"
        done = [p for p in root.glob("step-*") if (p / TRAINER_STATE).is_file()] if root.is_dir() else []
        return sorted(done, key=lambda p: int(p.name.split("-")[1]))

    def _maybe_resume(self) -> None:
        checkpoints = self._checkpoints()
        if not checkpoints:
            return
        latest = checkpoints[-1]
        self.engine.load_checkpoint(latest)
        self.state = {**self.state, **json.loads((latest / TRAINER_STATE).read_text())}
        rng_file = latest / f"rng-{self.rank}.pt"
        if rng_file.is_file():
            torch.set_rng_state(torch.load(rng_file, weights_only=False))
        if self.is_main:
            log.info("resumed from %s (step %d)", latest, self.state["step"])

    def _save_checkpoint(self) -> None:
        directory = self.output_dir / "checkpoints" / f"step-{self.state['step']:07d}"
        self.engine.save_checkpoint(directory)
        torch.save(torch.get_rng_state(), directory / f"rng-{self.rank}.pt")
        self._barrier()
        if self.is_main:  # trainer_state.json is written last: its presence marks a complete checkpoint
            (directory / TRAINER_STATE).write_text(json.dumps(self.state, indent=1))
            for old in self._checkpoints()[: -self.config.training.keep_checkpoints]:
                shutil.rmtree(old, ignore_errors=True)
        self._barrier()

    def save_adapter(self, directory: Path) -> None:
        """Write the LoRA adapter with its real weights (gathered first under ZeRO-3)."""
        params = [p for p in self.peft_model.parameters() if p.requires_grad]
        with self.engine.gathered(params):
            if self.is_main:
                tmp = directory.with_name(directory.name + ".tmp")
                shutil.rmtree(tmp, ignore_errors=True)
                self.peft_model.save_pretrained(str(tmp))
                self.tokenizer.save_pretrained(str(tmp))
                write_text_style(tmp, self.config.data.text_style)
                shutil.rmtree(directory, ignore_errors=True)
                os.replace(tmp, directory)
        self._barrier()

    def _barrier(self) -> None:
        if dist.is_initialized():
            dist.barrier()

    # ----- evaluation --------------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self, examples: list[Example]) -> dict[str, float]:
        """Accuracy and macro-F1 of the real label scorer on the validation texts, sharded over ranks."""
        self.peft_model.eval()
        batch_size = self.config.training.micro_batch_size * 2
        mine = list(range(self.rank, len(examples), self.world_size))
        n_batches = -(-len(range(0, len(examples), self.world_size)) // batch_size)  # same count on every rank
        predicted: dict[int, int] = {}
        progress = tqdm(total=n_batches, desc="validating", disable=not self.is_main, leave=False)
        for b in range(n_batches):
            rows = mine[b * batch_size:(b + 1) * batch_size] or [0]  # an idle rank still joins ZeRO-3 gathers
            prompts = [self.builder.encode(examples[i].text).prompt_ids for i in rows]
            labels = self.scorer.log_probs(self.peft_model, prompts).argmax(dim=-1).tolist()
            predicted.update(zip(mine[b * batch_size:(b + 1) * batch_size], labels, strict=True))
            progress.update()
        progress.close()
        if dist.is_initialized():
            parts: list[dict[int, int]] = [{} for _ in range(self.world_size)]
            dist.all_gather_object(parts, predicted)
            predicted = {k: v for part in parts for k, v in part.items()}
        self.peft_model.train()
        gold = [examples[i].label for i in sorted(predicted)]
        return accuracy_and_macro_f1(gold, [predicted[i] for i in sorted(predicted)])

    def _validate_and_keep_best(self) -> dict[str, float]:
        """Score every validation set; keep the adapter with the best mean macro-F1 over them."""
        per_set = {name: self.evaluate(examples) for name, examples in self.validation.items()}
        metrics = {"accuracy": sum(m["accuracy"] for m in per_set.values()) / len(per_set),
                   "macro_f1": sum(m["macro_f1"] for m in per_set.values()) / len(per_set)}
        step = self.state["step"]
        self.state["history"].append({"step": step, **metrics, "sets": per_set})
        self.tracker.log_metrics({f"val_{k}": v for k, v in metrics.items()}
                                 | {f"val_{name}_{k}": v for name, m in per_set.items() for k, v in m.items()}, step)
        improved = metrics["macro_f1"] > self.state["best_macro_f1"]
        if improved:
            self.state.update(best_macro_f1=metrics["macro_f1"], best_step=step)
            self.save_adapter(self.output_dir / "best")
        if self.is_main:
            sets = ", ".join(f"{name} {m['accuracy']:.4f}/{m['macro_f1']:.4f}" for name, m in per_set.items())
            log.info("step %d validation (accuracy/macro-F1): %s; mean macro-F1 %.4f%s", step, sets,
                     metrics["macro_f1"], " (best so far, saved)" if improved else "")
        return metrics

    def _epoch_order(self, epoch: int) -> list[list[int]]:
        if self._order_cache[0] != epoch:
            self._order_cache = (epoch, epoch_batches(self.lengths, self.global_batch, self.config.training.seed,
                                                      epoch))
        return self._order_cache[1]

    # ----- the loop ----------------------------------------------------------------------------
    def train(self) -> dict:
        """Train to the configured number of steps; returns the final trainer state."""
        settings = self.config.training
        accumulation = settings.gradient_accumulation_steps
        self.peft_model.train()
        if self.is_main:
            # ZeRO-3 partitions parameters (numel() is 0 then): ds_numel keeps the full size
            trainable = sum(getattr(p, "ds_numel", p.numel()) for p in self.peft_model.parameters() if p.requires_grad)
            log.info("training %s: %d trainable params, %d steps of %d examples, %d process(es), ZeRO stage %s",
                     self.config.model, trainable, self.total_steps, self.global_batch * accumulation,
                     self.world_size, self.engine.zero_stage or "off")
        progress = tqdm(total=self.total_steps, initial=self.state["step"], desc="training", disable=not self.is_main)
        window = {"loss": 0.0, "tokens": 0, "micro": 0, "start": time.perf_counter()}
        try:
            while self.state["step"] < self.total_steps:
                done = self.state["micro_batches_done"]
                epoch, index = divmod(done, self.batches_per_epoch)
                batch = self._epoch_order(epoch)[index]
                rows = shard(batch, self.rank, self.world_size)
                loss_batch = collate([self.train_encoded[i] for i in rows],
                                     [self.example_weights[i] for i in rows],
                                     self.tokenizer.pad_token_id,
                                     first_token_only=self.loss_choices is not None,
                                     teacher=None if self.teacher is None else [self.teacher[i] for i in rows]
                                     ).to(self.device)
                loss = self.engine(loss_batch)
                self.engine.backward(loss)
                self.engine.step()
                self.state["micro_batches_done"] = done + 1
                window["loss"] += loss.item()
                window["tokens"] += loss_batch.n_tokens * self.world_size
                window["micro"] += 1
                if (done + 1) % accumulation:
                    continue
                self.state["step"] += 1
                progress.update()
                self._after_step(window)
        finally:
            progress.close()
        self._validate_and_keep_best()
        self.save_adapter(self.output_dir / "last")
        self._finish()
        return self.state

    def _after_step(self, window: dict) -> None:
        settings = self.config.training
        step = self.state["step"]
        if step % settings.log_every_steps == 0 or step == 1:
            elapsed = time.perf_counter() - window["start"]
            self.state["train_tokens"] += window["tokens"]
            self.state["train_seconds"] += elapsed
            metrics = {"loss": window["loss"] / window["micro"], "lr": self.engine.lr_scheduler.get_last_lr()[0],
                       "tokens_per_s": window["tokens"] / elapsed, "epoch": self.state["micro_batches_done"]
                       / self.batches_per_epoch}
            self.tracker.log_metrics(metrics, step)
            if self.is_main:
                log.info("step %d/%d loss %.4f lr %.2e tokens/s %.0f epoch %.2f", step, self.total_steps,
                         metrics["loss"], metrics["lr"], metrics["tokens_per_s"], metrics["epoch"])
            self.state["loss_log"].append([step, metrics["loss"]])
            window.update(loss=0.0, tokens=0, micro=0, start=time.perf_counter())
        paused = time.perf_counter()  # validation and checkpoints do not count as training time
        if step % settings.eval_every_steps == 0 and step < self.total_steps:
            self._validate_and_keep_best()
        if step % settings.save_every_steps == 0 and step < self.total_steps:
            self._save_checkpoint()
        window["start"] += time.perf_counter() - paused

    def _finish(self) -> None:
        if not self.is_main:
            return
        summary = {k: self.state.get(k) for k in ("step", "best_macro_f1", "best_step", "run_id", "train_tokens",
                                                  "train_seconds")}
        if self.device.type == "cuda":  # this process's peak, resumed runs included only since the resume
            summary["peak_gpu_memory_gib"] = round(torch.cuda.max_memory_allocated(self.device) / 2**30, 2)
        summary["recipe"] = self.config.model_dump(mode="json")  # as run, overrides included: the card reads it
        (self.output_dir / "train_summary.json").write_text(json.dumps({**summary, "history": self.state["history"]},
                                                                         indent=1))
        self.tracker.log_artifacts(self.output_dir / "best", "adapter")
        if self.config.tracking.register_as:
            self.tracker.register("adapter", self.config.tracking.register_as)
        self.tracker.end()


def run_training(config: FinetuneConfig) -> dict:
    """Build a Trainer from a recipe and train; returns the final trainer state."""
    return Trainer(config).train()
