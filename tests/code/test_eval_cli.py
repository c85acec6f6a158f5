"""`python -m evals` in-process on tiny real models: the metrics.json shape, the files, gates, custom datasets."""

import json
from pathlib import Path

import pytest

from evals.__main__ import main
from llm.labels import EMOTIONS
from tests.eval_fixtures import llm_spec, tiny_lora_adapter, write_recipe


@pytest.fixture(scope="module")
def adapter_dir(tiny_model_dir, tmp_path_factory) -> Path:
    return tiny_lora_adapter(tiny_model_dir, tmp_path_factory.mktemp("lora"), seed=1)


@pytest.fixture()
def recipe(tmp_path, tiny_model_dir, adapter_dir) -> Path:
    return write_recipe(tmp_path / "eval.yaml",
                        {"tiny-base": llm_spec(tiny_model_dir), "tiny-lora": llm_spec(tiny_model_dir, adapter_dir)},
                        gates={"models": ["tiny-lora"], "min_accuracy": 0.0, "max_ece": 1.0, "max_error_rate": 0.0})


def _run(recipe: Path, output: Path, *args: str) -> int:
    return main(["--config", str(recipe), "--output", str(output), "--no-tracking", "--no-progress", *args])


FLOAT_KEYS = ("accuracy", "macro_f1", "weighted_f1", "ece", "throughput_per_s", "latency_ms_p50", "latency_ms_p95")


def test_metrics_json_has_exactly_the_documented_shape(recipe, tmp_path, fixture_data_dir):
    assert _run(recipe, tmp_path / "out") == 0
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["dataset"] == {"name": str(fixture_data_dir), "split": "test", "n": 16}
    assert list(metrics["models"]) == ["tiny-base", "tiny-lora"]
    for model in metrics["models"].values():
        for key in FLOAT_KEYS:
            assert isinstance(model[key], float), key
        assert model["n"] == 16 and isinstance(model["n"], int)
        assert list(model["per_class"]) == list(EMOTIONS)
        for scores in model["per_class"].values():
            assert set(scores) == {"precision", "recall", "f1", "support"}
            assert all(isinstance(scores[k], float) for k in ("precision", "recall", "f1"))
            assert isinstance(scores["support"], int)
        assert sum(s["support"] for s in model["per_class"].values()) == 16
        low, high = model["ci"]["accuracy"]
        assert low <= model["accuracy"] <= high
    assert metrics["comparisons"][0]["a"] == "tiny-base" and metrics["comparisons"][0]["b"] == "tiny-lora"


