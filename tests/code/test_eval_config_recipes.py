"""Every committed eval recipe validates: a typo in configs/evals/ is caught before anyone runs it."""


import pytest

from evals.config import load_eval_config
from llm.paths import project_file

RECIPES = sorted(project_file("configs", "evals").glob("*.yaml"))


def test_there_are_eval_recipes():
    assert len(RECIPES) >= 3


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_eval_recipe_validates_down_to_each_models_own_recipe(path):
    config = load_eval_config(path)
    assert config.default_models
    for spec in config.models.values():
        if spec.kind == "llm":
            assert spec.model_config_().base_model
