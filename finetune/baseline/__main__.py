"""`python -m finetune.baseline --config configs/finetune/baseline-minilm.yaml [key=value ...]`."""

import sys

from finetune.baseline.config import BaselineConfig
from finetune.config import run_recipe_cli

USAGE = "usage: python -m finetune.baseline --config configs/finetune/baseline-minilm.yaml [key=value ...]"


def train(config: BaselineConfig) -> str:
    """Train the baseline; returns the summary line."""
    from finetune.baseline.train import train_baseline

    best = train_baseline(config)["best"]
    return (f"done: best validation accuracy {best['accuracy']:.4f} macro-F1 {best['macro_f1']:.4f} "
            f"(step {best['step']}); model in {config.output_dir}/best")


def main(argv: list[str] | None = None) -> int:
    """Validate the recipe and train the baseline; bad configs print one line and exit 2."""
    return run_recipe_cli(BaselineConfig, argv, USAGE, train)


if __name__ == "__main__":
    sys.exit(main())