def test_predictions_report_and_plots_are_written(recipe, tmp_path, fixture_data_dir):
    assert _run(recipe, tmp_path / "out", "--models", "tiny-lora") == 0
    out = tmp_path / "out"
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert len(rows) == 16
    assert set(rows[0]) == {"index", "text", "gold", "models"}
    prediction = rows[0]["models"]["tiny-lora"]
    assert prediction["predicted"] in EMOTIONS and set(prediction["scores"]) == set(EMOTIONS)
    report = (out / "report.md").read_text()
    assert "| tiny-lora |" in report and "## Robustness" in report and "Not available" in report
    for png in ("confusion_matrices.png", "per_class_f1.png", "reliability.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({png})" in report


def test_gate_exit_codes_name_the_failing_gate(recipe, tmp_path, fixture_data_dir, capsys):
    assert _run(recipe, tmp_path / "pass", "--gate") == 0
    assert "gates: passed" in capsys.readouterr().out
    strict = tmp_path / "strict.yaml"
    strict.write_text(recipe.read_text().replace("min_accuracy: 0.0", "min_accuracy: 0.99"))
    assert _run(strict, tmp_path / "fail", "--gate") == 1
    out = capsys.readouterr().out
    assert "gate FAILED: tiny-lora min_accuracy" in out and "needs >= 0.99" in out
    gates = json.loads((tmp_path / "fail" / "metrics.json").read_text())["gates"]
    assert gates["passed"] is False
    # asking for gates when no evaluated model is gated is an error, not a silent pass
    assert _run(recipe, tmp_path / "none", "--gate", "--models", "tiny-base") == 2
    assert "none of the evaluated models (tiny-base) is gated" in capsys.readouterr().err


def test_crisis_recall_gate_fails_when_the_screen_was_not_measured(recipe, tmp_path, fixture_data_dir, capsys):
    recipe.write_text(recipe.read_text().replace("max_error_rate: 0.0", "min_crisis_recall: 0.9"))
    assert _run(recipe, tmp_path / "out", "--gate", "--models", "tiny-lora") == 1
    assert "gate FAILED: crisis screen min_crisis_recall: not measured" in capsys.readouterr().out


def test_custom_dataset_with_label_text(recipe, tmp_path, capsys):
    entries = tmp_path / "my_entries.jsonl"
    entries.write_text("\n".join(json.dumps({"text": t, "label_text": label}) for t, label in [
        ("Today I felt really happy with my friends!", "joy"),
        ("I can't stop worrying about tomorrow.", "fear"),
        ("Why does everyone ignore me? I'm furious.", "anger")]) + "\n")
    assert _run(recipe, tmp_path / "out", "--dataset", str(entries), "--models", "tiny-lora") == 0
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["dataset"] == {"name": "my_entries.jsonl", "split": "custom", "n": 3}
    assert metrics["models"]["tiny-lora"]["per_class"]["joy"]["support"] == 1


@pytest.mark.parametrize(("content", "message"), [
    ("", "has no rows"),
    ('{"text": "fine"}\n{"text": "ok", "label_text": "joy"}\n', ":1: needs 'label'"),
    ('{"text": "ok", "label_text": "bored"}\n', ":1: unknown emotion 'bored'"),
    ('{"text": "ok", "label_text": "joy"}\nnot json\n', ":2: not valid JSON"),
])
def test_empty_or_malformed_dataset_files_give_a_clear_error(recipe, tmp_path, capsys, content, message):
    path = tmp_path / "entries.jsonl"
    path.write_text(content)
    assert _run(recipe, tmp_path / "out", "--dataset", str(path)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert not (tmp_path / "out").exists()


def test_limit_and_bad_model_names(recipe, tmp_path, fixture_data_dir, capsys):
    assert _run(recipe, tmp_path / "out", "--limit", "5", "--models", "tiny-base") == 0
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["dataset"]["n"] == 5
    assert _run(recipe, tmp_path / "x", "--models", "tiny-base,nope") == 2
    assert "unknown model(s) nope" in capsys.readouterr().err


def test_a_missing_adapter_stops_before_any_model_predicts(tmp_path, tiny_model_dir, fixture_data_dir, capsys):
    recipe = write_recipe(tmp_path / "eval.yaml", {"ok": llm_spec(tiny_model_dir),
                                                  "lora": llm_spec(tiny_model_dir, tmp_path / "not-trained")})
    assert _run(recipe, tmp_path / "out") == 2
    assert "model 'lora': adapter directory not found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_run_is_logged_to_mlflow(recipe, tmp_path, fixture_data_dir, mlflow_uri):
    recipe.write_text(recipe.read_text().replace("enabled: false", "enabled: true"))
    out = tmp_path / "tracked"
    assert main(["--config", str(recipe), "--output", str(out), "--no-progress", "--models", "tiny-lora"]) == 0
    import mlflow

    mlflow.set_tracking_uri(mlflow_uri)
    runs = mlflow.search_runs(experiment_names=["emoai-evals"], output_format="list")
    assert len(runs) == 1
    run = runs[0]
    metrics = json.loads((out / "metrics.json").read_text())["models"]["tiny-lora"]
    assert run.data.metrics["tiny-lora/macro_f1"] == pytest.approx(metrics["macro_f1"])
    assert run.data.params["dataset.split"] == "test"
    logged = {a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id)}
    assert {"metrics.json", "predictions.jsonl", "report.md", "reliability.png"} <= logged


def test_several_sets_in_one_run_report_per_set_and_across_sets(recipe, tmp_path, fixture_data_dir, capsys):
    out = tmp_path / "out"
    sets = [str(fixture_data_dir / "validation.jsonl"), str(fixture_data_dir / "test.jsonl")]
    assert _run(recipe, out, "--dataset", sets[0], "--dataset", f"{sets[1]},{sets[0]}") == 0
    for label in ("validation", "test"):
        metrics = json.loads((out / label / "metrics.json").read_text())
        assert metrics["dataset"]["name"] == f"{label}.jsonl" and list(metrics["models"]) == ["tiny-base", "tiny-lora"]
        assert (out / label / "report.md").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary) == ["validation", "test"]
    for label, part in summary.items():
        per_set = json.loads((out / label / "metrics.json").read_text())
        assert part["models"]["tiny-lora"]["macro_f1"] == per_set["models"]["tiny-lora"]["macro_f1"]
    table = (out / "summary.md").read_text()
    for label in ("validation", "test"):
        n = summary[label]["dataset"]["n"]
        assert f"| {label} | {n} | tiny-base |" in table and f"| {label} | {n} | tiny-lora |" in table
    assert "tiny-base vs tiny-lora" in table and (out / "macro_f1_by_set.png").stat().st_size > 0
    assert "across sets" in capsys.readouterr().out


def test_an_unknown_named_set_is_a_one_line_error(recipe, tmp_path, capsys):
    assert _run(recipe, tmp_path / "out", "--dataset", "goemotions7-validation") == 2
    assert "neither a file nor a named set" in capsys.readouterr().err
