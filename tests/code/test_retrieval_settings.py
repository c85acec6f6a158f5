"""Retrieval settings: the shipped YAML, environment overrides and validation errors."""

import pytest
from pydantic import ValidationError

from retrieval.settings import DEFAULT_CONFIG, SHIPPED_KB, RetrievalSettings, load_settings


def test_shipped_config_loads_with_embedded_defaults(monkeypatch):
    for name in ("EMOAI_CHROMA_PATH", "EMOAI_CHROMA_HOST", "EMOAI_CHROMA_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(DEFAULT_CONFIG)
    assert settings.chroma.mode == "embedded" and settings.chroma.path == ".chroma"
    assert settings.kb_path == SHIPPED_KB
    assert 2 <= settings.explanation.recommendations <= 3


def test_environment_overrides_path_and_switches_to_server(monkeypatch):
    monkeypatch.setenv("EMOAI_CHROMA_PATH", "/tmp/elsewhere")
    assert load_settings().chroma.path == "/tmp/elsewhere"
    monkeypatch.setenv("EMOAI_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("EMOAI_CHROMA_PORT", "8123")
    chroma = load_settings().chroma
    assert (chroma.mode, chroma.host, chroma.port) == ("server", "127.0.0.1", 8123)


def test_bad_settings_are_rejected(tmp_path):
    with pytest.raises(ValidationError, match="fetch_k"):
        RetrievalSettings.model_validate({"search": {"k": 5, "fetch_k": 2}})
    with pytest.raises(ValidationError):
        RetrievalSettings.model_validate({"chroma": {"mode": "cloud"}})
    path = tmp_path / "r.yaml"
    path.write_text("chroma:\n  colour: blue\n")
    with pytest.raises(ValidationError, match="colour"):
        load_settings(path)
    with pytest.raises(FileNotFoundError):
        load_settings(tmp_path / "missing.yaml")
