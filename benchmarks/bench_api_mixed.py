"""API under hostile input and mixed load, against a real `python -m serving` with the default configuration
(embedded model, shipped crisis panel, explanations on): first the worst case at one client (each kind of
maximum-size input on each model route), then one client for 20 s as the baseline of the same run, then 32
clients for 60 s.

    nice -n 10 .venv/bin/python -m benchmarks.bench_api_mixed [--clients 32] [--seconds 60] [--out FILE]

Traffic: classify one text (50%), write an entry (25%, a tenth of them with an explanation), list entries
(10%), explain (15%). A tenth of all texts are the maximum-size inputs of the worst-case phase. It checks
what the API promises under load: only 2xx answers, or 503 with Retry-After; and no entry acknowledged (201)
and then lost: each one is read back at the end.
"""

import argparse
import asyncio
import json
import random
import statistics
import string
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
import yaml

from benchmarks.bench_api import ROOT, Server

ROUTES = [("classify", 0.50), ("entry", 0.25), ("list", 0.10), ("explain", 0.15)]
MAX_CHARS = 5000


def journal_entries() -> list[str]:
    """Ordinary entries: the project's blind journal dev set."""
    return [json.loads(line)["text"] for line in (ROOT / "data" / "journal" / "dev.jsonl").open()]


def hostile_texts(seed: int = 0) -> dict[str, str]:
    """Maximum-size inputs (5,000 characters) of every kind that costs the most tokens per character."""
    rng = random.Random(seed)
    return {"journal prose": " ".join(journal_entries())[:MAX_CHARS], "one character": "0" * MAX_CHARS,
            "random bytes": "".join(rng.choice(string.printable) for _ in range(MAX_CHARS)),
            "random letters": "".join(rng.choice(string.ascii_letters + " ") for _ in range(MAX_CHARS)),
            "CJK characters": "".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(MAX_CHARS)),
            "one sentence repeated": ("I went to the shop and bought some bread. " * 120)[:MAX_CHARS]}


def worst_case(url: str, repeats: int = 2) -> list[dict]:
    """One client, each hostile input on each model route: the slowest of `repeats` answers."""
    bodies = {"classify": lambda text: ("/v1/classify", {"text": text}),
              "explain": lambda text: ("/v1/explain", {"text": text}),
              "entry + explain": lambda text: ("/v1/entries", {"text": text, "explain": True})}
    rows = []
    with httpx.Client(base_url=url, timeout=300) as http:
        for kind, text in hostile_texts().items():
            for route, body in bodies.items():
                seconds, statuses = [], set()
                for _ in range(repeats):
                    started = time.perf_counter()
                    path, payload = body(text)
                    response = http.post(path, json=payload)
                    seconds.append(time.perf_counter() - started)
                    statuses.add(response.status_code)
                answer = response.json()
                crisis = answer.get("crisis", answer.get("safety", {}).get("crisis"))
                rows.append({"input": kind, "route": route, "max_s": round(max(seconds), 2),
                             "statuses": sorted(statuses), "crisis": crisis})
    return rows


