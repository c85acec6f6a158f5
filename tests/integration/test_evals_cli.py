"""`python -m evals` as a user runs it: a subprocess on fixture data with tiny real models of every kind."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from llm.paths import PROJECT_ROOT
from tests.eval_fixtures import llm_spec, tiny_encoder_dir, tiny_lora_adapter, write_recipe
from tests.tiny_models import fixture_data_path

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def recipe(tiny_model_dir, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("evals-cli")
    models = {
        "baseline": {"kind": "encoder", "path": str(tiny_encoder_dir(root / "encoder")), "batch_size": 8},
        "llm-base": llm_spec(tiny_model_dir),
        "llm-lora": llm_spec(tiny_model_dir, tiny_lora_adapter(tiny_model_dir, root / "lora", seed=3)),
    }
    return write_recipe(root / "eval.yaml", models, gates={"models": ["baseline", "llm-lora"], "max_error_rate": 0.0},
                        system_checks={"crisis_model": None,  # the rules: fast; the panel's numbers: test_safety_dataset
                                       "retrieval_queries": str(root / "no-queries.jsonl")},
                        tracking={"enabled": True})


def _evals(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "EMOAI_DATA_DIR": str(fixture_data_path()),
           "MLFLOW_TRACKING_URI": f"sqlite:///{cwd}/mlflow.db", "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run([sys.executable, "-m", "evals", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600, check=False)


def test_three_model_kinds_end_to_end_with_gates_and_mlflow(recipe, tmp_path):
    done = _evals("--config", str(recipe), "--split", "test", "--gate", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "llm-lora" in done.stdout and "gates: passed" in done.stdout
    reports = list((tmp_path / "reports").iterdir())
    assert len(reports) == 1 and reports[0].name.endswith("-test")
    out = reports[0]
    for name in ("metrics.json", "predictions.jsonl", "report.md", "confusion_matrices.png", "per_class_f1.png",
                 "reliability.png"):
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert list(metrics["models"]) == ["baseline", "llm-base", "llm-lora"]
    assert metrics["models"]["baseline"]["model"]["backend"] == "encoder"
    assert len(metrics["comparisons"]) == 3
    assert metrics["run"]["command"].startswith("python -m evals --config")
    assert metrics["retrieval"]["available"] is False
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
    [run] = mlflow.search_runs(experiment_names=["emoai-evals"], output_format="list")
    assert run.data.metrics["baseline/accuracy"] == pytest.approx(metrics["models"]["baseline"]["accuracy"])
    assert run.data.tags["gates"] == "passed"


def test_exit_codes_for_a_failed_gate_and_a_bad_dataset(recipe, tmp_path):
    strict = tmp_path / "strict.yaml"
    strict.write_text(recipe.read_text().replace("max_error_rate: 0.0", "min_macro_f1: 1.0"))
    failed = _evals("--config", str(strict), "--models", "baseline", "--gate", "--no-tracking", cwd=tmp_path)
    assert failed.returncode == 1
    assert "gate FAILED: baseline min_macro_f1" in failed.stdout
    bad = tmp_path / "entries.jsonl"
    bad.write_text('{"text": "so happy today", "label_text": "happy"}\n')
    refused = _evals("--config", str(recipe), "--dataset", str(bad), "--no-tracking", cwd=tmp_path)
    assert refused.returncode == 2
    assert f"error: {bad}:1: unknown emotion 'happy'" in refused.stderr
