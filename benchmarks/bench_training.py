"""Training throughput of the SmolLM2 LoRA recipe: single process vs 2-process ZeRO-2 vs ZeRO-3.

`EMOAI_DATA_DIR=../shared/data/emotion python -m benchmarks.bench_training [--steps 12] [--micro-batch 8]`

Each mode runs the real recipe through its real launcher (`python -m finetune` or
`deepspeed --num_gpus 2 --module finetune`) for the same number of optimizer steps and the same
global batch; tokens/s counts non-padding tokens over training time (validation and checkpoints excluded).
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

RECIPE = "configs/finetune/smollm2-135m-lora-dair.yaml"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_mode(name: str, zero: str | None, steps: int, global_batch: int, workdir: Path) -> dict:
    """Train ``steps`` steps in one mode and return its throughput summary."""
    processes = 2 if zero else 1
    output = workdir / name
    overrides = [f"output_dir={output}", f"training.max_steps={steps}",
                 f"training.micro_batch_size={global_batch // processes}", "training.log_every_steps=1",
                 f"training.eval_every_steps={steps * 10}", f"training.save_every_steps={steps * 10}",
                 "data.eval_limit=32", "tracking.enabled=false"]
    if zero:
        launcher = [str(Path(sys.executable).parent / "deepspeed"), "--num_gpus", "2", "--master_port",
                    str(_free_port()), "--module", "finetune"]
        overrides.append(f"deepspeed={zero}")
    else:
        launcher = [sys.executable, "-m", "finetune"]
    result = subprocess.run([*launcher, "--config", RECIPE, *overrides], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{name} failed:\n{result.stderr[-3000:]}")
    summary = json.loads((output / "train_summary.json").read_text())
    return {"mode": name, "processes": processes, "steps": summary["step"],
            "tokens_per_s": summary["train_tokens"] / summary["train_seconds"],
            "seconds_per_step": summary["train_seconds"] / summary["step"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--global-batch", type=int, default=16)
    args = parser.parse_args()
    if not os.environ.get("EMOAI_DATA_DIR"):
        raise SystemExit("set EMOAI_DATA_DIR (e.g. ../shared/data/emotion)")
    modes = [("single process", None), ("2 processes ZeRO-2", "deepspeed/zero2.json"),
             ("2 processes ZeRO-3", "deepspeed/zero3.json")]
    with tempfile.TemporaryDirectory() as tmp:
        rows = [run_mode(name, zero, args.steps, args.global_batch, Path(tmp)) for name, zero in modes]
    base = rows[0]["tokens_per_s"]
    print("| mode | processes | tokens/s | s/step | vs single |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(f"| {row['mode']} | {row['processes']} | {row['tokens_per_s']:.0f} | {row['seconds_per_step']:.2f} "
              f"| {row['tokens_per_s'] / base:.2f}x |")
    out = Path("reports/bench")
    out.mkdir(parents=True, exist_ok=True)
    (out / "training.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
