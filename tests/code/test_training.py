"""Single-process LoRA training on a tiny random Llama: learning, saving, registry, resume."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from finetune.batching import collate
from finetune.config import FinetuneConfig, load_config
from finetune.train import AnswerLoss, run_training
from llm.loading import resolve_adapter
from tests.tiny_models import load_tiny_scorer
from tests.training_helpers import adapter_tensors, assert_adapter_is_real, tiny_recipe


def test_loss_goes_down_and_the_best_adapter_is_real_and_registered(tiny_model_dir, fixture_data_dir, mlflow_uri,
                                                                    tmp_path):
    output = tmp_path / "run"
    config = load_config(FinetuneConfig, [*tiny_recipe(tiny_model_dir, output, max_steps=12), "tracking.register_as=emotion-llm"])
    state = run_training(config)
    losses = [loss for _, loss in state["loss_log"]]
    assert len(losses) == 12
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 0.15, losses  # measured drops: 0.23-0.30
    assert {h["step"] for h in state["history"]} == {4, 8, 12}
    assert all(0 <= h["accuracy"] <= 1 and 0 <= h["macro_f1"] <= 1 for h in state["history"])
    summary = json.loads((output / "train_summary.json").read_text())
    assert summary["best_step"] in {4, 8, 12}
    assert FinetuneConfig.model_validate(summary["recipe"]) == config  # the recipe as run, for the model card
    assert_adapter_is_real(output / "best", tiny_model_dir)
    registered = resolve_adapter("models:/emotion-llm@challenger", str(tiny_model_dir))
    assert adapter_tensors(registered).keys() == adapter_tensors(output / "best").keys()


def _launch(args, log_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "finetune", *args, "tracking.enabled=false"],
                            stdout=log_path.open("w"), stderr=subprocess.STDOUT, env=env)


def test_a_killed_run_resumes_from_its_last_checkpoint_and_matches_an_uninterrupted_run(
        tiny_model_dir, fixture_data_dir, tmp_path):
    straight = tmp_path / "straight"
    interrupted = tmp_path / "interrupted"
    assert _launch(tiny_recipe(tiny_model_dir, straight), tmp_path / "a.log").wait(timeout=600) == 0

    process = _launch(tiny_recipe(tiny_model_dir, interrupted), tmp_path / "b.log")
    checkpoint = interrupted / "checkpoints" / "step-0000004" / "trainer_state.json"
    deadline = time.time() + 600
    while not checkpoint.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert checkpoint.exists(), (tmp_path / "b.log").read_text()[-2000:]
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (interrupted / "last").exists(), "the run finished before it could be interrupted"

    resumed = _launch(tiny_recipe(tiny_model_dir, interrupted), tmp_path / "c.log")
    assert resumed.wait(timeout=600) == 0
    log = (tmp_path / "c.log").read_text()
    assert "resumed from" in log, log[-2000:]
    expected, actual = adapter_tensors(straight / "last"), adapter_tensors(interrupted / "last")
    assert expected.keys() == actual.keys()
    for name in expected:
        assert torch.allclose(expected[name], actual[name], atol=1e-5), name


def test_too_little_data_for_one_step_is_a_clear_error(tiny_model_dir, fixture_data_dir, tmp_path):
    config = load_config(FinetuneConfig, [*tiny_recipe(tiny_model_dir, tmp_path / "run", micro_batch_size=128), "tracking.enabled=false"])
    with pytest.raises(SystemExit, match="too few for one optimizer step"):
        run_training(config)


def test_lora_targets_missing_from_the_model_are_a_clear_error(tiny_model_dir, fixture_data_dir, tmp_path):
    config = load_config(FinetuneConfig, [*tiny_recipe(tiny_model_dir, tmp_path / "run"), "lora.target_modules=[query_key_value]", "tracking.enabled=false"])
    with pytest.raises(SystemExit, match="do not fit"):
        run_training(config)


def test_lora_init_from_continues_a_saved_adapter(tiny_model_dir, fixture_data_dir, tmp_path):
    first = tmp_path / "first"
    run_training(load_config(FinetuneConfig, [*tiny_recipe(tiny_model_dir, first, max_steps=4),
                                              "tracking.enabled=false"]))
    continued = tmp_path / "continued"  # a step this small leaves the loaded weights as they were
    run_training(load_config(FinetuneConfig, [*tiny_recipe(tiny_model_dir, continued, max_steps=4, learning_rate=1e-12),
                                              f"lora.init_from={first / 'best'}", "tracking.enabled=false"]))
    saved, loaded = adapter_tensors(first / "best"), adapter_tensors(continued / "best")
    assert saved.keys() == loaded.keys()
    assert all(torch.allclose(saved[name].float(), loaded[name].float(), atol=1e-3) for name in saved)
    with pytest.raises(SystemExit, match="make them agree"):
        run_training(load_config(FinetuneConfig, [*tiny_recipe(tiny_model_dir, tmp_path / "other"), "lora.r=4",
                                                  f"lora.init_from={first / 'best'}", "tracking.enabled=false"]))


def test_the_label_choice_loss_is_the_label_scorers_negative_log_likelihood(tiny_model_dir):
    model, builder, scorer = load_tiny_scorer(tiny_model_dir)
    pad_id = scorer.pad_id
    texts, labels = ["i feel so alone", "furious at my boss", "we got the keys!", "what a twist"], [0, 3, 1, 5]
    encoded = [builder.encode(text, label) for text, label in zip(texts, labels, strict=True)]
    with torch.no_grad():
        scored = scorer.log_probs(model, [e.prompt_ids for e in encoded])
        expected = -scored[range(len(labels)), labels].mean()
        label_choice = AnswerLoss(model, scorer.first_ids)(collate(encoded, [1.0] * 4, pad_id, first_token_only=True))
        answer_tokens = AnswerLoss(model)(collate(encoded, [1.0] * 4, pad_id))
    assert torch.allclose(label_choice, expected, atol=1e-5), (label_choice, expected)
    assert not torch.allclose(answer_tokens, expected, atol=1e-2)  # the full-vocabulary loss is another quantity


def test_a_label_choice_run_trains_the_six_way_loss(tiny_model_dir, fixture_data_dir, tmp_path):
    config = load_config(FinetuneConfig, [*tiny_recipe(tiny_model_dir, tmp_path / "run", max_steps=4),
                                          "training.loss=label_choice", "tracking.enabled=false"])
    losses = [loss for _, loss in run_training(config)["loss_log"]]
    # a random model is near uniform over six labels (ln 6 = 1.79); over the whole vocabulary it logs about 5
    assert all(1.5 < loss < 2.1 for loss in losses), losses
    assert_adapter_is_real(tmp_path / "run" / "best", tiny_model_dir)


def test_label_choice_on_labels_sharing_a_first_token_is_a_clear_error(tiny_subword_model_dir, fixture_data_dir,
                                                                         tmp_path):
    config = load_config(FinetuneConfig, [*tiny_recipe(tiny_subword_model_dir, tmp_path / "run"),
                                          "training.loss=label_choice", "tracking.enabled=false"])
    with pytest.raises(SystemExit, match="first tokens differ"):
        run_training(config)
