"""`python -m finetune --config configs/finetune/<recipe>.yaml [key=value | --key value ...]`."""

import logging
import sys

from finetune.config import ConfigError, load_finetune_config

USAGE = "usage: python -m finetune --config RECIPE.yaml [section.key=value | --section.key value ...]"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, validate the recipe, train; errors print one line and exit non-zero."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "-h" in args or "--help" in args:
        print(USAGE)
        return 0
    config_path = None
    if "--config" in args:
        i = args.index("--config")
        if i + 1 >= len(args):
            print("error: --config needs a file", file=sys.stderr)
            return 2
        config_path = args[i + 1]
        del args[i:i + 2]
    args = [a for a in args if not a.startswith("--local_rank")]  # added by the deepspeed launcher
    try:
        config = load_finetune_config(config_path, args)
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
