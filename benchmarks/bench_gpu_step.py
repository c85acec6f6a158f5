"""Where a LoRA training step's time goes on a GPU: the host (Python and kernel launches) or the GPU itself.

`python -m benchmarks.bench_gpu_step` (needs CUDA; the numbers in docs/benchmarks.md come from this script)

Builds the classifier of `configs/finetune/crisis-smollm2.yaml` (SmolLM2-135M + LoRA on every projection),
times forward + backward + AdamW at batch 16 and 64, with and without bf16 autocast, and prints the profiler's
top operators for three steps: GPU kernel time far below the step time means the loop is host-bound, and a
bigger batch costs almost nothing.
"""

import time

import torch
from peft import get_peft_model
from torch.profiler import ProfilerActivity, profile

from finetune.config import load_recipe
from finetune.crisis.config import CrisisConfig
from llm.safety.model import load_classifier_base

RECIPE = "configs/finetune/crisis-smollm2.yaml"
TEXTS = ["I had a long day at work and I feel tired but okay, maybe tomorrow is better."] * 64


def main() -> None:
    """Print launch latency, ms/step per batch size and precision, and the profiler's tables."""
    if not torch.cuda.is_available():
        raise SystemExit("bench_gpu_step needs a CUDA GPU")
    print("threads", torch.get_num_threads(), torch.cuda.get_device_name())
    x = torch.zeros(1, device="cuda")
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(2000):
        x.add_(1)
    torch.cuda.synchronize()
    print("launch latency us", (time.perf_counter() - start) / 2000 * 1e6)
    config = load_recipe(CrisisConfig, RECIPE, ["tracking.enabled=false"])
    base, tokenizer = load_classifier_base(config.encoder)
    model = get_peft_model(base.cuda(), config.lora.peft_config())
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)

    def step(batch: int, autocast: bool = True) -> None:
        inputs = tokenizer(TEXTS[:batch], padding=True, return_tensors="pt").to("cuda")
        with torch.autocast("cuda", torch.bfloat16, enabled=autocast):
            logits = model(**inputs).logits
        loss = torch.nn.functional.cross_entropy(logits.float(), torch.zeros(batch, dtype=torch.long, device="cuda"))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss.item()

    for batch in (16, 64):
        for autocast in (True, False):
            for _ in range(3):
                step(batch, autocast)
            torch.cuda.synchronize()
            start = time.perf_counter()
            for _ in range(10):
                step(batch, autocast)
            torch.cuda.synchronize()
            print(f"batch {batch} autocast {autocast}: {(time.perf_counter() - start) / 10 * 1000:.0f} ms/step")
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as profiled:
        for _ in range(3):
            step(16)
        torch.cuda.synchronize()
    print(profiled.key_averages().table(sort_by="self_cpu_time_total", row_limit=12, max_name_column_width=40))
    print(profiled.key_averages().table(sort_by="cuda_time_total", row_limit=6, max_name_column_width=40))


if __name__ == "__main__":
    main()
