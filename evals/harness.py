"""One full evaluation: score the models, add the system checks and gates; then write the reports and log them."""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from evals import gates as gate_checks
from evals.config import EvalConfig, ModelSpec
from evals.dataset import EvalDataset
from evals.evaluate import ModelScores, evaluate_models, summarise
from evals.report import write_reports
from evals.system_checks import crisis_screen, retrieval_quality
from evals.tracking import log_evaluation


@dataclass(frozen=True)
class HarnessOptions:
    """How this run behaves beyond the config: where it writes, whether it gates, tracks and shows progress."""

    output: Path
    command: str
    gate: bool = False
    gate_models: list[str] | None = None
    track: bool = True
    progress: bool = True


def default_output_dir(dataset: EvalDataset) -> Path:
    """reports/<UTC timestamp>-<split or file stem>."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    label = dataset.split if dataset.split != "custom" else Path(dataset.name).stem
    return Path("reports") / f"{stamp}-{label}"


def run_harness(config: EvalConfig, specs: dict[str, ModelSpec], dataset: EvalDataset,
                options: HarnessOptions) -> tuple[dict, list[ModelScores]]:
    """Score the models and add the system checks and (with ``options.gate``) the gate results."""
    scores = evaluate_models(specs, dataset, config, progress=options.progress)
    results = summarise(dataset, scores, config)
    results["safety"] = crisis_screen(config.system_checks)
    results["retrieval"] = retrieval_quality(config.system_checks)
    if options.gate:
        checks = gate_checks.check_gates(results, config.gates, options.gate_models)
        results["gates"] = {"passed": all(c.passed for c in checks), "checks": gate_checks.as_dicts(checks)}
    results["run"] = {"command": options.command, "created": datetime.now(UTC).isoformat(timespec="seconds"),
                      "seed": config.statistics.seed, "config": config.model_dump(mode="json")}
    return results, scores


def publish(results: dict, dataset: EvalDataset, scores: list[ModelScores], config: EvalConfig,
            options: HarnessOptions) -> str | None:
    """Write every report file and log them to MLflow; returns the MLflow run id (None when not tracked)."""
    write_reports(results, dataset, scores, options.output)
    if options.track and config.tracking.enabled:
        return log_evaluation(results, options.output, config.tracking, run_name=options.output.name)
    return None
