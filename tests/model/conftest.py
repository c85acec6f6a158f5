"""The real embedded model with the shipped adapter, alone and as served (voting with the shipped MiniLM),
loaded once per session for the behavioural tests."""

import pytest

from llm.config import SERVED_RECIPE, ModelConfig
from llm.factory import load_classifier, load_model_config
from llm.paths import project_path


@pytest.fixture(scope="session")
def llm_alone():
    return load_classifier(ModelConfig())


@pytest.fixture(scope="session")
def served():
    return load_classifier(load_model_config(str(project_path(SERVED_RECIPE))))


@pytest.fixture(scope="session", params=["llm_alone", "served"])
def shipped_classifier(request):
    """Each behavioural check runs on both."""
    return request.getfixturevalue(request.param)
