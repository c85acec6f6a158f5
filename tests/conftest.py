"""Shared fixtures: tiny random models, the fixture dataset, isolated caches and MLflow stores."""

import os
from pathlib import Path

import pytest

from llm.paths import PROJECT_ROOT
from tests.tiny_models import fixture_data_path, subword_tokenizer, tiny_llama_dir, word_tokenizer

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data" / "emotion"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A tiny random Llama whose labels are single tokens."""
    return tiny_llama_dir(tmp_path_factory.mktemp("tiny-llama"), word_tokenizer())


@pytest.fixture(scope="session")
def tiny_subword_model_dir(tmp_path_factory) -> Path:
    """A tiny random Llama whose labels are several tokens, some sharing a first token."""
    return tiny_llama_dir(tmp_path_factory.mktemp("tiny-llama-bpe"), subword_tokenizer())


@pytest.fixture()
def fixture_data_dir(monkeypatch) -> Path:
    """The project's small hand-written dataset, as EMOAI_DATA_DIR."""
    directory = fixture_data_path()
    monkeypatch.setenv("EMOAI_DATA_DIR", str(directory))
    return directory


@pytest.fixture()
def mlflow_uri(tmp_path, monkeypatch) -> str:
    """An isolated MLflow SQLite store for one test."""
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.chdir(tmp_path)
    return uri


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The real dair-ai/emotion copy beside the checkout (never committed)."""
    if not (SHARED_DATA / "train.jsonl").is_file():
        pytest.fail(f"the shared dataset is missing at {SHARED_DATA}: CI and developers always have it")
    return SHARED_DATA
