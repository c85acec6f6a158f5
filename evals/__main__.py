"""`python -m evals`: evaluate named models and write metrics.json, predictions.jsonl, report.md and plots.

    python -m evals [--config configs/evals/default.yaml] [--models baseline,llm-lora] [--split test]
                    [--dataset NAME_OR_PATH ...] [--limit N] [--output DIR] [--gate] [--no-tracking]
    python -m evals --dataset goemotions6-validation --dataset journal-dev   # several sets, one run
    python -m evals promote --name emotion-llm [--challenger challenger] [--champion champion] [...]

A dataset is a named split (dair-ai-test, dair-ai-validation, goemotions6-validation, journal-dev, ...) or a
JSONL file of {"text", "label_text"} rows. Several sets give one report folder each plus summary.md.

Exit codes: 0 done (gates passed / challenger promoted), 1 a gate failed / challenger not promoted,
2 bad input (config, dataset, model files, registry).
"""

import logging
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import typer

from evals import promote
from evals.config import DEFAULT_CONFIG, EvalConfig, EvalConfigError, load_eval_config
from evals.dataset import EvalDataset, load_eval_datasets
from evals.gates import NoGatedModelError, gated_models
from evals.harness import HarnessOptions, SetEvaluation, default_output_dir, publish, run_harness
from evals.models import uses_registry
from evals.report import aligned, console_table, multi_set_rows
from llm.classifier import ClassifierError
from llm.cli_support import examples, exit_code, new_app
from llm.datasets import DatasetError
from llm.registry import configure_mlflow

USER_ERRORS = (EvalConfigError, DatasetError, ClassifierError, NoGatedModelError, promote.PromotionError)


EXAMPLES = examples(
    "  python -m evals",
    "  python -m evals --config configs/evals/default.yaml --models baseline,llm-lora --split test --gate",
    "  python -m evals --dataset goemotions6-validation --dataset journal-dev --limit 200 --no-tracking",
    "  python -m evals --dataset my_entries.jsonl --output reports/mine",
    "  python -m evals promote --name emotion-llm --challenger challenger --champion champion",
    note="A dataset is a named split (dair-ai-test, dair-ai-validation, goemotions6-validation, journal-dev, ...) "
         "or a JSONL file of {\"text\", \"label_text\"} rows. Exit codes: 0 done (gates passed / challenger "
         "promoted), 1 a gate failed / challenger not promoted, 2 bad input (config, dataset, model files, "
         "registry).")
PROMOTE_EXAMPLES = examples(
    "  python -m evals promote --name emotion-llm",
    "  python -m evals promote --name emotion-baseline --config configs/evals/default.yaml --dataset "
    "dair-ai-validation --no-progress")

ConfigOption = Annotated[str, typer.Option(metavar="RECIPE.yaml", help="eval recipe")]
SplitOption = Annotated[Literal["train", "validation", "test"] | None, typer.Option(
    help="dair-ai/emotion split (config default), when no --dataset is given")]
DatasetOption = Annotated[list[str] | None, typer.Option(
    metavar="NAME_OR_PATH", help="a named set (dair-ai-test, goemotions6-validation, journal-dev, ...) or a JSONL "
                                 "file of 'text' and 'label_text' rows; repeat it (or separate with commas) for several")]
LimitOption = Annotated[int | None, typer.Option(metavar="N", help="evaluate only the first N texts")]
OutputOption = Annotated[Path | None, typer.Option(metavar="DIR", help="report directory (default: reports/<UTC timestamp>-<set>, or -multi for several sets)")]
NoTrackingOption = Annotated[bool, typer.Option("--no-tracking", help="do not log the run to MLflow")]
NoProgressOption = Annotated[bool, typer.Option("--no-progress", help="hide progress bars")]

app = new_app("Evaluate emotion classifiers: metrics.json, predictions.jsonl, report.md and plots per dataset.",
              EXAMPLES, invoke_without_command=True)


@dataclass(frozen=True)
class _Common:
    """The options evaluation and promotion share, and the command line as typed (for the report)."""

    config: str
    split: str | None
    dataset: list[str]
    limit: int | None
    output: Path | None
    track: bool
    progress: bool
    command: list[str]

    def datasets(self, config: EvalConfig) -> list[EvalDataset]:
        references = [part.strip() for value in self.dataset for part in value.split(",") if part.strip()]
        return load_eval_datasets(references or config.dataset.sets, self.split or config.dataset.split,
                                  config.dataset.source, self.limit)

    def options(self, datasets: list[EvalDataset], **extra) -> HarnessOptions:
        return HarnessOptions(output=self.output or default_output_dir(datasets),
                              command=shlex.join(["python", "-m", "evals", *self.command]), track=self.track,
                              progress=self.progress, **extra)


def _command_line(ctx: typer.Context) -> list[str]:
    """The arguments as typed: ``main`` passes them in; else (an in-process runner) sys.argv's."""
    return list(ctx.obj) if isinstance(ctx.obj, list) else sys.argv[1:]


