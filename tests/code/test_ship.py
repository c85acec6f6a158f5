"""`python -m finetune.ship`: bf16 weights that still load, a portable config, a card that says how."""

import json
import re
import shlex

import torch
from safetensors.torch import load_file

from finetune.config import FinetuneConfig, load_recipe
from finetune.ship import main
from llm.prompt import read_text_style, write_text_style
from llm.sources import DEFAULT_MODEL
from tests.eval_fixtures import tiny_lora_adapter


def _trained_adapter(model_dir, out_dir):
    tiny_lora_adapter(model_dir, out_dir, seed=0)
    (out_dir.parent / "train_summary.json").write_text(json.dumps(
        {"step": 40, "best_step": 30, "history": [{"step": 30, "accuracy": 0.5, "macro_f1": 0.25, "sets": {
            "dair-ai-validation": {"accuracy": 0.75, "macro_f1": 0.375},
            "journal-dev": {"accuracy": 0.25, "macro_f1": 0.125}}}]}))
    write_text_style(out_dir, "natural")
    return out_dir


def test_shipping_writes_bf16_weights_a_portable_config_and_a_card(tiny_model_dir, tmp_path):
    adapter = _trained_adapter(tiny_model_dir, tmp_path / "run" / "best")
    target = tmp_path / "shipped"
    command = "`python -m finetune --config x.yaml` then `training.max_steps=60`"

    assert main(["--adapter", str(adapter), "--to", str(target), "--command", command]) == 0

    original = load_file(str(adapter / "adapter_model.safetensors"))
    shipped = load_file(str(target / "adapter_model.safetensors"))
    assert shipped.keys() == original.keys()
    for name, tensor in shipped.items():
        assert tensor.dtype == torch.bfloat16
        torch.testing.assert_close(tensor.float(), original[name].float(), rtol=1e-2, atol=1e-3)
    config = json.loads((target / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == DEFAULT_MODEL
    assert config["target_modules"] == ["down_proj", "o_proj", "q_proj", "v_proj"]
    card = (target / "README.md").read_text()
    assert command in card
    assert "| step | dair-ai-validation acc / macro-F1 | journal-dev acc / macro-F1 | mean macro-F1 |" in card
    assert "| 30 | 0.7500 / 0.3750 | 0.2500 / 0.1250 | 0.2500 |" in card
    assert read_text_style(target) == "natural" and "in the `natural` style" in card
    assert "40 optimizer steps; best validation step 30" in card
    assert not target.with_name(target.name + ".tmp").exists()


def test_shipping_something_that_is_not_an_adapter_is_a_clear_error(tmp_path, capsys):
    assert main(["--adapter", str(tmp_path), "--to", str(tmp_path / "out")]) == 2
    assert "is not a LoRA adapter directory" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_card_gives_the_recipe_as_run_and_the_overrides_that_reproduce_it(tiny_model_dir, tmp_path):
    recipe = "configs/finetune/smollm2-135m-lora.yaml"
    overrides = ["training.learning_rate=5e-5", "output_dir=outputs/r8",
                 "data.mix=[{dataset: dair-ai, repeat: 1.0}, {dataset: journal, repeat: 2}]"]
    as_run = load_recipe(FinetuneConfig, recipe, overrides)
    adapter = _trained_adapter(tiny_model_dir, tmp_path / "run" / "best")
    summary_path = adapter.parent / "train_summary.json"
    summary_path.write_text(json.dumps({**json.loads(summary_path.read_text()),
                                        "recipe": as_run.model_dump(mode="json")}))

    assert main(["--adapter", str(adapter), "--to", str(tmp_path / "shipped"), "--recipe", recipe]) == 0

    card = (tmp_path / "shipped" / "README.md").read_text()
    assert "**Data mix** (per epoch): dair-ai train x 1, journal train x 2\n" in card
    command = re.search(r"\*\*Command\*\*: `EMOAI_DATA_DIR=\S+ python -m finetune --config (.+)`", card).group(1)
    path, *listed = shlex.split(command)
    assert path == recipe and len(listed) == 3
    assert load_recipe(FinetuneConfig, path, listed) == as_run
