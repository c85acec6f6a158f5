"""Every shipped crisis model has a committed recipe, and the recipe holds the settings recorded in the model's
crisis_model.json (so `python -m finetune.crisis --config RECIPE` rebuilds it)."""

import json
from pathlib import Path

import pytest

from finetune.config import load_recipe
from finetune.crisis.config import CrisisConfig
from finetune.crisis.train import chosen_sets
from llm.paths import project_file
from llm.safety.model import METADATA_FILE
from llm.safety.panel import PANEL_FILE, SHIPPED_CRISIS_SCREEN
from llm.safety.sets import crisis_sets, labelled_file

SHIPPED = {"crisis-minilm-v9": "crisis-minilm-v9.yaml", "crisis-minilm-v14": "crisis-minilm-v14.yaml",
           "crisis-smollm2-v15": "crisis-smollm2-v15.yaml"}


def test_the_shipped_panel_is_the_three_models_with_recipes():
    members = json.loads((SHIPPED_CRISIS_SCREEN / PANEL_FILE).read_text())["members"]
    assert [Path(member).name for member in members] == list(SHIPPED)
    assert sorted(path.name for path in SHIPPED_CRISIS_SCREEN.parent.iterdir()) == sorted([*SHIPPED, "crisis-screen"])


def _recorded_sets(data: dict) -> list[str]:
    """The manifest's names for the files and splits a model's recipe recorded (by file name: the files moved)."""
    sets = crisis_sets()
    by_file = {entry.path.name: name for name, entry in sets.items() if entry.split is None}
    names = []
    for file in data["files"]:
        names += data["splits"] if Path(file).name == labelled_file(sets).name else [by_file[Path(file).name]]
    return names


@pytest.mark.parametrize("recipe", sorted(project_file("configs", "finetune").glob("crisis-*.yaml")),
                         ids=lambda path: path.name)
def test_every_crisis_recipe_is_valid(recipe):
    config = load_recipe(CrisisConfig, recipe)
    assert chosen_sets(config.data, crisis_sets(config.data.manifest))  # every named set exists and may be trained on


@pytest.mark.parametrize("model", list(SHIPPED))
def test_the_recipe_of_a_shipped_model_holds_its_recorded_settings(model):
    recorded = json.loads((SHIPPED_CRISIS_SCREEN.parent / model / METADATA_FILE).read_text())["recipe"]
    recipe = load_recipe(CrisisConfig, project_file("configs", "finetune", SHIPPED[model])).model_dump()
    # every setting but the data selection (recorded as files; now the manifest's sets) and where it was written
    expected = CrisisConfig.model_validate({key: value for key, value in recorded.items()
                                            if key not in ("data", "output_dir")}).model_dump()
    assert {key: value for key, value in recipe.items() if key not in ("data", "output_dir")} == {
        key: value for key, value in expected.items() if key not in ("data", "output_dir")}
    data = recorded["data"]
    assert recipe["data"]["sets"] == _recorded_sets(data)
    for key in ("ordinary_negatives", "ordinary_source", "overlap_words"):
        assert recipe["data"][key] == data[key], key
    # the leak guard of today holds out at least what it held out then (it covers every set not trained on)
    sets = crisis_sets()
    by_file = {entry.path.name: name for name, entry in sets.items() if entry.split is None}
    held_out = {name for name, entry in sets.items() if name not in recipe["data"]["sets"] and entry.role != "train"}
    assert {by_file[Path(file).name] for file in data.get("guard_files", [])} <= held_out
