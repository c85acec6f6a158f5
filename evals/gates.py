"""Release gates: thresholds from the eval config checked against metrics.json content."""

from dataclasses import asdict, dataclass

from evals.config import GateSettings

# gate name -> the metric it reads; min_* gates need value >= threshold, max_* gates value <= threshold
MODEL_GATES = {
    "min_accuracy": "accuracy",
    "min_macro_f1": "macro_f1",
    "max_ece": "ece",
    "max_error_rate": "error_rate",
    "max_flip_rate": "flip_rate",
}


@dataclass(frozen=True)
class GateResult:
    """One threshold checked for one model (or for the service, for the crisis screen)."""

    subject: str
    gate: str
    threshold: float
    value: float | None
    passed: bool

    @property
    def message(self) -> str:
        value = "not measured" if self.value is None else f"{self.value:.4f}"
        relation = ">=" if self.gate.startswith("min_") else "<="
        verdict = "ok" if self.passed else "FAILED"
        return f"{verdict}: {self.subject} {self.gate}: {value} (needs {relation} {self.threshold})"


class NoGatedModelError(ValueError):
    """--gate was asked for, but none of the evaluated models is one the gates apply to."""


def check_gates(results: dict, gates: GateSettings, models: list[str] | None = None) -> list[GateResult]:
    """Check every configured threshold; a metric that was not measured fails its gate.

    ``models`` overrides ``gates.models`` (promotion gates the challenger whatever the config lists).
    """
    gated = gated_models(list(results["models"]), gates, models)
    checks = []
    for name in gated:
        values = _gate_values(results["models"][name])
        for gate, metric in MODEL_GATES.items():
            threshold = getattr(gates, gate)
            if threshold is not None:
                checks.append(_check(name, gate, threshold, values[metric]))
    if gates.min_crisis_recall is not None:
        safety = results.get("safety", {})
        # the lowest of the overall and per-split (dev, held-out) recalls: a rule tuned on dev must hold elsewhere
        recalls = [safety["recall"], *(s["recall"] for s in safety.get("splits", {}).values())] \
            if safety.get("available") else []
        recall = min(recalls) if recalls else None
        checks.append(_check("crisis screen", "min_crisis_recall", gates.min_crisis_recall, recall))
    return checks


def gated_models(evaluated: list[str], gates: GateSettings, models: list[str] | None = None) -> list[str]:
    """The evaluated models the gates apply to; an error when there are none (a gate must check something)."""
    wanted = models or gates.models or evaluated
    gated = [m for m in evaluated if m in wanted]
    if not gated:
        raise NoGatedModelError(f"none of the evaluated models ({', '.join(evaluated)}) is gated; "
                                f"the gates apply to {', '.join(wanted)}")
    return gated


def _gate_values(model: dict) -> dict[str, float | None]:
    flip_rates = [v["flip_rate"] for v in model.get("robustness", {}).values() if v["flip_rate"] is not None]
    return {"accuracy": model["accuracy"], "macro_f1": model["macro_f1"], "ece": model["ece"],
            "error_rate": model["errors"]["rate"], "flip_rate": max(flip_rates) if flip_rates else None}


def _check(subject: str, gate: str, threshold: float, value: float | None) -> GateResult:
    if value is None:
        return GateResult(subject, gate, threshold, None, False)
    passed = value >= threshold if gate.startswith("min_") else value <= threshold
    return GateResult(subject, gate, threshold, value, passed)


def as_dicts(checks: list[GateResult]) -> list[dict]:
    """JSON-ready gate results."""
    return [{**asdict(c), "message": c.message} for c in checks]
