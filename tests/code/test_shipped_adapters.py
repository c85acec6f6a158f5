"""Which shipped LLM adapter each path gets: the vote's when an encoder votes, the LLM-alone one otherwise."""

import pytest

from llm.config import SERVED_RECIPE
from llm.factory import load_model_config
from llm.loading import (
    SHIPPED_ALONE_ADAPTER_DIR,
    SHIPPED_VOTE_ADAPTER_DIR,
    adapter_version,
    resolve_model_adapter,
)
from llm.paths import project_path

LLM_ALONE_RECIPES = ["configs/models/smollm2-135m-lora.yaml", "configs/models/smollm2-135m-lora-vllm.yaml"]


def _resolved(recipe: str, **updates):
    return resolve_model_adapter(load_model_config(str(project_path(recipe))).model_copy(update=updates))


def test_the_served_vote_gets_the_vote_adapter():
    assert _resolved(SERVED_RECIPE) == SHIPPED_VOTE_ADAPTER_DIR


@pytest.mark.parametrize("recipe", LLM_ALONE_RECIPES)
def test_the_llm_alone_recipes_get_the_llm_alone_adapter(recipe):
    assert _resolved(recipe) == SHIPPED_ALONE_ADAPTER_DIR


def test_switching_the_encoder_off_switches_to_the_llm_alone_adapter():
    """What `emoai classify --encoder none` does to the served recipe."""
    assert _resolved(SERVED_RECIPE, encoder=None) == SHIPPED_ALONE_ADAPTER_DIR


def test_the_two_slots_hold_different_weights():
    assert adapter_version(SHIPPED_VOTE_ADAPTER_DIR) != adapter_version(SHIPPED_ALONE_ADAPTER_DIR)
