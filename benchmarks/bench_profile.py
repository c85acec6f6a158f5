"""Where the classification time goes: the PyTorch profiler on the full-prompt and the fast path.

    python -m benchmarks.bench_profile [--texts 256] [--top 12]

Both paths of the transformers backend (bf16, batch 32, the shipped adapter) score the same dair-ai
test texts under ``torch.profiler``; the summary lists the operators with the most CPU time, the
tokens each path pushes through the model and the intra-op thread count. Written to
``reports/bench/profile-*.md`` and printed.
"""

import argparse
import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

from benchmarks.bench_classify import fed_tokens
from llm.backends.transformers_backend import TransformersClassifier
from llm.datasets import load_split
from llm.factory import load_model_config

REPORT_DIR = Path("reports/bench")


def profile_path(classifier: TransformersClassifier, texts: list[str], top: int) -> tuple[str, float, int]:
    """The profiler's operator table, texts/s and tokens fed for one path."""
    classifier.predict(texts[:32])  # warm-up: kernel selection
    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        start = time.perf_counter()
        classifier.predict(texts)
        seconds = time.perf_counter() - start
    table = profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=top, max_name_column_width=40)
    return table, len(texts) / seconds, fed_tokens(classifier, texts)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="configs/models/smollm2-135m-lora.yaml")
    parser.add_argument("--texts", type=int, default=256)
    parser.add_argument("--top", type=int, default=12, help="operators listed per path")
    args = parser.parse_args(argv)
    config = load_model_config(args.config)
    texts = [example.text for example in load_split("test")[: args.texts]]
    sections = [f"# Classification profile ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)\n",
                (f"{len(texts)} dair-ai test texts, batch {config.batch_size}, dtype {config.dtype}, "
                f"intra-op threads {torch.get_num_threads()}, cores {os.cpu_count()}, "
                f"load average before {os.getloadavg()[0]:.1f}\n")]
    for fast_path in (False, True):
        classifier = TransformersClassifier(config.model_copy(update={"fast_path": fast_path}))
        table, rate, tokens = profile_path(classifier, texts, args.top)
        name = "fast path (merged LoRA, cached prefix)" if fast_path else "full-prompt path (unmerged LoRA)"
        sections.append(f"## {name}: {rate:.1f} texts/s, {tokens / len(texts):.1f} tokens fed per text, "
                        f"{rate * tokens / len(texts):.0f} tokens/s\n\n```\n{table}\n```\n")
    report = "\n".join(sections)
    print(report)
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    path = REPORT_DIR / f"profile-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.md"
    path.write_text(report)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
