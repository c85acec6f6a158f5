"""`python -m finetune --config configs/finetune/<recipe>.yaml [key=value | --key value ...]`."""

import sys

from finetune.config import FinetuneConfig, run_recipe_cli

USAGE = "usage: python -m finetune --config RECIPE.yaml [section.key=value | --section.key value ...]"


def train(config: FinetuneConfig) -> str:
    """Run the LoRA fine-tune; returns the summary line."""
    from finetune.train import run_training

    state = run_training(config)
    return (f"done: {state['step']} steps, best validation macro-F1 {state['best_macro_f1']:.4f} "
            f"at step {state['best_step']}; adapter in {config.output_dir}/best")


def main(argv: list[str] | None = None) -> int:
    """Validate the recipe and train; config errors print one line and exit 2."""
    return run_recipe_cli(FinetuneConfig, argv, USAGE, train)


if __name__ == "__main__":
    sys.exit(main())
