"""The real embedded model with the shipped adapter, loaded once for the behavioural tests."""

import pytest

from llm.config import ModelConfig
from llm.factory import load_classifier


@pytest.fixture(scope="session")
def shipped_classifier():
    return load_classifier(ModelConfig())
