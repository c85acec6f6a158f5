"""`python -m finetune.baseline --config configs/finetune/baseline-minilm.yaml [key=value ...]`."""

import logging
import sys

from finetune.baseline.config import BaselineConfig
from finetune.config import ConfigError, load_config


def main(argv: list[str] | None = None) -> int:
    """Validate the recipe and train the baseline; bad configs print one line and exit 2."""
    try:
        config = load_config(BaselineConfig, list(sys.argv[1:] if argv is None else argv))
    except (ConfigError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    from finetune.baseline.train import train_baseline

    summary = train_baseline(config)
    best = summary["best"]
    print(f"done: best validation accuracy {best['accuracy']:.4f} macro-F1 {best['macro_f1']:.4f} "
          f"(step {best['step']}); model in {config.output_dir}/best")
    return 0


if __name__ == "__main__":
    sys.exit(main())
