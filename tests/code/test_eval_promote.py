"""`python -m evals promote` against a real local MLflow registry holding tiny LoRA adapters."""

import json
from pathlib import Path

import pytest

from evals.__main__ import main
from finetune.tracking import RunTracker
from llm.config import ModelConfig
from llm.factory import load_classifier
from tests.eval_fixtures import llm_spec, tiny_lora_adapter, write_recipe

NAME = "emotion-llm"


def _register(adapter: Path, alias: str) -> str:
    tracker = RunTracker(True, None, "emoai-finetune", f"adapter-{adapter.name}", {"adapter": adapter.name})
    tracker.log_artifacts(adapter, "adapter")
    version = tracker.register("adapter", NAME, alias=alias)
    tracker.end()
    return str(version)


def _champion() -> str | None:
    import mlflow

    try:
        return str(mlflow.MlflowClient().get_model_version_by_alias(NAME, "champion").version)
    except mlflow.exceptions.MlflowException:
        return None


@pytest.fixture()
def adapters(tiny_model_dir, tmp_path) -> tuple[Path, Path]:
    return (tiny_lora_adapter(tiny_model_dir, tmp_path / "lora-a", seed=1),
            tiny_lora_adapter(tiny_model_dir, tmp_path / "lora-b", seed=2))


@pytest.fixture()
def labelled_by_b(tiny_model_dir, adapters, tmp_path, fixture_data_dir) -> Path:
    """The fixture test texts labelled with adapter B's answers: B is right on every text, A is not."""
    texts = [json.loads(line)["text"] for line in (fixture_data_dir / "test.jsonl").read_text().splitlines()]

    def answers(adapter):
        config = ModelConfig(base_model=str(tiny_model_dir), adapter=str(adapter), dtype="float32")
        return [p.emotion for p in load_classifier(config).predict(texts)]

    answers_a, answers_b = answers(adapters[0]), answers(adapters[1])
    assert answers_a != answers_b, "the two random adapters should disagree somewhere"
    path = tmp_path / "labelled-by-b.jsonl"
    path.write_text("".join(json.dumps({"text": t, "label_text": e}) + "\n" for t, e in zip(texts, answers_b, strict=True)))
    return path


def _promote(recipe: Path, dataset: Path, output: Path) -> int:
    return main(["promote", "--name", NAME, "--config", str(recipe), "--dataset", str(dataset),
                 "--output", str(output), "--no-progress"])


def test_champion_moves_only_when_the_challenger_passes_the_gates_and_wins(
        mlflow_uri, tmp_path, tiny_model_dir, adapters, labelled_by_b, capsys):
    lenient = write_recipe(tmp_path / "lenient.yaml", {"unused": llm_spec(tiny_model_dir)},
                           gates={"min_accuracy": 0.0, "max_error_rate": 0.0},
                           promotion={"registered_models": {NAME: llm_spec(tiny_model_dir)}},
                           tracking={"enabled": True})
    strict = tmp_path / "strict.yaml"
    strict.write_text(lenient.read_text().replace("min_accuracy: 0.0", "min_accuracy: 1.0").replace(
        "max_error_rate: 0.0", "max_ece: 0.0"))
    adapter_a, adapter_b = adapters

    # no champion yet: a challenger that passes the gates becomes champion
    assert _register(adapter_a, "challenger") == "1"
    assert _promote(lenient, labelled_by_b, tmp_path / "r1") == 0
    assert _champion() == "1"
    assert "no champion yet" in capsys.readouterr().out

    # B is right on every text but misses the strict ECE gate: the alias stays
    assert _register(adapter_b, "challenger") == "2"
    assert _promote(strict, labelled_by_b, tmp_path / "r2") == 1
    assert _champion() == "1"
    promotion = json.loads((tmp_path / "r2" / "metrics.json").read_text())["promotion"]
    assert promotion["promoted"] is False and "max_ece" in promotion["reason"]

    # with the gates passed, B beats A on macro-F1 and takes the alias
    assert _promote(lenient, labelled_by_b, tmp_path / "r3") == 0
    assert _champion() == "2"
    metrics = json.loads((tmp_path / "r3" / "metrics.json").read_text())
    assert metrics["models"]["challenger"]["macro_f1"] == 1.0
    assert metrics["models"]["champion"]["macro_f1"] < 1.0
    assert metrics["promotion"]["reason"].startswith("challenger wins")
    assert "paired bootstrap p=" in metrics["promotion"]["reason"]
    assert metrics["models"]["challenger"]["model"]["adapter"] is not None

    # A comes back as challenger and loses: champion stays B
    assert _register(adapter_a, "challenger") == "3"
    assert _promote(lenient, labelled_by_b, tmp_path / "r4") == 1
    assert _champion() == "2"
    assert "kept @champion (version 2): challenger does not win" in capsys.readouterr().out

    import mlflow

    tag = mlflow.MlflowClient().get_model_version(NAME, "3").tags["promotion"]
    assert tag.startswith("rejected: challenger does not win")


def test_promotion_without_a_challenger_is_a_clear_error(mlflow_uri, tmp_path, tiny_model_dir, capsys):
    recipe = write_recipe(tmp_path / "eval.yaml", {"unused": llm_spec(tiny_model_dir)},
                          promotion={"registered_models": {NAME: llm_spec(tiny_model_dir)}})
    assert main(["promote", "--name", NAME, "--config", str(recipe)]) == 2
    assert f"registered model '{NAME}' has no @challenger version" in capsys.readouterr().err
