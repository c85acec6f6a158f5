"""Retrieval numbers: index build time, query latency (embedded and `chroma run` server), explanation latency
per backend, and the quality measures (hit@3, MRR, crisis recall/precision).

    python -m benchmarks.bench_retrieval [--queries N] [--explanations M] [--backends none,transformers,vllm]

Query latency is one emotion-filtered MMR search (the chain's call) per journal entry of the project's query
set, after a warm-up; it includes embedding the query with MiniLM. Explanation latency is
``ExplanationService.explain`` end to end (screen, four searches, prompt, generation, validation); the
classifier's own prediction is made beforehand and not timed. Results: markdown on stdout and JSON under
``reports/bench/``.
"""

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import chromadb
from tqdm import tqdm

from evals.crisis_screen import evaluate_crisis_screen
from evals.retrieval_quality import RETRIEVAL_QUERIES, evaluate_retrieval, read_jsonl
from llm.classifier import ClassifierError
from llm.config import ModelConfig
from llm.embeddings import load_embeddings
from llm.factory import load_classifier
from llm.labels import EMOTIONS
from llm.prediction import Prediction
from retrieval.chain import ExplanationService
from retrieval.documents import load_knowledge_base
from retrieval.settings import RetrievalSettings, load_settings
from retrieval.store import KnowledgeStore

REPORT_DIR = Path("reports/bench")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of a list of seconds, in milliseconds."""
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def latency(store: KnowledgeStore, texts: list[tuple[str, str]], settings: RetrievalSettings, label: str) -> dict:
    """p50/p95 of the chain's search call over (entry, emotion) pairs, after one warm-up query."""
    search = settings.search
    store.search(texts[0][0], emotions=["joy"], kinds=["activity"], k=search.k, fetch_k=search.fetch_k)  # warm-up
    times = []
    for text, emotion in tqdm(texts, desc=f"queries ({label})"):
        started = time.perf_counter()
        store.search(text, emotions=[emotion], kinds=["activity"], k=search.k, mmr=True, fetch_k=search.fetch_k,
                     mmr_lambda=search.mmr_lambda)
        times.append(time.perf_counter() - started)
    return {"n": len(times), "p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95)}


def start_server(path: Path) -> tuple[subprocess.Popen, int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    chroma = Path(sys.executable).with_name("chroma")
    process = subprocess.Popen([str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while True:
        try:
            chromadb.HttpClient(host="127.0.0.1", port=port).heartbeat()
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the chroma server did not start") from None
        else:
            return process, port
            time.sleep(0.5)


def bench_store(settings: RetrievalSettings, rows: list[dict], workdir: Path) -> tuple[dict, KnowledgeStore]:
    documents = load_knowledge_base(settings.kb_path)
    started = time.perf_counter()
    load_embeddings(settings.embedding_model).embed_query("warm up")
    results = {"documents": len(documents), "embedding_load_s": time.perf_counter() - started}
    texts = [(row["text"], row["emotion"]) for row in rows]
    embedded = settings.model_copy(update={"chroma": settings.chroma.model_copy(
        update={"mode": "embedded", "path": str(workdir / "embedded")})})
    store = KnowledgeStore(embedded)
    started = time.perf_counter()
    store.index(documents, progress=True)
    results["index_build_s"] = time.perf_counter() - started
    started = time.perf_counter()
    store.index(documents)
    results["reindex_unchanged_s"] = time.perf_counter() - started
    results["query_embedded"] = latency(store, texts, settings, "embedded")
    quality = evaluate_retrieval(store, RETRIEVAL_QUERIES, k=3)
    results["retrieval_quality"] = {key: quality[key] for key in ("n", "hit_at_k", "mrr", "splits")}
    process, port = start_server(workdir / "server")
    try:
        served = settings.model_copy(update={"chroma": settings.chroma.model_copy(
            update={"mode": "server", "host": "127.0.0.1", "port": port})})
        server_store = KnowledgeStore(served)
        started = time.perf_counter()
        server_store.index(documents, progress=True)
        results["index_build_server_s"] = time.perf_counter() - started
        results["query_server"] = latency(server_store, texts, settings, "server")
    finally:
        process.terminate()
        process.wait(timeout=30)
    return results, store


def bench_explanations(store: KnowledgeStore, settings: RetrievalSettings, rows: list[dict], backend: str) -> dict:
    classifier = None if backend == "none" else load_classifier(ModelConfig(backend=backend))
    texts = [row["text"] for row in rows]
    if classifier is None:  # no model: the query set's own labels stand in for a prediction
        predictions = [Prediction.from_probabilities([0.9 if e == row["emotion"] else 0.02 for e in EMOTIONS],
                                                     "label") for row in rows]
    else:
        predictions = classifier.predict(texts)
    service = ExplanationService(store, classifier, settings)
    service.explain(texts[0], predictions[0])  # warm-up
    times, paths, reasons = [], {}, {}
    for text, prediction in tqdm(list(zip(texts, predictions, strict=True)), desc=f"explanations ({backend})"):
        started = time.perf_counter()
        result = service.explain(text, prediction)
        times.append(time.perf_counter() - started)
        paths[result.path] = paths.get(result.path, 0) + 1
        if result.fallback_reason:
            reasons[result.fallback_reason] = reasons.get(result.fallback_reason, 0) + 1
    return {"n": len(times), "p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95),
            "mean_ms": 1000 * statistics.mean(times), "paths": paths, "fallback_reasons": reasons}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=None, help="retrieval settings YAML")
    parser.add_argument("--queries", type=int, default=84, help="query-set entries timed per store")
    parser.add_argument("--explanations", type=int, default=6, help="entries explained per backend")
    parser.add_argument("--backends", default="none,transformers,vllm",
                        help="none (fallback only), transformers, vllm")
    args = parser.parse_args()
    settings = load_settings(args.config)
    rows = read_jsonl(RETRIEVAL_QUERIES, ("text", "emotion", "relevant_ids"))
    crisis = evaluate_crisis_screen()
    results = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.machine(),
               "cpus": os.cpu_count(), "embedding_model": settings.embedding_model,
               "crisis_screen": {key: crisis[key] for key in ("n", "recall", "precision", "splits")}}
    with tempfile.TemporaryDirectory() as workdir:
        store_results, store = bench_store(settings, rows[:args.queries], Path(workdir))
        results.update(store_results)
        results["explanations"] = {}
        spread = rows[::max(1, len(rows) // args.explanations)][:args.explanations]
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            try:
                results["explanations"][backend] = bench_explanations(store, settings, spread, backend)
            except (ClassifierError, ImportError) as error:  # e.g. vLLM not installed: report, go on
                results["explanations"][backend] = {"error": f"{type(error).__name__}: {error}"}
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    out = REPORT_DIR / f"retrieval-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
