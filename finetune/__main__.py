"""`python -m finetune --config configs/finetune/<recipe>.yaml [key=value | --key value ...]`."""

import logging
import sys

from finetune.config import ConfigError, FinetuneConfig, load_config

USAGE = "usage: python -m finetune --config RECIPE.yaml [section.key=value | --section.key value ...]"


def main(argv: list[str] | None = None) -> int:
    """Validate the recipe and train; config errors print one line and exit 2."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "-h" in args or "--help" in args:
        print(USAGE)
        return 0
    try:
        config = load_config(FinetuneConfig, args)
    except (ConfigError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    from finetune.train import run_training

    state = run_training(config)
    print(f"done: {state['step']} steps, best validation macro-F1 {state['best_macro_f1']:.4f} "
          f"at step {state['best_step']}; adapter in {config.output_dir}/best")
    return 0


if __name__ == "__main__":
    sys.exit(main())
