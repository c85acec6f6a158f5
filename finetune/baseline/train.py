"""Fine-tune an encoder with a classification head on the recipe's data mix; keep the best epoch.

Validation scores every set of ``data.validation``; the best epoch has the best mean macro-F1.
With ``lora`` set, only a LoRA adapter and the head are trained and saved (a few MB). Every
``save_every_steps`` and after each validation the run writes ``output_dir/checkpoint.pt`` (trained weights,
optimizer, schedule, random states, history); the same command resumes from it where it stopped.
"""

import json
import logging
import os
import random
import time
from pathlib import Path

import torch
from tqdm.auto import tqdm

from finetune.adapters import attach_saved_adapter
from finetune.baseline.config import BaselineConfig
from finetune.batching import class_weights
from finetune.engine import lr_lambda
from finetune.metrics import accuracy_and_macro_f1
from finetune.mixing import training_mix, validation_sets
from finetune.tracking import RunTracker
from llm.encoder import ADAPTER_METADATA, EncoderClassifier, encoder_with_head
from llm.prompt import write_text_style
from llm.text import prepare_text

log = logging.getLogger("finetune.baseline")
CHECKPOINT = "checkpoint.pt"


def train_baseline(config: BaselineConfig) -> dict:
    """Train, validate each epoch, save the best model to ``output_dir/best``; returns a summary."""
    settings = config.training
    random.seed(settings.seed)
    torch.manual_seed(settings.seed)
    model, tokenizer = encoder_with_head(config.encoder)
    if config.lora is not None and config.lora.init_from:
        model = attach_saved_adapter(model, Path(config.lora.init_from), config.lora)
    elif config.lora is not None:
        from peft import get_peft_model

        model = get_peft_model(model, config.lora.peft_config())
    train = training_mix(config.data, settings.seed)
    validation = validation_sets(config.data)
    texts = [prepare_text(e.text, config.data.text_style) for e in train]
    labels = torch.tensor([e.label for e in train])
    loss_weights = torch.tensor(class_weights(train, settings.class_weighting))
    steps_per_epoch = max(1, len(train) // settings.batch_size)
    total_steps = max(1, int(steps_per_epoch * settings.epochs))
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lr_lambda(total_steps, int(total_steps * settings.warmup_ratio), "linear"))
    output = Path(config.output_dir)
    generator = torch.Generator().manual_seed(settings.seed)  # a resumed run restores its epoch's state below
    run = _resume(output / CHECKPOINT, model, optimizer, scheduler) or {
        "step": 0, "best": {"macro_f1": -1.0, "accuracy": 0.0, "step": 0}, "history": [], "run_id": None,
        "epoch_generator": None, "epoch_offset": 0}
    tracker = RunTracker(config.tracking.enabled, config.tracking.tracking_uri, config.tracking.experiment,
                         config.tracking.run_name, config.model_dump(), run_id=run["run_id"])
    run["run_id"] = tracker.run_id
    step = run["step"]
    progress = tqdm(total=total_steps, initial=step, desc="training baseline")
    window_loss, window_start = 0.0, time.perf_counter()
    model.train()
    while step < total_steps:
        if run["epoch_generator"] is not None:  # resuming inside an epoch: the same order, from where it stopped
            generator.set_state(run["epoch_generator"])
        run["epoch_generator"] = generator.get_state()
        order = torch.randperm(len(train), generator=generator).tolist()
        for start in range(run["epoch_offset"] * settings.batch_size, steps_per_epoch * settings.batch_size,
                           settings.batch_size):
            rows = order[start:start + settings.batch_size]
            inputs = tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                               max_length=settings.max_length, return_tensors="pt")
            logits = model(**inputs).logits
            loss = torch.nn.functional.cross_entropy(logits.float(), labels[rows], weight=loss_weights)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            run["step"], run["epoch_offset"] = step, start // settings.batch_size + 1
            progress.update()
            window_loss += loss.item()
            if step % settings.log_every_steps == 0:
                rate = settings.log_every_steps * settings.batch_size / (time.perf_counter() - window_start)
                metrics = {"loss": window_loss / settings.log_every_steps, "lr": scheduler.get_last_lr()[0],
                           "examples_per_s": rate}
                tracker.log_metrics(metrics, step)
                log.info("step %d/%d loss %.4f lr %.2e examples/s %.1f", step, total_steps, metrics["loss"],
                         metrics["lr"], rate)
                window_loss, window_start = 0.0, time.perf_counter()
            validate = step % steps_per_epoch == 0 or step == total_steps
            if validate:
                scores = _validate(model, tokenizer, validation, config)
                run["history"].append({"step": step, **scores})
                tracker.log_metrics({f"val_{k}": v for k, v in scores.items() if k != "sets"}, step)
                log.info("step %d validation: %s; mean macro-F1 %.4f", step, ", ".join(
                    f"{n} {m['accuracy']:.4f}/{m['macro_f1']:.4f}" for n, m in scores["sets"].items()),
                    scores["macro_f1"])
                if scores["macro_f1"] > run["best"]["macro_f1"]:
                    run["best"] = {**scores, "step": step}
                    _save(model, tokenizer, output / "best", config)
                model.train()
            if validate or step % settings.save_every_steps == 0:
                _save_checkpoint(output / CHECKPOINT, run, model, optimizer, scheduler)
            if step >= total_steps:
                break
        run["epoch_generator"], run["epoch_offset"] = None, 0
    progress.close()
    summary = {"best": run["best"], "history": run["history"], "run_id": tracker.run_id, "encoder": config.encoder}
    (output / "train_summary.json").write_text(json.dumps(summary, indent=1))
    tracker.log_artifacts(output / "best", "model")
    if config.tracking.register_as:
        tracker.register("model", config.tracking.register_as)
    tracker.end()
    return summary


