"""Serving configuration: YAML, environment overrides, single-user binding."""

import pytest
from pydantic import ValidationError

from llm.factory import load_model_config
from llm.paths import project_path
from serving.config import LOCAL_HOST, env_overrides, load_serving_config


def test_the_shipped_config_serves_the_embedded_model_with_its_adapter():
    config = load_serving_config(environ={})
    assert config.model == "configs/models/smollm2-135m-ensemble.yaml"
    recipe = load_model_config(str(project_path(config.model)))
    assert recipe.adapter == "shipped" and recipe.encoder == "shipped"
    assert config.port == 8000 and config.host == LOCAL_HOST and config.ui


def test_environment_overrides_fields_and_nested_fields():
    environ = {"EMOAI_PORT": "8123", "EMOAI_BATCHING__MAX_QUEUE": "7", "EMOAI_BATCHING__ENABLED": "false",
               "EMOAI_API_KEYS": "{k1: alice, k2: bob}", "EMOAI_MODEL_OVERRIDES": "{adapter: null}",
               "EMOAI_DATA_DIR": "/somewhere/else"}  # a variable of another package: ignored
    config = load_serving_config(environ=environ)
    assert config.port == 8123
    assert config.batching.max_queue == 7 and not config.batching.enabled
    assert config.batching.max_batch_size == 32  # the YAML's other batching fields stay
    assert config.api_keys == {"k1": "alice", "k2": "bob"}
    assert config.model_overrides == {"adapter": None}
    assert "data_dir" not in env_overrides(environ)


def test_without_api_keys_the_server_binds_to_loopback_only():
    assert load_serving_config(environ={}, host="0.0.0.0").bind_host == LOCAL_HOST
    with_keys = load_serving_config(environ={"EMOAI_API_KEYS": "{k: alice}"}, host="0.0.0.0")
    assert with_keys.bind_host == "0.0.0.0"


def test_bad_values_are_refused_with_the_field_name(tmp_path):
    (tmp_path / "bad.yaml").write_text("batching:\n  max_batch_size: 0\n")
    with pytest.raises(ValidationError, match="max_batch_size"):
        load_serving_config(tmp_path / "bad.yaml", environ={})
    (tmp_path / "typo.yaml").write_text("prot: 8000\n")
    with pytest.raises(ValidationError, match="prot"):
        load_serving_config(tmp_path / "typo.yaml", environ={})
