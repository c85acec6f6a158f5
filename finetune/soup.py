"""Average the weight updates of several LoRA adapters of one base model (a "model soup" of fine-tunes).

`python -m finetune.soup --adapters outputs/shipped-r1 outputs/shipped-r4 --to outputs/soup-r1-r4`

The average is exact, not a merge of factors: each adapter's update is ``scaling * B @ A``, and stacking
the factors (``A`` by rows, ``B`` by columns, each ``B`` scaled by its adapter's share) gives one adapter
whose update is the mean of theirs. Its rank is the sum of their ranks; nothing else about serving
changes. Modules an adapter saves whole (``modules_to_save``, such as an encoder baseline's six-label head) are
averaged weight by weight, which is the mean of their updates when the runs share a start (seeds of one recipe
continuing one adapter). An encoder baseline's ``baseline.json`` is carried over. Run `python -m finetune.ship` on
an LLM soup for the model card, as for any trained adapter.
"""

import json
import math
import shutil
import sys
from pathlib import Path
from typing import Annotated

import torch
import typer
from safetensors.torch import load_file, save_file

from llm.cli_support import command_settings, examples, fail, new_app, run
from llm.encoder import ADAPTER_METADATA
from llm.loading import adapter_version
from llm.prompt import read_text_style, write_text_style
from llm.text import TextStyle

ADAPTER_WEIGHTS = "adapter_model.safetensors"
ADAPTER_CONFIG = "adapter_config.json"


class SoupError(ValueError):
    """The adapters cannot be averaged; the message says why."""


def lora_scaling(config: dict) -> float:
    """The factor PEFT multiplies ``B @ A`` by: alpha / r, or alpha / sqrt(r) with rsLoRA."""
    return config["lora_alpha"] / (math.sqrt(config["r"]) if config.get("use_rslora") else config["r"])


def _read(adapter: Path) -> tuple[dict, dict[str, torch.Tensor]]:
    if not (adapter / ADAPTER_CONFIG).is_file() or not (adapter / ADAPTER_WEIGHTS).is_file():
        raise SoupError(f"{adapter} is not a LoRA adapter directory (needs {ADAPTER_CONFIG} and {ADAPTER_WEIGHTS})")
    config = json.loads((adapter / ADAPTER_CONFIG).read_text())
    if config.get("peft_type") != "LORA" or config.get("use_dora") or config.get("lora_bias"):
        raise SoupError(f"{adapter}: only plain LoRA adapters (no DoRA or LoRA bias) can be averaged")
    if config.get("rank_pattern") or config.get("alpha_pattern"):
        raise SoupError(f"{adapter}: per-module ranks or alphas are not supported")
    return config, load_file(str(adapter / ADAPTER_WEIGHTS))


