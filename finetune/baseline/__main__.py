"""`python -m finetune.baseline --config configs/finetune/baseline-minilm.yaml [key=value ...]`."""

import sys

from finetune.baseline.config import BaselineConfig
from finetune.config import recipe_app
from llm.cli_support import examples, run

EXAMPLES = examples(
    "  EMOAI_DATA_DIR=../shared/data/emotion python -m finetune.baseline --config "
    "configs/finetune/baseline-minilm.yaml",
    "  python -m finetune.baseline --config configs/finetune/baseline-minilm-dair.yaml output_dir=outputs/baseline-x")


def train(config: BaselineConfig) -> str:
    """Train the baseline; returns the summary line."""
    from finetune.baseline.train import train_baseline

    best = train_baseline(config)["best"]
    return (f"done: best validation accuracy {best['accuracy']:.4f} macro-F1 {best['macro_f1']:.4f} "
            f"(step {best['step']}); model in {config.output_dir}/best")


app = recipe_app(BaselineConfig, "Fine-tune the encoder baseline (a sentence encoder with a six-way head) "
                                 "from a recipe.", EXAMPLES, train)


def main(argv: list[str] | None = None) -> int:
    """Validate the recipe and train the baseline; bad configs print one line and exit 2."""
    return run(app, argv, "python -m finetune.baseline")


if __name__ == "__main__":
    sys.exit(main())
