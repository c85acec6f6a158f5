"""`python -m finetune --config configs/finetune/<recipe>.yaml [key=value ...]`: the LoRA fine-tune."""

import sys

from finetune.config import FinetuneConfig, recipe_app
from llm.cli_support import examples, run

EXAMPLES = examples(
    "  EMOAI_DATA_DIR=../shared/data/emotion python -m finetune --config configs/finetune/smollm2-135m-lora.yaml",
    "  python -m finetune --config configs/finetune/smollm2-135m-lora-dair.yaml training.learning_rate=2e-4 lora.r=32",
    "  python -m finetune --config configs/finetune/smollm2-135m-lora.yaml training.max_steps=200 "
    "tracking.enabled=false",
    "  deepspeed --num_gpus 2 --module finetune --config configs/finetune/smollm2-135m-lora.yaml "
    "deepspeed=deepspeed/zero2.json",
    "  deepspeed --num_gpus 8 -m finetune --config configs/finetune/qwen2.5-7b-lora-zero2.yaml",
    note="Plan a 7-8B recipe first: python -m finetune.plan --help. Training also: .baseline, .crisis; "
         "packaging: .ship, .soup.")


def train(config: FinetuneConfig) -> str:
    """Run the LoRA fine-tune; returns the summary line."""
    from finetune.train import run_training

    state = run_training(config)
    return (f"done: {state['step']} steps, best validation macro-F1 {state['best_macro_f1']:.4f} "
            f"at step {state['best_step']}; adapter in {config.output_dir}/best")


app = recipe_app(FinetuneConfig, "Fine-tune a LoRA adapter on the six emotions from a recipe; one process or "
                                 "DeepSpeed ZeRO across GPUs.", EXAMPLES, train)


def main(argv: list[str] | None = None) -> int:
    """Validate the recipe and train; config errors print one line and exit 2."""
    return run(app, argv, "python -m finetune")


if __name__ == "__main__":
    sys.exit(main())
