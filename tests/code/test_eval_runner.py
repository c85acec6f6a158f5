"""The runner and the evaluation: every text predicted once, failures reported (never dropped), same numbers twice."""

import pytest

from evals.config import EvalConfig
from evals.dataset import EvalDataset
from evals.evaluate import model_metrics, score_model, summarise
from evals.runner import check_predictions, predict_all, single_text_latencies
from llm.classifier import ClassifierError
from llm.config import ModelConfig
from llm.datasets import Example
from llm.factory import load_classifier
from llm.labels import LABEL_TO_ID
from tests.eval_fixtures import KeywordTestDouble

TEXTS = ["i feel afraid of the dark", "i am so resentful", "i feel low", "boom goes my mood",
         "i got scared again", "furious and tired", "i feel empty", "boom boom"]
GOLD = ["fear", "anger", "sadness", "sadness", "fear", "anger", "joy", "anger"]


def _dataset() -> EvalDataset:
    return EvalDataset("keywords", "custom", [Example(t, LABEL_TO_ID[g]) for t, g in zip(TEXTS, GOLD, strict=True)])


def _config(**slices) -> EvalConfig:
    return EvalConfig.model_validate({
        "models": {"unused": {"kind": "encoder"}},
        "runner": {"latency_samples": 2, "error_examples": 1},
        "statistics": {"bootstrap_resamples": 50},
        "slices": {"robustness_limit": 4, **slices},
    })


def test_a_failing_input_is_reported_and_the_rest_of_its_batch_is_kept():
    model = KeywordTestDouble(fail_on="boom")
    result = predict_all(model, TEXTS, batch_size=4, progress=False)
    assert [f.index for f in result.failures] == [3, 7]
    assert result.failures[0].error == "ValueError: cannot handle 'boom goes my mood'"
    assert [p.emotion if p else None for p in result.predictions] == [
        "fear", "anger", "sadness", None, "fear", "anger", "sadness", None]
    assert result.seconds > 0


def test_each_text_is_predicted_once_when_nothing_fails():
    model = KeywordTestDouble()
    predict_all(model, TEXTS, batch_size=3, progress=False)
    assert sum(model.calls) == len(TEXTS) and max(model.calls) == 3


def test_invalid_predictions_are_failures():
    model = KeywordTestDouble(corrupt_on="empty")
    result = predict_all(model, TEXTS, batch_size=8, progress=False)
    assert [f.index for f in result.failures] == [6]
    assert "scores sum to 3.0000" in result.failures[0].error
    with pytest.raises(ClassifierError, match="expected 2 predictions, got 1"):
        check_predictions(model.predict(["a"]), 2)


def test_failures_count_as_wrong_and_are_quoted_in_the_metrics():
    config = _config()
    scores = score_model("keywords", KeywordTestDouble(fail_on="boom"), 4, _dataset(), config, progress=False)
    m = model_metrics(_dataset(), scores, config)
    # right: fear, anger, sadness, fear, anger -> 5 of 8; the two failures count as wrong
    assert m["accuracy"] == pytest.approx(5 / 8)
    assert m["errors"]["count"] == 2 and m["errors"]["rate"] == pytest.approx(0.25)
    assert m["errors"]["examples"] == [{"index": 3, "text": "boom goes my mood",
                                        "error": "ValueError: cannot handle 'boom goes my mood'"}]
    assert sum(map(sum, m["confusion_matrix"]["matrix"])) == 6
    assert sum(b["count"] for b in m["calibration"]["bins"]) == 6


def test_latency_is_measured_per_single_text_request():
    model = KeywordTestDouble(fail_on="boom")
    latencies = single_text_latencies(model, TEXTS, samples=8, seed=0)
    assert len(latencies) == 6  # the two failing texts are not timed
    assert model.calls == [1] * 9  # one warm-up request, then one request per text


def test_real_tiny_model_gives_the_same_numbers_twice(tiny_model_dir, fixture_data_dir):
    from evals.dataset import load_eval_dataset

    dataset = load_eval_dataset("test")
    config = _config(robustness_variants=["journal"])
    classifier = load_classifier(ModelConfig(base_model=str(tiny_model_dir), adapter=None, dtype="float32"))
    runs = [summarise(dataset, [score_model("tiny", classifier, 5, dataset, config, progress=False)], config)
            for _ in range(2)]
    timing = ("throughput_per_s", "latency_ms_p50", "latency_ms_p95")
    first, second = ({k: v for k, v in r["models"]["tiny"].items() if k not in timing} for r in runs)
    assert first == second
    assert first["n"] == len(dataset.examples) == 16
    assert first["robustness"]["journal"]["n"] == 4
