"""Fine-tune an encoder with a classification head on dair-ai/emotion; keep the best epoch."""

import json
import logging
import random
import time
from pathlib import Path

import torch
from tqdm.auto import tqdm
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from finetune.baseline.classifier import EncoderClassifier
from finetune.baseline.config import BaselineConfig
from finetune.data import load_split
from finetune.engine import lr_lambda
from finetune.metrics import accuracy_and_macro_f1
from finetune.tracking import RunTracker
from llm.labels import EMOTIONS, LABEL_TO_ID
from llm.sources import resolve_encoder_source
from llm.text import normalize_text

log = logging.getLogger("finetune.baseline")


def train_baseline(config: BaselineConfig) -> dict:
    """Train, validate each epoch, save the best model to ``output_dir/best``; returns a summary."""
    settings = config.training
    random.seed(settings.seed)
    torch.manual_seed(settings.seed)
    source = resolve_encoder_source(config.encoder)
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModelForSequenceClassification.from_pretrained(
        source, num_labels=len(EMOTIONS), id2label=dict(enumerate(EMOTIONS)), label2id=LABEL_TO_ID)
    train = load_split("train", config.data.source)[: config.data.train_limit]
    validation = load_split("validation", config.data.source)[: config.data.eval_limit]
    texts = [normalize_text(e.text) for e in train]
    labels = torch.tensor([e.label for e in train])
    steps_per_epoch = max(1, len(train) // settings.batch_size)
    total_steps = max(1, int(steps_per_epoch * settings.epochs))
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lr_lambda(total_steps, int(total_steps * settings.warmup_ratio), "linear"))
    tracker = RunTracker(config.tracking.enabled, config.tracking.tracking_uri, config.tracking.experiment,
                         config.tracking.run_name, config.model_dump())
    output = Path(config.output_dir)
    best = {"macro_f1": -1.0, "accuracy": 0.0, "step": 0}
    history = []
    progress = tqdm(total=total_steps, desc="training baseline")
    step, window_loss, window_start = 0, 0.0, time.perf_counter()
    generator = torch.Generator().manual_seed(settings.seed)
    model.train()
    while step < total_steps:
        order = torch.randperm(len(train), generator=generator).tolist()
        for start in range(0, steps_per_epoch * settings.batch_size, settings.batch_size):
            rows = order[start:start + settings.batch_size]
            inputs = tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                               max_length=settings.max_length, return_tensors="pt")
            loss = model(**inputs, labels=labels[rows]).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
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
            if step % steps_per_epoch == 0 or step == total_steps:
                scores = _validate(model, tokenizer, validation)
                history.append({"step": step, **scores})
                tracker.log_metrics({f"val_{k}": v for k, v in scores.items()}, step)
                log.info("step %d validation: accuracy %.4f macro-F1 %.4f", step, scores["accuracy"],
                         scores["macro_f1"])
                if scores["macro_f1"] > best["macro_f1"]:
                    best = {**scores, "step": step}
                    model.save_pretrained(output / "best")
                    tokenizer.save_pretrained(output / "best")
                model.train()
            if step >= total_steps:
                break
    progress.close()
    summary = {"best": best, "history": history, "run_id": tracker.run_id, "encoder": config.encoder}
    (output / "train_summary.json").write_text(json.dumps(summary, indent=1))
    tracker.log_artifacts(output / "best", "model")
    if config.tracking.register_as:
        tracker.register("model", config.tracking.register_as)
    tracker.end()
    return summary


def _validate(model, tokenizer, examples) -> dict[str, float]:
    classifier = EncoderClassifier(model, tokenizer, "validation", "in-training")
    probabilities = classifier.probabilities([e.text for e in examples])
    return accuracy_and_macro_f1([e.label for e in examples], probabilities.argmax(dim=-1).tolist())