class Traffic:
    """Clients sending a seeded mix of requests until a deadline; every answer is recorded."""

    def __init__(self, url: str, seed: int) -> None:
        self.url = url
        self.rng = random.Random(seed)
        self.ordinary, self.hostile = journal_entries(), list(hostile_texts(seed).values())
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.violations: list[str] = []
        self.acknowledged: dict[int, str] = {}

    def pick_text(self) -> str:
        return self.rng.choice(self.hostile) if self.rng.random() < 0.1 else self.rng.choice(self.ordinary)

    async def one(self, http: httpx.AsyncClient) -> None:
        route = self.rng.choices([r for r, _ in ROUTES], weights=[w for _, w in ROUTES])[0]
        text = self.pick_text()
        request = {"classify": ("POST", "/v1/classify", {"text": text}),
                   "entry": ("POST", "/v1/entries", {"text": text, "explain": self.rng.random() < 0.1}),
                   "list": ("GET", "/v1/entries?limit=20", None),
                   "explain": ("POST", "/v1/explain", {"text": text})}[route]
        started = time.perf_counter()
        response = await http.request(request[0], request[1], json=request[2])
        self.latencies[route].append(time.perf_counter() - started)
        self.statuses[route][response.status_code] += 1
        if response.status_code == 503 and "retry-after" not in response.headers:
            self.violations.append(f"{route}: 503 without Retry-After")
        elif response.status_code != 503 and not 200 <= response.status_code < 300:
            self.violations.append(f"{route}: {response.status_code} {response.text[:200]}")
        if route == "entry" and response.status_code == 201:
            self.acknowledged[response.json()["id"]] = text.strip()

    async def run(self, clients: int, seconds: float) -> float:
        deadline = time.monotonic() + seconds

        async def client(http: httpx.AsyncClient) -> None:
            while time.monotonic() < deadline:
                await self.one(http)

        async with httpx.AsyncClient(base_url=self.url, timeout=300,
                                     limits=httpx.Limits(max_connections=clients + 4)) as http:
            started = time.perf_counter()
            await asyncio.gather(*[client(http) for _ in range(clients)])
            return time.perf_counter() - started

    def lost_entries(self) -> list[int]:
        """Acknowledged entries that cannot be read back with their text."""
        lost = []
        with httpx.Client(base_url=self.url, timeout=60) as http:
            for entry_id, text in self.acknowledged.items():
                response = http.get(f"/v1/entries/{entry_id}")
                if response.status_code != 200 or response.json()["text"] != text:
                    lost.append(entry_id)
        return lost

    def rows(self, clients: int, seconds: float) -> list[dict]:
        out = []
        for route, _ in ROUTES:
            values = sorted(self.latencies[route])
            if not values:
                continue
            out.append({"clients": clients, "route": route, "requests": len(values),
                        "per_s": round(len(values) / seconds, 2),
                        "p50_ms": round(1000 * statistics.median(values)),
                        "p95_ms": round(1000 * values[max(0, int(0.95 * len(values)) - 1)]),
                        "max_ms": round(1000 * values[-1]),
                        "statuses": dict(sorted(self.statuses[route].items()))})
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--baseline-seconds", type=float, default=20)
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="emoai-bench-mixed-") as tmp:
        retrieval = yaml.safe_load((ROOT / "configs" / "retrieval.yaml").read_text())
        retrieval["chroma"]["path"] = f"{tmp}/chroma"
        (Path(tmp) / "retrieval.yaml").write_text(yaml.safe_dump(retrieval))
        server = Server("configs/models/smollm2-135m-lora.yaml", True, Path(tmp), 32, {
            "explanations": True, "retrieval_config": f"{tmp}/retrieval.yaml",  # the serving defaults otherwise
            "batching": {"enabled": True, "max_batch_size": 32, "max_queue": 256, "request_timeout_s": 30}})
        try:
            server.wait_ready()
            while httpx.get(server.url + "/readyz").json()["checks"]["explanations"] != "ready":
                time.sleep(1)
            worst = worst_case(server.url)
            print("\n| input (5,000 characters) | route | slowest of 2, s | status | crisis |")
            print("| --- | --- | --- | --- | --- |")
            for row in worst:
                print(f"| {row['input']} | {row['route']} | {row['max_s']} | {row['statuses']} | {row['crisis']} |")
            results, violations, lost = [], [], []
            for seed, clients, seconds in [(1, 1, args.baseline_seconds), (2, args.clients, args.seconds)]:
                traffic = Traffic(server.url, seed)
                elapsed = asyncio.run(traffic.run(clients, seconds))
                rows = traffic.rows(clients, elapsed)
                results += rows
                violations += traffic.violations
                lost += traffic.lost_entries()
                for row in rows:
                    print(json.dumps(row), flush=True)
        finally:
            server.stop()
    base = {row["route"]: row["p50_ms"] for row in results if row["clients"] == 1}
    print("\n| clients | route | requests | per s | p50 ms | p95 ms | max ms | p50 vs 1 client | statuses |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in results:
        ratio = f"{row['p50_ms'] / base[row['route']]:.1f}x" if base.get(row["route"]) else "-"
        print(f"| {row['clients']} | {row['route']} | {row['requests']} | {row['per_s']} | {row['p50_ms']} | "
              f"{row['p95_ms']} | {row['max_ms']} | {ratio} | {row['statuses']} |")
    print(f"\nanswers outside 2xx / 503+Retry-After: {len(violations)}; entries acknowledged and lost: {len(lost)}")
    for violation in violations[:10]:
        print("  ", violation)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"worst_case": worst, "rows": results, "violations": violations,
                                        "lost": lost}, indent=1))
    if violations or lost:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