def _validate(model, tokenizer, sets, config: BaselineConfig) -> dict:
    """Accuracy and macro-F1 per validation set, and their means."""
    classifier = EncoderClassifier(model, tokenizer, "validation", "in-training", max_length=config.training.max_length,
                                   text_style=config.data.text_style)
    per_set = {}
    for name, examples in sets.items():
        predicted = classifier.probabilities([e.text for e in examples]).argmax(dim=-1).tolist()
        per_set[name] = accuracy_and_macro_f1([e.label for e in examples], predicted)
    return {"accuracy": sum(m["accuracy"] for m in per_set.values()) / len(per_set),
            "macro_f1": sum(m["macro_f1"] for m in per_set.values()) / len(per_set), "sets": per_set}


def _save(model, tokenizer, directory: Path, config: BaselineConfig) -> None:
    """The whole model, or (with LoRA) the adapter, head and the name of the encoder it belongs to."""
    model.save_pretrained(directory)
    if config.lora is not None:
        (directory / ADAPTER_METADATA).write_text(json.dumps(
            {"encoder": config.encoder, "max_length": config.training.max_length}) + "\n")
        adapter_config = json.loads((directory / "adapter_config.json").read_text())
        adapter_config["base_model_name_or_path"] = config.encoder  # a name, not this machine's path
        if adapter_config.get("modules_to_save"):  # a continued adapter lists its head twice
            adapter_config["modules_to_save"] = list(dict.fromkeys(adapter_config["modules_to_save"]))
        (directory / "adapter_config.json").write_text(json.dumps(adapter_config, indent=2))
    else:
        tokenizer.save_pretrained(directory)
    write_text_style(directory, config.data.text_style)


def _save_checkpoint(path: Path, run: dict, model, optimizer, scheduler) -> None:
    """Everything a resumed run needs, written atomically (an interrupted write leaves the previous one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"run": run, "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
             "trained": {name: p.detach().clone() for name, p in model.named_parameters() if p.requires_grad},
             "torch_rng": torch.get_rng_state(), "python_rng": random.getstate()}
    torch.save(state, path.with_suffix(".tmp"))
    os.replace(path.with_suffix(".tmp"), path)


def _resume(path: Path, model, optimizer, scheduler) -> dict | None:
    """Restore a checkpoint written by ``_save_checkpoint`` into the fresh model and optimizer; None if there is none."""
    if not path.is_file():
        return None
    state = torch.load(path, weights_only=False)
    parameters = dict(model.named_parameters())
    if set(state["trained"]) != {name for name, p in parameters.items() if p.requires_grad}:
        raise ValueError(f"{path} was written by a different model or recipe; remove it to start over")
    with torch.no_grad():
        for name, value in state["trained"].items():
            parameters[name].copy_(value)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"])
    random.setstate(state["python_rng"])
    log.info("resumed from %s (step %d)", path, state["run"]["step"])
    return state["run"]