@app.callback()
def evaluate(ctx: typer.Context, config: ConfigOption = DEFAULT_CONFIG, split: SplitOption = None,
             dataset: DatasetOption = None, limit: LimitOption = None, output: OutputOption = None,
             no_tracking: NoTrackingOption = False, no_progress: NoProgressOption = False,
             models: Annotated[str | None, typer.Option(metavar="NAMES", help="comma-separated model names from the config "
                                                             "(default: its default_models)")] = None,
             gate: Annotated[bool, typer.Option("--gate", help="check the config's gates; exit 1 if one fails")]
             = False) -> None:
    """Evaluate the selected models; with --gate, exit 1 when a gated model misses a threshold.

    Promotion of a registry challenger: python -m evals promote --help
    """
    if ctx.invoked_subcommand is not None:
        return
    common = _Common(config, split, dataset or [], limit, output, not no_tracking, not no_progress,
                     _command_line(ctx))
    raise typer.Exit(_guarded(lambda: evaluate_command(common, models, gate)))


@app.command("promote", epilog=PROMOTE_EXAMPLES)
def promote_cli(ctx: typer.Context,
             name: Annotated[str, typer.Option(metavar="NAME", help="registered model, e.g. emotion-llm or emotion-baseline")],
             challenger: Annotated[str, typer.Option(help="challenger alias")] = promote.CHALLENGER,
             champion: Annotated[str, typer.Option(help="champion alias")] = promote.CHAMPION,
             config: ConfigOption = DEFAULT_CONFIG, split: SplitOption = None, dataset: DatasetOption = None,
             limit: LimitOption = None, output: OutputOption = None, no_tracking: NoTrackingOption = False,
             no_progress: NoProgressOption = False) -> None:
    """Evaluate a registry challenger against the champion; move the champion alias only if the challenger
    passes the gates and wins (exit 0 promoted, 1 not)."""
    common = _Common(config, split, dataset or [], limit, output, not no_tracking, not no_progress,
                     _command_line(ctx))
    raise typer.Exit(_guarded(lambda: promote_command(common, name, challenger, champion)))


def _guarded(command) -> int:
    """Run a command; user errors print one line and exit 2."""
    try:
        return command()
    except USER_ERRORS as error:
        typer.echo(f"error: {error}", err=True)
        return 2


def evaluate_command(common: _Common, models: str | None, gate: bool) -> int:
    """Evaluate the selected models; with gate, exit 1 when a gated model misses a threshold."""
    config = load_eval_config(common.config)
    specs = config.select([n.strip() for n in models.split(",") if n.strip()] if models else None)
    if gate:
        gated_models(list(specs), config.gates)
    datasets = common.datasets(config)
    if any(uses_registry(spec) for spec in specs.values()):
        configure_mlflow(config.tracking.tracking_uri)
    options = common.options(datasets, gate=gate)
    evaluations = run_harness(config, specs, datasets, options)
    run_ids = publish(evaluations, config, options)
    _print_summary(evaluations, options.output, run_ids)
    return 1 if gate and not all(e.results["gates"]["passed"] for e in evaluations) else 0


def promote_command(common: _Common, name: str, challenger: str, champion: str) -> int:
    """Champion/challenger evaluation and alias move; exit 0 when promoted, 1 when not."""
    config = load_eval_config(common.config)
    versions = promote.resolve_versions(name, challenger, champion, config.tracking.tracking_uri)
    specs = promote.promotion_specs(config, versions)
    datasets = common.datasets(config)
    if len(datasets) != 1:
        raise EvalConfigError("promotion decides on one dataset: give at most one --dataset")
    options = common.options(datasets, gate=True, gate_models=[promote.CHALLENGER])
    [evaluation] = run_harness(config, specs, datasets, options)
    decision = promote.decide(evaluation.results, versions, config)
    evaluation.results["promotion"] = promote.as_dict(decision, versions, challenger, champion)
    run_ids = publish([evaluation], config, options)
    promote.move_alias(versions, champion, decision, config.tracking.tracking_uri)
    _print_summary([evaluation], options.output, run_ids)
    verdict = (f"promoted {name} version {decision.challenger_version} to @{champion}"
               if decision.promoted else f"kept @{champion} (version {decision.champion_version})")
    print(f"{verdict}: {decision.reason}")
    return 0 if decision.promoted else 1


def _print_summary(evaluations: list[SetEvaluation], output: Path, run_ids: list[str]) -> None:
    for evaluation in evaluations:
        results = evaluation.results
        data = results["dataset"]
        print(f"\n{data['name']} ({data['split']}, n={data['n']})")
        print(console_table(results))
        for model, m in results["models"].items():
            if m["errors"]["count"]:
                example = m["errors"]["examples"][0] if m["errors"]["examples"] else None
                print(f"! {model} failed on {m['errors']['count']} inputs"
                      + (f", e.g. #{example['index']}: {example['error']}" if example else ""))
        if "gates" in results:
            for check in results["gates"]["checks"]:
                print(f"gate {check['message']}")
            print("gates: " + ("passed" if results["gates"]["passed"] else "FAILED"))
    if len(evaluations) > 1:
        print("\nacross sets")
        print(aligned(multi_set_rows([(e.dataset.label, e.results) for e in evaluations])))
    first = evaluations[0].results
    for section in ("safety", "retrieval"):
        if not first[section]["available"]:
            print(f"{section}: not available ({first[section]['reason']})")
    print(f"reports: {output}" + (f"  (MLflow runs {', '.join(run_ids)})" if run_ids else ""))


def main(argv: list[str] | None = None) -> int:
    """Evaluate, or promote (``promote ...``); user errors print one line and exit 2."""
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("evals").setLevel(logging.INFO)
    try:
        app(args=argv, prog_name="python -m evals", obj=argv)
    except SystemExit as done:
        return exit_code(done.code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
