"""Recipes and overrides: validated, with clear errors."""

from pathlib import Path

import pytest

from finetune.__main__ import main as finetune_main
from finetune.baseline.config import BaselineConfig
from finetune.config import ConfigError, FinetuneConfig, load_config, load_recipe, parse_overrides
from finetune.crisis.config import CrisisConfig
from llm.paths import project_file

RECIPES = sorted(project_file("configs", "finetune").glob("*.yaml"))
RECIPE_TYPES = {"baseline": BaselineConfig, "crisis": CrisisConfig}  # by name prefix; the rest are LLM recipes
LLM_RECIPES = [r for r in RECIPES if r.name.split("-")[0] not in RECIPE_TYPES]


def test_overrides_parse_dotted_keys_and_yaml_values():
    assert parse_overrides(["training.learning_rate=1e-4", "lora.r=8", "data.train_limit=10"]) == {
        "training": {"learning_rate": 1e-4}, "lora": {"r": 8}, "data": {"train_limit": 10}}


@pytest.mark.parametrize("arg", ["--lora.r", "--lora.r=8", "lora.r"])
def test_overrides_have_one_syntax(arg):
    with pytest.raises(ConfigError, match="use key=value"):
        parse_overrides([arg, "8"] if "=" not in arg else [arg])


@pytest.mark.parametrize("recipe", LLM_RECIPES, ids=lambda p: p.name)
def test_every_llm_recipe_validates_and_names_its_launch_command(recipe):
    config = load_recipe(FinetuneConfig, recipe)
    header = recipe.read_text().split("\n", 5)
    assert any("-m finetune" in line for line in header), "the header comment must hold the launch command"
    if config.deepspeed:
        assert Path(config.deepspeed).is_file()


@pytest.mark.parametrize("recipe", [r for r in RECIPES if r not in LLM_RECIPES], ids=lambda p: p.name)
def test_every_encoder_recipe_validates_and_names_its_launch_command(recipe):
    config = load_recipe(RECIPE_TYPES[recipe.name.split("-")[0]], recipe)
    assert config.training.epochs > 0
    header = [line for line in recipe.read_text().splitlines() if line.startswith("#")]
    assert any("python -m finetune." in line for line in header)


def test_overrides_win_over_the_recipe():
    config = load_config(FinetuneConfig, ["--config", "configs/finetune/smollm2-135m-lora.yaml",
                                          "training.learning_rate=1e-5", "lora.r=4"])
    assert config.training.learning_rate == 1e-5 and config.lora.r == 4


@pytest.mark.parametrize("override, message", [
    ("training.learnin_rate=1", "training.learnin_rate: Extra inputs are not permitted"),
    ("training.learning_rate=-1", "training.learning_rate: Input should be greater than 0"),
    ("lora.r=zero", "lora.r: Input should be a valid integer"),
    ("deepspeed=deepspeed/zero9.json", "deepspeed config not found"),
])
def test_bad_values_and_unknown_keys_give_clear_errors(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(FinetuneConfig, ["--config", "configs/finetune/smollm2-135m-lora.yaml", override])


def test_the_cli_prints_one_line_and_exits_2_on_bad_config(capsys):
    assert finetune_main(["--config", "configs/finetune/nope.yaml"]) == 2
    assert capsys.readouterr().err.strip() == "error: config file not found: configs/finetune/nope.yaml"
    assert finetune_main(["--config", "configs/finetune/smollm2-135m-lora.yaml", "oops"]) == 2
    assert "cannot parse override 'oops'" in capsys.readouterr().err
