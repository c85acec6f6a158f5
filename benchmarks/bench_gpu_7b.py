"""A 7B-shaped LoRA run on one GPU: random weights from the shipped Qwen2.5-7B config, the real entry points.

    python -m benchmarks.bench_gpu_7b [--recipe configs/finetune/qwen2.5-7b-lora-zero2.yaml] [--stages 3 2]
        [--steps 20] [--texts PATH.jsonl] [--tokenizer DIR] [--tiny]

1. Builds Qwen2.5-7B-Instruct's architecture (``configs/hub/Qwen/Qwen2.5-7B-Instruct/config.json``, nothing
   downloaded) with random bf16 weights and saves it with the embedded SmolLM2 tokenizer (``--tokenizer``: a
   directory holding it, for a GPU machine without the embedded model; ChatML like Qwen's, and its ids fit
   Qwen's embedding), so every entry point can load it like any local model.
2. For each ZeRO stage: ``deepspeed --num_gpus 1 -m finetune --config RECIPE model=<that dir>
   deepspeed=deepspeed/zero<stage>.json training.max_steps=N`` on the project's journal train set (it ships in
   the repository; the recipe's dair-ai/GoEmotions mix needs data the GPU machine may not have). Reads
   tokens/s and peak GPU memory from the run's ``train_summary.json`` and sets them beside
   ``finetune.plan``'s estimate for the same recipe, stage and GPU count.
3. The same model through the transformers classifier (fast path, bf16, batch 64): texts/s on the dair-ai
   test texts (``--texts``, default ``$EMOAI_DATA_DIR/test.jsonl``; else the journal dev set). With random
   weights accuracy is meaningless and is not reported.

``--tiny`` shrinks the architecture to two small layers so the whole script can be checked on a CPU (the
DeepSpeed launcher then runs one CPU process). Prints a markdown table; writes JSON under reports/bench/.

A GPU machine without the project's environment gets what it lacks from ``--prepare DIR``, run on the CPU
machine first: the tokenizer, the dair-ai test texts and DeepSpeed's wheels (about 3 MB). Then, there:

    pip install --no-index --find-links DIR/wheels deepspeed
    python -m benchmarks.bench_gpu_7b --tokenizer DIR/tokenizer --texts DIR/dair-ai-test.jsonl
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from finetune.config import FinetuneConfig, load_recipe
from finetune.plan import architecture, plan_training
from llm.backends.transformers_backend import TransformersClassifier
from llm.config import ModelConfig
from llm.datasets import DatasetError, load_journal, load_split
from llm.io import read_jsonl
from llm.sources import DEFAULT_MODEL, resolve_model_source

REPORT_DIR = Path("reports/bench")
TINY = {"num_hidden_layers": 2, "hidden_size": 256, "intermediate_size": 512, "num_attention_heads": 4,
        "num_key_value_heads": 2}


def random_model_dir(recipe: FinetuneConfig, directory: Path, device: torch.device, tiny: bool,
                     tokenizer: str) -> Path:
    """The recipe's architecture with random bf16 weights and a ChatML tokenizer, saved in ``directory``."""
    config = architecture(recipe.model)
    if tiny:
        config.update(TINY)
        if getattr(config, "layer_types", None):
            config.layer_types = config.layer_types[: TINY["num_hidden_layers"]]
    with device:
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.save_pretrained(directory)
    AutoTokenizer.from_pretrained(tokenizer).save_pretrained(directory)
    del model
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return directory


