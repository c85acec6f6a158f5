"""API load benchmark: throughput and p50/p95 latency of POST /v1/classify at 1, 8 and 32 concurrent
clients, with micro-batching on and off, against a real `python -m serving` process.

    python -m benchmarks.bench_api [--model configs/models/smollm2-135m-ensemble.yaml]
        [--clients 1 8 32] [--requests 96] [--out reports/bench_api.json]

Each client sends one text per request, back to back. Texts come from the dataset's test split when
EMOAI_DATA_DIR is set, else from a few built-in sentences. First, in the same run, the same model
classifies the same texts offline (in this process, then unloaded): in one call, grouped by length over
the whole set (the ceiling: every row's throughput is also given as a fraction of it), and in calls of 16
and of 32 texts in arrival order, the micro-batches a busy server gets, without HTTP. Answers other than 200 are counted; only 503 with a
Retry-After header is accepted (an overloaded server's answer), anything else stops the run.
"""

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import yaml

from llm.paths import PROJECT_ROOT as ROOT

FALLBACK_TEXTS = ["i feel like i finally have my life together after a long hard year",
                  "i was so angry when they cancelled the trip without telling anyone",
                  "i am nervous about the exam tomorrow and cannot sleep",
                  "my sister surprised me with a visit today and i loved it"]


def load_texts(limit: int = 2000) -> list[str]:
    data_dir = os.environ.get("EMOAI_DATA_DIR")
    path = Path(data_dir) / "test.jsonl" if data_dir else None
    if path is None or not path.is_file():
        return FALLBACK_TEXTS
    with path.open() as lines:
        return [json.loads(line)["text"] for _, line in zip(range(limit), lines, strict=False)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A `python -m serving` process for one benchmark configuration."""

    def __init__(self, model: str, batching: bool, workdir: Path, max_batch_size: int,
                 overrides: dict | None = None, threads: int | None = None) -> None:
        self.port = free_port()
        config = {"model": model, "port": self.port, "store_url": f"sqlite:///{workdir}/journal.db",
                  "ui": False, "explanations": False,
                  "batching": {"enabled": batching, "max_batch_size": max_batch_size, "max_queue": 4096,
                               "request_timeout_s": 600}, **(overrides or {})}
        path = workdir / f"serving-{'on' if batching else 'off'}.yaml"
        path.write_text(yaml.safe_dump(config))
        self.log = (workdir / f"server-{'on' if batching else 'off'}.log").open("w")
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
               "GRADIO_ANALYTICS_ENABLED": "False", **({"OMP_NUM_THREADS": str(threads)} if threads else {})}
        self.process = subprocess.Popen([sys.executable, "-m", "serving", "--config", str(path)], cwd=ROOT,
                                        env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout_s: float = 900) -> dict:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {self.log.name}")
            try:
                response = httpx.get(self.url + "/readyz", timeout=5)
                if response.status_code == 200:
                    return httpx.get(self.url + "/v1/model", timeout=5).json()
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise TimeoutError("the server never became ready")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(120)
        self.log.close()


def offline_texts_per_s(model: str, texts: list[str], arrival_batches: Sequence[int] = ()) -> dict[str, float]:
    """The model's own throughput on these texts, in this process: ``sorted`` (one call, so the texts are grouped
    by length over the whole set: the ceiling for the server) and, for each size in ``arrival_batches``, calls of
    that many texts in arrival order (what a server's micro-batches hold), without any HTTP."""
    import gc

    from llm.factory import load_classifier, load_model_config

    classifier = load_classifier(load_model_config(str(ROOT / model)))
    classifier.predict(texts[:32])  # warm-up
    rates = {}
    for size in (len(texts), *arrival_batches):
        started = time.perf_counter()
        for start in range(0, len(texts), size):
            classifier.predict(texts[start:start + size])
        rates["sorted" if size == len(texts) else f"arrival_{size}"] = len(texts) / (time.perf_counter() - started)
    del classifier
    gc.collect()
    return rates


async def load_test(url: str, clients: int, requests: int, texts: list[str]) -> dict:
    """`clients` concurrent clients share `requests` requests; latency per request, throughput overall."""
    latencies: list[float] = []
    overloaded = 0
    counter = iter(range(requests))

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal overloaded
        for i in counter:
            started = time.perf_counter()
            response = await http.post("/v1/classify", json={"text": texts[i % len(texts)]})
            if response.status_code == 503 and "retry-after" in response.headers:
                overloaded += 1
                continue
            response.raise_for_status()
            latencies.append(time.perf_counter() - started)

    async with httpx.AsyncClient(base_url=url, timeout=600,
                                 limits=httpx.Limits(max_connections=clients + 4)) as http:
        started = time.perf_counter()
        await asyncio.gather(*[client(http) for _ in range(clients)])
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {"clients": clients, "requests": requests, "answered_503": overloaded, "seconds": round(elapsed, 2),
            "requests_per_s": round(len(latencies) / elapsed, 2),
            "p50_ms": round(1000 * statistics.median(latencies), 1),
            "p95_ms": round(1000 * latencies[max(0, int(0.95 * len(latencies)) - 1)], 1)}


def batch_stats(url: str) -> tuple[float, float]:
    values = {}
    for line in httpx.get(url + "/metrics", timeout=10).text.splitlines():
        if line.startswith(("emoai_batch_size_count", "emoai_batch_size_sum")):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values.get("emoai_batch_size_count", 0.0), values.get("emoai_batch_size_sum", 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="configs/models/smollm2-135m-ensemble.yaml", help="model recipe")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--requests", type=int, default=96, help="requests per concurrency level")
    parser.add_argument("--max-batch-size", type=int, default=32)
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--server-threads", type=int, help="OMP_NUM_THREADS of the server (default: one per core)")
    args = parser.parse_args()
    texts = load_texts()
    ceilings = offline_texts_per_s(args.model, texts[:512], arrival_batches=(16, 32))
    offline = ceilings["sorted"]
    print(json.dumps({"offline_texts_per_s": {name: round(rate, 1) for name, rate in ceilings.items()}}), flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="emoai-bench-api-") as tmp:
        for batching in (True, False):
            server = Server(args.model, batching, Path(tmp), args.max_batch_size, threads=args.server_threads)
            try:
                model = server.wait_ready()
                asyncio.run(load_test(server.url, 4, 16, texts))  # warm-up
                for clients in args.clients:
                    calls_before, texts_before = batch_stats(server.url)
                    row = asyncio.run(load_test(server.url, clients, args.requests, texts))
                    calls_after, texts_after = batch_stats(server.url)
                    mean_batch = (texts_after - texts_before) / max(calls_after - calls_before, 1)
                    row.update(batching="on" if batching else "off", mean_batch=round(mean_batch, 1),
                               model=model["model"]["version"],
                               of_offline=round(row["requests_per_s"] / offline, 2))
                    results.append(row)
                    print(json.dumps(row), flush=True)
            finally:
                server.stop()
    print(f"\noffline batch throughput (same model, same texts): {offline:.1f} texts/s; in calls of 16 / 32 texts in "
          f"arrival order: {ceilings['arrival_16']:.1f} / {ceilings['arrival_32']:.1f}\n")
    print("| micro-batching | clients | requests/s | of offline | p50 ms | p95 ms | mean batch | 503s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in results:
        print(f"| {row['batching']} | {row['clients']} | {row['requests_per_s']} | {row['of_offline']:.0%} | "
              f"{row['p50_ms']} | {row['p95_ms']} | {row['mean_batch']} | {row['answered_503']} |")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"offline_texts_per_s": ceilings, "rows": results}, indent=1))


if __name__ == "__main__":
    main()
