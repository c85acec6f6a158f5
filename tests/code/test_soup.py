"""`python -m finetune.soup`: the averaged adapter's weight update is exactly the mean of the adapters' updates."""

import json

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM

from finetune.ship import main as ship_main
from finetune.soup import main
from llm.loading import adapter_version
from llm.prompt import read_text_style, write_text_style
from tests.eval_fixtures import tiny_lora_adapter


def _merged_weights(base_dir, adapter=None) -> dict[str, torch.Tensor]:
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    if adapter is not None:
        model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}


def test_the_soup_update_is_the_mean_of_the_updates(tiny_model_dir, tmp_path):
    first = tiny_lora_adapter(tiny_model_dir, tmp_path / "first", seed=0)
    second = tiny_lora_adapter(tiny_model_dir, tmp_path / "second", seed=1, scale=2.0)
    soup = tmp_path / "soup"

    assert main(["--adapters", str(first), str(second), "--to", str(soup)]) == 0

    base = _merged_weights(tiny_model_dir)
    one, two, mean = (_merged_weights(tiny_model_dir, path) for path in (first, second, soup))
    changed = [name for name in base if not torch.equal(one[name], base[name])]
    assert any("q_proj" in name for name in changed) and any("down_proj" in name for name in changed)
    for name in base:
        expected = base[name] + ((one[name] - base[name]) + (two[name] - base[name])) / 2
        torch.testing.assert_close(mean[name], expected, rtol=1e-5, atol=1e-6)


def test_averaging_needs_two_real_adapters(tiny_model_dir, tmp_path, capsys):
    first = tiny_lora_adapter(tiny_model_dir, tmp_path / "first", seed=0)
    assert main(["--adapters", str(first), "--to", str(tmp_path / "out")]) == 2
    assert "at least two adapters" in capsys.readouterr().err
    assert main(["--adapters", str(first), str(tmp_path), "--to", str(tmp_path / "out")]) == 2
    assert "is not a LoRA adapter directory" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_shipped_soup_names_what_it_averages_and_what_was_measured(tiny_model_dir, tmp_path):
    parts = [tiny_lora_adapter(tiny_model_dir, tmp_path / name, seed=seed) for seed, name in enumerate(("a", "b"))]
    assert main(["--adapters", *map(str, parts), "--to", str(tmp_path / "soup")]) == 0
    metrics = []
    for split, accuracy in (("validation", 0.75), ("test", 0.5)):
        path = tmp_path / f"report-{split}" / "metrics.json"
        path.parent.mkdir()
        path.write_text(json.dumps({"dataset": {"name": "../shared/data/emotion", "split": split, "n": 4}, "models": {"llm-lora": {
            "accuracy": accuracy, "macro_f1": 0.25, "weighted_f1": 0.5, "ece": 0.125}}}))
        metrics += ["--metrics", str(path)]

    assert ship_main(["--adapter", str(tmp_path / "soup"), "--to", str(tmp_path / "shipped"), *metrics]) == 0

    card = (tmp_path / "shipped" / "README.md").read_text()
    assert all(adapter_version(part) in card for part in parts)
    assert "Not trained itself" in card
    assert "emotion validation (4 texts): accuracy 0.7500" in card and "emotion test (4 texts): accuracy 0.5000" in card
    assert json.loads((tmp_path / "shipped" / "soup.json").read_text())["averaged"][1]["path"] == str(parts[1])


def test_weights_give_a_weighted_mean_and_differing_text_styles_need_a_choice(tiny_model_dir, tmp_path, capsys):
    first = tiny_lora_adapter(tiny_model_dir, tmp_path / "first", seed=0)
    second = tiny_lora_adapter(tiny_model_dir, tmp_path / "second", seed=1, scale=2.0)
    write_text_style(second, "natural")
    soup = tmp_path / "soup"
    assert main(["--adapters", str(first), str(second), "--to", str(soup), "--weights", "1", "3"]) == 2
    assert "different styles (dair, natural)" in capsys.readouterr().err
    assert main(["--adapters", str(first), str(second), "--to", str(soup), "--weights", "1", "3",
                 "--text-style", "natural"]) == 0
    assert read_text_style(soup) == "natural"
    assert [part["weight"] for part in json.loads((soup / "soup.json").read_text())["averaged"]] == [0.25, 0.75]
    base = _merged_weights(tiny_model_dir)
    one, two, mixed = (_merged_weights(tiny_model_dir, path) for path in (first, second, soup))
    for name in base:
        expected = base[name] + 0.25 * (one[name] - base[name]) + 0.75 * (two[name] - base[name])
        torch.testing.assert_close(mixed[name], expected, rtol=1e-5, atol=1e-6)
    assert main(["--adapters", str(first), str(second), "--to", str(soup), "--weights", "1"]) == 2


def _encoder_adapter(base_dir, directory, start, seed):
    """A LoRA adapter and head continuing ``start`` with random updates, saved as the baseline trainer saves it."""
    from peft import PeftModel

    from llm.encoder import ADAPTER_METADATA, encoder_with_head

    torch.manual_seed(seed)
    model = PeftModel.from_pretrained(encoder_with_head(str(base_dir))[0], str(start), is_trainable=True)
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.requires_grad:
                parameter.add_(torch.randn_like(parameter) * 0.5)
    model.save_pretrained(directory)
    (directory / ADAPTER_METADATA).write_text(json.dumps({"encoder": str(base_dir), "max_length": 32}))
    return directory


def test_encoder_baselines_of_one_start_average_their_lora_updates_and_their_heads(tmp_path):
    from peft import get_peft_model

    from finetune.config import EncoderLora
    from llm.encoder import EncoderClassifier, encoder_with_head
    from tests.eval_fixtures import tiny_encoder_dir

    base_dir = tiny_encoder_dir(tmp_path / "encoder")
    start = tmp_path / "start"
    get_peft_model(encoder_with_head(str(base_dir))[0], EncoderLora(r=4, alpha=8).peft_config()).save_pretrained(start)
    seeds = [_encoder_adapter(base_dir, tmp_path / f"seed{seed}", start, seed) for seed in (1, 2, 3)]
    soup = tmp_path / "soup"

    assert main(["--adapters", *map(str, seeds), "--to", str(soup)]) == 0

    def merged(path):
        return EncoderClassifier.load(str(path)).model.state_dict()

    parts, mean = [merged(path) for path in seeds], merged(soup)
    plain = encoder_with_head(str(base_dir))[0].state_dict()
    assert any("classifier" in name for name in mean) and any("attention.self.query" in name for name in mean)
    for name, tensor in mean.items():
        if "classifier" in name:  # saved whole: the mean of the heads
            expected = sum(part[name] for part in parts) / 3
        else:  # the plain encoder plus the mean of the three LoRA updates
            expected = plain[name] + sum(part[name] - plain[name] for part in parts) / 3
        torch.testing.assert_close(tensor, expected, rtol=1e-5, atol=1e-5)
    other = tmp_path / "other-length"
    _encoder_adapter(base_dir, other, start, 4)
    (other / "baseline.json").write_text(json.dumps({"encoder": str(base_dir), "max_length": 64}))
    assert main(["--adapters", str(seeds[0]), str(other), "--to", str(tmp_path / "mixed")]) == 2