def run_stage(recipe_path: str, model_dir: Path, stage: int, steps: int, output: Path) -> dict:
    """One DeepSpeed-launched fine-tuning run; its summary (tokens/s, peak GPU memory) and wall time."""
    overrides = [f"model={model_dir}", f"deepspeed=deepspeed/zero{stage}.json", f"training.max_steps={steps}",
                 f"training.eval_every_steps={steps}", f"training.save_every_steps={steps}",
                 "training.log_every_steps=5", "data.mix=[{dataset: journal, repeat: 1}]",
                 "data.validation=[journal-dev]", "tracking.enabled=false", f"output_dir={output}"]
    gpus = max(torch.cuda.device_count(), 1)
    command = [shutil.which("deepspeed") or "deepspeed", "--num_gpus", str(gpus), "--module", "finetune",
               "--config", recipe_path, *overrides]
    started = time.perf_counter()
    subprocess.run(command, check=True, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    summary = json.loads((output / "train_summary.json").read_text())
    return {"zero_stage": stage, "gpus": gpus, "steps": summary["step"], "wall_s": round(time.perf_counter() - started),
            "tokens_per_s": round(summary["train_tokens"] / summary["train_seconds"]),
            "peak_gpu_memory_gib": summary.get("peak_gpu_memory_gib"), "overrides": overrides}


def planned(recipe_path: str, overrides: list[str], gpus: int, gpu_memory_gib: float) -> dict:
    """finetune.plan's estimate for the run's own recipe, stage and GPU count."""
    plan = plan_training(load_recipe(FinetuneConfig, recipe_path, overrides), gpus, gpu_memory_gib)
    return {"plan_total_gib": plan.total_gib, "plan_model_states_gib": plan.model_states_gib,
            "plan_activations_gib": plan.activations_gib, "trainable_params": plan.trainable_params,
            "total_params": plan.total_params}


def classify_rate(model_dir: Path, texts: list[str], device: str) -> float:
    """Texts/s of label scoring with the random-weight model (fast path, bf16, batch 64), after a warm-up."""
    classifier = TransformersClassifier(ModelConfig(base_model=str(model_dir), adapter=None, dtype="bfloat16",
                                                    device=device, batch_size=64))
    classifier.predict(texts[:64])
    if device == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    classifier.predict(texts)
    if device == "cuda":
        torch.cuda.synchronize()
    return len(texts) / (time.perf_counter() - started)


def dair_texts(path: str | None) -> tuple[str, list[str]]:
    """The texts to classify: a JSONL file with a text field, else dair-ai's test split, else journal dev."""
    if path:
        return path, [row["text"] for row in read_jsonl(path, ("text",))]
    try:
        return "dair-ai test", [example.text for example in load_split("test")]
    except DatasetError:  # no local copy and no hub: the journal set ships in the repository
        return "journal dev", [example.text for example in load_journal("dev")]


DEEPSPEED_WHEELS = ["hjson", "py-cpuinfo", "ninja", "msgpack", "einops"]


def prepare(directory: Path) -> None:
    """Fill ``directory`` with what a bare GPU machine needs for this script (see the module docstring)."""
    from importlib.metadata import version

    directory.mkdir(parents=True, exist_ok=True)
    AutoTokenizer.from_pretrained(resolve_model_source(DEFAULT_MODEL)).save_pretrained(directory / "tokenizer")
    source, texts = dair_texts(None)
    with (directory / "dair-ai-test.jsonl").open("w") as out:
        out.writelines(json.dumps({"text": text}) + "\n" for text in texts)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(directory / "wheels"),
                    f"deepspeed=={version('deepspeed')}", *DEEPSPEED_WHEELS], check=True)
    print(f"wrote {directory}: tokenizer, {len(texts)} texts ({source}), wheels")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", default="configs/finetune/qwen2.5-7b-lora-zero2.yaml")
    parser.add_argument("--stages", type=int, nargs="+", default=[3, 2], help="ZeRO stages to run, in order")
    parser.add_argument("--steps", type=int, default=20, help="optimizer steps per run")
    parser.add_argument("--texts", help="JSONL with a text field for the classification rate")
    parser.add_argument("--tokenizer", help="tokenizer directory (default: the embedded SmolLM2's)")
    parser.add_argument("--tiny", action="store_true", help="a two-layer model: check the script on a CPU")
    parser.add_argument("--prepare", type=Path, metavar="DIR", help="only fill DIR for a bare GPU machine")
    args = parser.parse_args(argv)
    if args.prepare:
        prepare(args.prepare)
        return
    cuda = torch.cuda.is_available()
    if not cuda and not args.tiny:
        raise SystemExit("bench_gpu_7b needs a CUDA GPU (or --tiny, to check the script on a CPU)")
    device = torch.device("cuda" if cuda else "cpu")
    gpu_memory = torch.cuda.get_device_properties(0).total_memory / 2**30 if cuda else 0.0
    recipe = load_recipe(FinetuneConfig, args.recipe)
    report = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "recipe": args.recipe, "tiny": args.tiny,
              "gpu": torch.cuda.get_device_name(0) if cuda else "cpu", "gpu_memory_gib": round(gpu_memory, 1),
              "torch": torch.__version__, "runs": []}
    with tempfile.TemporaryDirectory(prefix="emoai-7b-") as tmp:
        model_dir = random_model_dir(recipe, Path(tmp) / "model", device, args.tiny,
                                     args.tokenizer or resolve_model_source(DEFAULT_MODEL))
        for stage in args.stages:
            try:
                run = run_stage(args.recipe, model_dir, stage, args.steps, Path(tmp) / f"zero{stage}")
            except subprocess.CalledProcessError as error:  # e.g. ZeRO-2 does not fit: say so, go on
                report["runs"].append({"zero_stage": stage, "error": f"exit status {error.returncode}"})
                continue
            run.update(planned(args.recipe, run.pop("overrides"), run["gpus"], gpu_memory))
            report["runs"].append(run)
            print(json.dumps(run), flush=True)
        source, texts = dair_texts(args.texts)
        report["classify"] = {"texts": len(texts), "source": source, "batch_size": 64,
                              "texts_per_s": round(classify_rate(model_dir, texts, device.type), 1)}
    print(f"\n{report['gpu']} ({report['gpu_memory_gib']} GiB), torch {report['torch']}, recipe {args.recipe}"
          f"{' (tiny shape)' if args.tiny else ''}\n")
    print("| ZeRO stage | steps | tokens/s | peak GPU memory (GiB) | plan: states + activations = total (GiB) |")
    print("| --- | ---: | ---: | ---: | --- |")
    for run in report["runs"]:
        if "error" in run:
            print(f"| {run['zero_stage']} | failed: {run['error']} | | | |")
            continue
        print(f"| {run['zero_stage']} | {run['steps']} | {run['tokens_per_s']} | {run['peak_gpu_memory_gib']} | "
              f"{run['plan_model_states_gib']} + {run['plan_activations_gib']} = {run['plan_total_gib']} |")
    rate = report["classify"]
    print(f"\nlabel scoring, batch 64, {rate['texts']} texts ({rate['source']}): {rate['texts_per_s']} texts/s "
          "(random weights: accuracy is meaningless and not reported)")
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    path = REPORT_DIR / f"gpu-7b-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"wrote {path}")
    sys.exit(0 if all("error" not in run for run in report["runs"]) else 1)


if __name__ == "__main__":
    main()
