"""Embedded model start-up and throughput: first GGUF conversion, cached load, texts/s.

`EMOAI_DATA_DIR=../shared/data/emotion python -m benchmarks.bench_model_load [--texts 500]`

The conversion is timed in a fresh, empty cache directory (what a new machine pays once);
the cached load and the classification throughput use that same cache afterwards.
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        os.environ["EMOAI_CACHE_DIR"] = cache
        from llm.config import ModelConfig
        from llm.datasets import load_split
        from llm.factory import load_classifier
        from llm.sources import DEFAULT_MODEL, resolve_model_source

        start = time.perf_counter()
        resolve_model_source(DEFAULT_MODEL)
        conversion = time.perf_counter() - start
        start = time.perf_counter()
        classifier = load_classifier(ModelConfig())
        cached_load = time.perf_counter() - start
        texts = [e.text for e in load_split("test")[: args.texts]]
        classifier.predict(texts[:32])  # warm-up
        start = time.perf_counter()
        classifier.predict(texts)
        throughput = len(texts) / (time.perf_counter() - start)
    result = {"gguf_conversion_s": conversion, "cached_load_s": cached_load, "texts": len(texts),
              "texts_per_s": throughput, "batch_size": classifier.config.batch_size}
    print("| first GGUF conversion | cached load (model + adapter) | classification |")
    print("| ---: | ---: | ---: |")
    print(f"| {conversion:.1f} s | {cached_load:.1f} s | {throughput:.1f} texts/s "
          f"({len(texts)} test texts, batch {classifier.config.batch_size}) |")
    out = Path("reports/bench")
    out.mkdir(parents=True, exist_ok=True)
    (out / "model_load.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
