"""Gate checks on metrics.json content: min/max thresholds, unmeasured metrics, which models are gated."""

import pytest

from evals.config import GateSettings
from evals.gates import NoGatedModelError, check_gates


def _model(accuracy: float, ece: float | None, errors: int = 0, flip_rates=(0.0, 0.02)) -> dict:
    return {"accuracy": accuracy, "macro_f1": accuracy - 0.05, "ece": ece, "errors": {"rate": errors / 100},
            "robustness": {f"v{i}": {"flip_rate": r} for i, r in enumerate(flip_rates)}}


RESULTS = {
    "models": {"zero-shot": _model(0.3, 0.2), "lora": _model(0.9, 0.04), "broken": _model(0.9, None, errors=100)},
    "safety": {"available": True, "recall": 0.97, "splits": {"dev": {"recall": 1.0}, "heldout": {"recall": 0.93}}},
}


def _failed(checks) -> list[str]:
    return [f"{c.subject}:{c.gate}" for c in checks if not c.passed]


def test_min_and_max_thresholds_apply_to_the_gated_models_only():
    gates = GateSettings(models=["lora", "zero-shot"], min_accuracy=0.85, max_ece=0.1, max_flip_rate=0.02)
    checks = check_gates(RESULTS, gates)
    assert _failed(checks) == ["zero-shot:min_accuracy", "zero-shot:max_ece"]
    assert len(checks) == 6  # 2 models x 3 gates; 'broken' is not gated
    flip = next(c for c in checks if c.subject == "lora" and c.gate == "max_flip_rate")
    assert flip.value == 0.02 and flip.passed  # the worst variant is compared, and the bound is inclusive


def test_an_unmeasured_metric_fails_its_gate_and_says_so():
    checks = check_gates(RESULTS, GateSettings(max_ece=0.1, max_error_rate=0.0), models=["broken"])
    assert _failed(checks) == ["broken:max_ece", "broken:max_error_rate"]
    assert checks[0].message == "FAILED: broken max_ece: not measured (needs <= 0.1)"


def test_crisis_recall_gate_uses_the_lowest_split():
    checks = check_gates(RESULTS, GateSettings(models=["lora"], min_crisis_recall=0.95))
    assert _failed(checks) == ["crisis screen:min_crisis_recall"]
    assert checks[0].value == 0.93
    unavailable = {**RESULTS, "safety": {"available": False, "reason": "set not found"}}
    assert check_gates(unavailable, GateSettings(models=["lora"], min_crisis_recall=0.5))[0].value is None


def test_gating_models_that_were_not_evaluated_is_an_error():
    with pytest.raises(NoGatedModelError, match="none of the evaluated models"):
        check_gates(RESULTS, GateSettings(models=["baseline"], min_accuracy=0.5))
