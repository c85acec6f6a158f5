"""`python -m finetune.crisis --config configs/finetune/crisis-minilm.yaml [key=value ...]`."""

import sys

from finetune.config import recipe_app
from finetune.crisis.config import CrisisConfig
from llm.cli_support import examples, run

EXAMPLES = examples(
    "  EMOAI_DATA_DIR=../shared/data/emotion python -m finetune.crisis --config configs/finetune/crisis-minilm.yaml",
    "  python -m finetune.crisis --config configs/finetune/crisis-smollm2.yaml training.batch_size=64")


def train(config: CrisisConfig) -> str:
    """Cross-validate, choose the threshold and train the crisis model; returns the summary line."""
    from finetune.crisis.train import train_crisis_model

    metadata = train_crisis_model(config)
    cv = metadata["cross_validation"]
    return (f"done: {metadata['scoring']} scoring, threshold {metadata['threshold']:.4f} (out-of-fold recall "
            f"{cv['recall']:.3f}, precision {cv['precision']:.3f} on {cv['n']} texts, everyday texts flagged "
            f"{cv['ordinary_flag_rate']:.3f}); model in {config.output_dir}")


app = recipe_app(CrisisConfig, "Train the crisis-screen classifier: cross-validate, choose the threshold, then "
                               "fit on every training text.", EXAMPLES, train)


def main(argv: list[str] | None = None) -> int:
    """Validate the recipe, cross-validate, train the crisis model; bad configs print one line and exit 2."""
    return run(app, argv, "python -m finetune.crisis")


if __name__ == "__main__":
    sys.exit(main())
