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

import argparse
import logging
import shlex
import sys
from pathlib import Path

from evals import promote
from evals.config import DEFAULT_CONFIG, EvalConfig, EvalConfigError, load_eval_config
from evals.dataset import EvalDataset, load_eval_datasets
from evals.gates import NoGatedModelError, gated_models
from evals.harness import HarnessOptions, SetEvaluation, default_output_dir, publish, run_harness
from evals.models import uses_registry
from evals.report import aligned, console_table, multi_set_rows
from llm.classifier import ClassifierError
from llm.datasets import DatasetError
from llm.registry import configure_mlflow

USER_ERRORS = (EvalConfigError, DatasetError, ClassifierError, NoGatedModelError, promote.PromotionError)


def _common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=DEFAULT_CONFIG, help="eval recipe (default: %(default)s)")
    parser.add_argument("--split", choices=["train", "validation", "test"],
                        help="dair-ai/emotion split (config default), when no --dataset is given")
    parser.add_argument("--dataset", action="append", default=[], metavar="NAME_OR_PATH",
                        help="a named set (dair-ai-test, goemotions6-validation, journal-dev, ...) or a JSONL file "
                             "of 'text' and 'label_text' rows; repeat it (or separate with commas) for several")
    parser.add_argument("--limit", type=int, help="evaluate only the first N texts")
    parser.add_argument("--output", type=Path, help="report directory (default: reports/<timestamp>-<split>)")
    parser.add_argument("--no-tracking", action="store_true", help="do not log the run to MLflow")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def _evaluate_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evals", description="Evaluate emotion classifiers.",
                                     epilog="Promotion: python -m evals promote --help")
    _common_arguments(parser)
    parser.add_argument("--models", help="comma-separated model names from the config (default: its default_models)")
    parser.add_argument("--gate", action="store_true", help="check the config's gates; exit 1 if one fails")
    return parser


def _promote_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evals promote",
                                     description="Evaluate a registry challenger against the champion; move "
                                                 "the champion alias only if the challenger passes the gates and wins.")
    _common_arguments(parser)
    parser.add_argument("--name", required=True, help="registered model, e.g. emotion-llm or emotion-baseline")
    parser.add_argument("--challenger", default=promote.CHALLENGER, help="challenger alias (default: %(default)s)")
    parser.add_argument("--champion", default=promote.CHAMPION, help="champion alias (default: %(default)s)")
    return parser


def _datasets(args: argparse.Namespace, config: EvalConfig) -> list[EvalDataset]:
    references = [part.strip() for value in args.dataset for part in value.split(",") if part.strip()]
    return load_eval_datasets(references or config.dataset.sets, args.split or config.dataset.split,
                              config.dataset.source, args.limit)


def _options(args: argparse.Namespace, datasets: list[EvalDataset], argv: list[str], **extra) -> HarnessOptions:
    return HarnessOptions(output=args.output or default_output_dir(datasets),
                          command=shlex.join(["python", "-m", "evals", *argv]), track=not args.no_tracking,
                          progress=not args.no_progress, **extra)


def evaluate_command(argv: list[str]) -> int:
    """Evaluate the selected models; with --gate, exit 1 when a gated model misses a threshold."""
    args = _evaluate_parser().parse_args(argv)
    config = load_eval_config(args.config)
    specs = config.select([n.strip() for n in args.models.split(",") if n.strip()] if args.models else None)
    if args.gate:
        gated_models(list(specs), config.gates)
    datasets = _datasets(args, config)
    if any(uses_registry(spec) for spec in specs.values()):
        configure_mlflow(config.tracking.tracking_uri)
    options = _options(args, datasets, argv, gate=args.gate)
    evaluations = run_harness(config, specs, datasets, options)
    run_ids = publish(evaluations, config, options)
    _print_summary(evaluations, options.output, run_ids)
    return 1 if args.gate and not all(e.results["gates"]["passed"] for e in evaluations) else 0


def promote_command(argv: list[str]) -> int:
    """Champion/challenger evaluation and alias move; exit 0 when promoted, 1 when not."""
    args = _promote_parser().parse_args(argv)
    config = load_eval_config(args.config)
    versions = promote.resolve_versions(args.name, args.challenger, args.champion, config.tracking.tracking_uri)
    specs = promote.promotion_specs(config, versions)
    datasets = _datasets(args, config)
    if len(datasets) != 1:
        raise EvalConfigError("promotion decides on one dataset: give at most one --dataset")
    options = _options(args, datasets, ["promote", *argv], gate=True, gate_models=[promote.CHALLENGER])
    [evaluation] = run_harness(config, specs, datasets, options)
    decision = promote.decide(evaluation.results, versions, config)
    evaluation.results["promotion"] = promote.as_dict(decision, versions, args.challenger, args.champion)
    run_ids = publish([evaluation], config, options)
    promote.move_alias(versions, args.champion, decision, config.tracking.tracking_uri)
    _print_summary([evaluation], options.output, run_ids)
    verdict = (f"promoted {args.name} version {decision.challenger_version} to @{args.champion}"
               if decision.promoted else f"kept @{args.champion} (version {decision.champion_version})")
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
    """Dispatch to evaluation or promotion; user errors print one line and exit 2."""
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("evals").setLevel(logging.INFO)
    try:
        if argv[:1] == ["promote"]:
            return promote_command(argv[1:])
        return evaluate_command(argv)
    except USER_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