def average_adapters(adapters: list[Path], target: Path, weights: list[float] | None = None,
                     text_style: TextStyle | None = None) -> Path:
    """Write into ``target`` one LoRA adapter whose weight update is the (weighted) mean of the ``adapters``'
    updates; ``weights`` (default: equal) must be positive and are normalised to sum to 1.

    The soup reads text in the adapters' text style; adapters of different styles need ``text_style``.
    """
    if len(adapters) < 2:
        raise SoupError("give at least two adapters to average")
    weights = weights or [1.0] * len(adapters)
    if len(weights) != len(adapters) or min(weights) <= 0:
        raise SoupError(f"give one positive weight per adapter, got {weights} for {len(adapters)} adapters")
    shares = [w / sum(weights) for w in weights]
    styles = {read_text_style(adapter) for adapter in adapters}
    if text_style is None and len(styles) > 1:
        raise SoupError(f"the adapters read text in different styles ({', '.join(sorted(styles))}): choose the "
                        "soup's with --text-style")
    configs, tensor_sets = zip(*(_read(adapter) for adapter in adapters), strict=True)
    for name in ("base_model_name_or_path", "task_type", "modules_to_save"):
        if len({json.dumps(config.get(name)) for config in configs}) != 1:
            raise SoupError(f"the adapters differ in {name}: {[config.get(name) for config in configs]}")
    metadata = {(adapter / ADAPTER_METADATA).read_text() if (adapter / ADAPTER_METADATA).is_file() else None
                for adapter in adapters}
    if len(metadata) != 1:
        raise SoupError(f"the adapters' {ADAPTER_METADATA} differ: they belong to different encoders or lengths")
    saved_whole = tuple(f".{module}." for module in configs[0].get("modules_to_save") or ())
    if len({frozenset(tensors) for tensors in tensor_sets}) != 1:
        raise SoupError("the adapters adapt different modules: train them with the same target_modules")
    factors = [lora_scaling(config) * share for config, share in zip(configs, shares, strict=True)]  # each B carries its share
    averaged = {}
    for key in tensor_sets[0]:
        if ".lora_A." in key:
            averaged[key] = torch.cat([tensors[key].float() for tensors in tensor_sets], dim=0)
        elif ".lora_B." in key:
            averaged[key] = torch.cat([tensors[key].float() * factor
                                       for factor, tensors in zip(factors, tensor_sets, strict=True)], dim=1)
        elif any(module in key for module in saved_whole):
            averaged[key] = sum(tensors[key].float() * share for share, tensors in zip(shares, tensor_sets, strict=True))
        else:
            raise SoupError(f"unexpected tensor {key}: only LoRA factors and modules_to_save can be averaged")
    rank = sum(config["r"] for config in configs)
    config = {**configs[0], "r": rank, "lora_alpha": rank, "use_rslora": False}  # scaling 1: B carries it
    dtype = tensor_sets[0][next(iter(tensor_sets[0]))].dtype
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    save_file({key: value.to(dtype).contiguous() for key, value in averaged.items()}, str(target / ADAPTER_WEIGHTS))
    (target / ADAPTER_CONFIG).write_text(json.dumps(config, indent=2))
    parts = [{"path": str(adapter), "version": adapter_version(adapter), "weight": share}
             for adapter, share in zip(adapters, shares, strict=True)]
    (target / "soup.json").write_text(json.dumps({"averaged": parts}, indent=1))
    if (shared_metadata := metadata.pop()) is not None:
        (target / ADAPTER_METADATA).write_text(shared_metadata)
    write_text_style(target, text_style or styles.pop())
    return target


EXAMPLES = examples(
    "  python -m finetune.soup --adapters outputs/shipped-r1 outputs/shipped-r4 --to outputs/soup-r1-r4",
    "  python -m finetune.soup --adapters outputs/shipped-mix-natural outputs/shipped-r3 --weights 0.3 0.7 "
    "--text-style natural --to outputs/soup-natural")
MULTI_VALUE = ("--adapters", "--weights")  # options that take several values: --adapters A B
app = new_app(__doc__.splitlines()[0])


@app.command(help=__doc__.splitlines()[0], epilog=EXAMPLES, context_settings=command_settings())
def soup(adapters: Annotated[list[Path], typer.Option(metavar="DIR...", help="the adapters to average, e.g. "
                                                                         "--adapters A B")],
         to: Annotated[Path, typer.Option(help="where the averaged adapter goes")],
         weights: Annotated[list[float] | None, typer.Option(metavar="W...", help="one per adapter (default: "
                                                                                  "equal)")] = None,
         text_style: Annotated[TextStyle | None, typer.Option(help="needed when the adapters' text styles "
                                                                    "differ")] = None) -> None:
    try:
        average_adapters(adapters, to, weights, text_style)
    except SoupError as error:
        fail(str(error))
    typer.echo(f"averaged {len(adapters)} adapters -> {to}")


def main(argv: list[str] | None = None) -> int:
    """Average; a mismatch between the adapters prints one line and exits 2."""
    return run(app, argv, "python -m finetune.soup", multi_value=MULTI_VALUE)


if __name__ == "__main__":
    sys.exit(main())
