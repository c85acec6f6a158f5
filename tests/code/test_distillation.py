"""Distillation: the loss follows a teacher's six probabilities for its share of each example, and a run with a
teacher learns what the teacher says."""

import json
import math

import pytest
import torch

from finetune.batching import collate
from finetune.config import ConfigError, FinetuneConfig, load_config
from finetune.distillation import load_teacher, teacher_targets
from finetune.mixing import training_mix
from finetune.train import AnswerLoss, run_training
from llm.backends.transformers_backend import TransformersClassifier
from llm.config import ModelConfig
from llm.datasets import DatasetError, Example
from llm.labels import EMOTIONS
from tests.tiny_models import load_tiny_scorer
from tests.training_helpers import PROBE_TEXTS, tiny_recipe

TEXTS, LABELS = ["i feel so alone", "furious at my boss", "we got the keys!", "what a twist"], [0, 3, 1, 5]


def _write_teacher(folder, texts, probabilities, model="served") -> None:
    (folder / "train-set").mkdir(parents=True)
    rows = [{"text": text, "gold": "joy", "models": {model: {"scores": dict(zip(EMOTIONS, p, strict=True))}}}
            for text, p in zip(texts, probabilities, strict=True)]
    (folder / "train-set" / "predictions.jsonl").write_text("\n".join(json.dumps(row) for row in rows) + "\n")


def test_the_teacher_share_of_the_loss_is_the_cross_entropy_against_its_probabilities(tiny_model_dir):
    model, builder, scorer = load_tiny_scorer(tiny_model_dir)
    encoded = [builder.encode(text, label) for text, label in zip(TEXTS, LABELS, strict=True)]
    uniform = [[1 / 6] * 6 for _ in TEXTS]
    one_hot = [[float(i == label) for i in range(6)] for label in LABELS]
    with torch.no_grad():
        log_probs = scorer.log_probs(model, [e.prompt_ids for e in encoded])
        gold = -log_probs[range(len(LABELS)), LABELS].mean()
        spread = -log_probs.mean()  # against a uniform teacher: the mean of -log p over the six labels
        batch = collate(encoded, [1.0] * 4, scorer.pad_id, first_token_only=True, teacher=uniform)
        mixed = AnswerLoss(model, scorer.first_ids, teacher_weight=0.25)(batch)
        agreeing = AnswerLoss(model, scorer.first_ids, teacher_weight=0.7)(
            collate(encoded, [1.0] * 4, scorer.pad_id, first_token_only=True, teacher=one_hot))
    torch.testing.assert_close(mixed, 0.75 * gold + 0.25 * spread, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(agreeing, gold, atol=1e-5, rtol=1e-5)  # a one-hot teacher is the gold label


def test_teacher_probabilities_are_read_normalised_and_must_cover_every_text(tmp_path):
    _write_teacher(tmp_path, TEXTS[:2], [[2, 0, 0, 0, 0, 2], [1, 1, 1, 1, 1, 1]])
    teacher = load_teacher(tmp_path, "served")
    examples = [Example(text, label) for text, label in zip(TEXTS[:2], LABELS[:2], strict=True)]
    assert teacher_targets(examples, teacher)[0] == [0.5, 0, 0, 0, 0, 0.5]
    with pytest.raises(DatasetError, match="has not scored 1 of 3 training texts"):
        teacher_targets([*examples, Example(TEXTS[2], 1)], teacher)
    with pytest.raises(DatasetError, match="no scores for teacher model 'other'"):
        load_teacher(tmp_path, "other")
    with pytest.raises(DatasetError, match="no <set>/predictions"):
        load_teacher(tmp_path / "nowhere", "served")


def test_distillation_needs_the_six_label_loss(tmp_path):
    with pytest.raises(ConfigError, match="distillation needs training"):
        load_config(FinetuneConfig, [f"distillation.teacher={tmp_path}"])


def _labels(model_dir, adapter=None) -> list[str]:
    classifier = TransformersClassifier(ModelConfig(base_model=str(model_dir), adapter=adapter and str(adapter),
                                                    dtype="float32"))
    return [prediction.emotion for prediction in classifier.predict(PROBE_TEXTS)]


def test_a_run_with_a_teacher_learns_what_the_teacher_says(tiny_model_dir, fixture_data_dir, tmp_path):
    recipe = [*tiny_recipe(tiny_model_dir, tmp_path / "run", max_steps=8), "training.loss=label_choice",
              "tracking.enabled=false", f"distillation.teacher={tmp_path / 'teacher'}", "distillation.weight=1.0"]
    config = load_config(FinetuneConfig, recipe)
    texts = sorted({example.text for example in training_mix(config.data, config.training.seed)})
    always_surprise = [0.002] * 5 + [0.99]
    _write_teacher(tmp_path / "teacher", texts, [always_surprise] * len(texts))
    state = run_training(config)
    assert all(math.isfinite(loss) for _, loss in state["loss_log"])
    # the gold labels get no share: the run follows the teacher, which says surprise for every text
    assert _labels(tiny_model_dir, tmp_path / "run" / "last") == ["surprise"] * len(PROBE_TEXTS)
    assert _labels(tiny_model_dir) != ["surprise"] * len(PROBE_TEXTS)
