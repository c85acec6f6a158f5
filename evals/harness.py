"""One full evaluation: score the models, add the system checks and gates; then write the reports and log them."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from evals import gates as gate_checks
from evals.config import EvalConfig, ModelSpec
from evals.dataset import EvalDataset
from evals.evaluate import ModelScores, evaluate_models, summarise
from evals.report import write_multi_summary, write_reports
from evals.system_checks import crisis_screen, retrieval_quality
from evals.tracking import log_evaluation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HarnessOptions:
    """How this run behaves beyond the config: where it writes, whether it gates, tracks and shows progress."""

    output: Path
    command: str
    gate: bool = False
    gate_models: list[str] | None = None
    track: bool = True
    progress: bool = True


def default_output_dir(datasets: list[EvalDataset]) -> Path:
    """reports/<UTC timestamp>-<the set's label>, or reports/<UTC timestamp>-multi for several sets."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Path("reports") / f"{stamp}-{datasets[0].label if len(datasets) == 1 else 'multi'}"


@dataclass
class SetEvaluation:
    """The evaluation of one dataset: its metrics.json content, the model scores, and its report folder."""

    dataset: EvalDataset
    results: dict
    scores: list[ModelScores]
    output: Path


def run_harness(config: EvalConfig, specs: dict[str, ModelSpec], datasets: list[EvalDataset],
                options: HarnessOptions) -> list[SetEvaluation]:
    """Score the models on every dataset, add the system checks (run once) and, with ``options.gate``, the gates.

    One dataset reports into ``options.output``; several report into a sub-folder each.
    """
    per_set = evaluate_models(specs, datasets, config, progress=options.progress)
    log.info("checking the crisis screen (%s) and the knowledge-base retrieval",
             config.system_checks.crisis_model or "rules alone")
    system = {"safety": crisis_screen(config.system_checks, options.progress),
              "retrieval": retrieval_quality(config.system_checks)}
    run = {"command": options.command, "created": datetime.now(UTC).isoformat(timespec="seconds"),
           "seed": config.statistics.seed, "config": config.model_dump(mode="json")}
    evaluations = []
    for dataset, scores in zip(datasets, per_set, strict=True):
        results = {**summarise(dataset, scores, config), **system}
        if options.gate:
            checks = gate_checks.check_gates(results, config.gates, options.gate_models)
            results["gates"] = {"passed": all(c.passed for c in checks), "checks": gate_checks.as_dicts(checks)}
        results["run"] = run
        output = options.output if len(datasets) == 1 else options.output / dataset.label
        evaluations.append(SetEvaluation(dataset, results, scores, output))
    return evaluations


def publish(evaluations: list[SetEvaluation], config: EvalConfig, options: HarnessOptions) -> list[str]:
    """Write every report (and, for several sets, the summary across them); log each set to MLflow.

    Returns the MLflow run ids (none when not tracked).
    """
    run_ids = []
    for evaluation in evaluations:
        write_reports(evaluation.results, evaluation.dataset, evaluation.scores, evaluation.output)
        if options.track and config.tracking.enabled:
            run_ids.append(log_evaluation(evaluation.results, evaluation.output, config.tracking,
                                          run_name=f"{options.output.name}/{evaluation.dataset.label}"
                                          if len(evaluations) > 1 else options.output.name))
    if len(evaluations) > 1:
        write_multi_summary([(e.dataset.label, e.results) for e in evaluations], options.output)
    return run_ids
