"""The encoder baseline: a LoRA adapter plus head trained on a recipe's mix, saved compactly, loaded back."""

import json

import pytest
import torch

from finetune.baseline.config import BaselineConfig
from finetune.baseline.train import train_baseline
from finetune.config import load_recipe
from llm.classifier import ClassifierError
from llm.encoder import ADAPTER_METADATA, EncoderClassifier
from llm.prompt import read_text_style
from tests.eval_fixtures import tiny_encoder_dir
from tests.tiny_models import fixture_data_path

TEXTS = ["i feel so alone", "what a wonderful day", "furious at my boss", "scared of the dark house"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("baseline")
    encoder = tiny_encoder_dir(root / "encoder")
    config = load_recipe(BaselineConfig, "configs/finetune/baseline-minilm-dair.yaml", [
        f"encoder={encoder}", f"output_dir={root / 'out'}", "training.epochs=2", "training.batch_size=8",
        "training.learning_rate=1e-2", "tracking.enabled=false", "data.text_style=natural",
        "data.validation=[dair-ai-validation, dair-ai-train]"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EMOAI_DATA_DIR", str(fixture_data_path()))
        return encoder, root / "out", train_baseline(config)


def test_the_best_epoch_is_saved_as_an_adapter_with_head_and_text_style(trained, fixture_data_dir):
    encoder, output, summary = trained
    best = output / "best"
    assert (best / "adapter_model.safetensors").is_file() and not (best / "model.safetensors").exists()
    assert json.loads((best / ADAPTER_METADATA).read_text())["encoder"] == str(encoder)
    assert json.loads((best / "adapter_config.json").read_text())["base_model_name_or_path"] == str(encoder)
    assert read_text_style(best) == "natural"
    assert set(summary["history"][0]["sets"]) == {"dair-ai-validation", "dair-ai-train"}
    assert summary["best"]["macro_f1"] == max(h["macro_f1"] for h in summary["history"])


def test_the_saved_adapter_loads_and_differs_from_the_untrained_head(trained, fixture_data_dir):
    encoder, output, _ = trained
    tuned = EncoderClassifier.load(str(output / "best"))
    predictions = tuned.predict(TEXTS)
    assert all(abs(sum(p.scores.values()) - 1) < 1e-4 for p in predictions)
    assert tuned.text_style == "natural" and tuned.info.version != "unknown"
    untrained = EncoderClassifier.load(str(encoder))
    assert (tuned.probabilities(TEXTS) - untrained.probabilities(TEXTS)).abs().max() > 1e-3


def test_a_directory_without_weights_is_a_clear_error(tmp_path):
    with pytest.raises(ClassifierError, match="is not a saved baseline"):
        EncoderClassifier.load(str(tmp_path))


def test_an_interrupted_run_resumes_from_its_checkpoint_to_the_same_weights(tmp_path, fixture_data_dir, monkeypatch):
    import finetune.baseline.train as baseline_train

    encoder = tiny_encoder_dir(tmp_path / "encoder")

    def recipe(output):
        return load_recipe(BaselineConfig, "configs/finetune/baseline-minilm.yaml", [
            f"encoder={encoder}", f"output_dir={output}", "training.epochs=2", "training.batch_size=8",
            "training.save_every_steps=2", "tracking.enabled=false", "data.validation=[dair-ai-validation]",
            "data.mix=[{dataset: dair-ai, repeat: 1}]"])

    monkeypatch.setenv("EMOAI_DATA_DIR", str(fixture_data_path()))
    straight = train_baseline(recipe(tmp_path / "straight"))
    saved = baseline_train._save_checkpoint

    def save_then_stop(path, run, *args):
        saved(path, run, *args)
        if run["step"] == 10:  # inside epoch 2 (8 steps each): the resumed run must replay its order from batch 3
            raise KeyboardInterrupt

    monkeypatch.setattr(baseline_train, "_save_checkpoint", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        train_baseline(recipe(tmp_path / "resumed"))
    monkeypatch.setattr(baseline_train, "_save_checkpoint", saved)
    resumed = train_baseline(recipe(tmp_path / "resumed"))
    assert resumed["history"] == straight["history"]
    final = [torch.load(tmp_path / run / baseline_train.CHECKPOINT, weights_only=False)["trained"]
             for run in ("straight", "resumed")]
    assert final[0].keys() == final[1].keys()
    assert max((final[0][name] - final[1][name]).abs().max().item() for name in final[0]) < 1e-6


def _continued(trained, tmp_path, *overrides):
    encoder, output, _ = trained
    config = load_recipe(BaselineConfig, "configs/finetune/baseline-minilm-dair.yaml", [
        f"encoder={encoder}", f"output_dir={tmp_path / 'continued'}", f"lora.init_from={output / 'best'}",
        "training.epochs=1", "training.batch_size=8", "tracking.enabled=false", "data.text_style=natural",
        "data.validation=[dair-ai-validation]", *overrides])
    return train_baseline(config)


def test_lora_init_from_continues_the_saved_adapter_and_head(trained, tmp_path, monkeypatch):
    monkeypatch.setenv("EMOAI_DATA_DIR", str(fixture_data_path()))
    _continued(trained, tmp_path, "training.learning_rate=1e-12")  # a step this small leaves the weights as loaded
    continued = EncoderClassifier.load(str(tmp_path / "continued" / "best"))
    saved = EncoderClassifier.load(str(trained[1] / "best"))
    assert (continued.probabilities(TEXTS) - saved.probabilities(TEXTS)).abs().max() < 1e-4
    head = json.loads((tmp_path / "continued" / "best" / "adapter_config.json").read_text())["modules_to_save"]
    assert len(head) == len(set(head)) > 0


def test_lora_init_from_with_another_shape_is_a_clear_error(trained, tmp_path, monkeypatch):
    monkeypatch.setenv("EMOAI_DATA_DIR", str(fixture_data_path()))
    with pytest.raises(SystemExit, match="make them agree"):
        _continued(trained, tmp_path, "lora.r=4")
