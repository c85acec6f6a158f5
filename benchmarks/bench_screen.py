"""What switching on the learned crisis screen costs per entry: rules only vs one model vs the shipped panel.

    python -m benchmarks.bench_screen [--risk-split heldout8]

Times ``llm.safety.screen`` on one entry at a time, as the server calls it, after a warm-up: on the project's
84 journal entries (ordinary text: a panel's later members rarely run) and on the risk texts of one blind split
(every member of the panel runs). Results: markdown on stdout and JSON under ``reports/bench/``.
"""

import argparse
import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from evals.retrieval_quality import RETRIEVAL_QUERIES
from llm.io import read_jsonl
from llm.safety import screen
from llm.safety.sets import crisis_sets

SCREENS = {"rules only (the fallback)": None, "model v9 (MiniLM)": "llm/safety/shipped/crisis-minilm-v9",
           "model v15 (SmolLM2-135M)": "llm/safety/shipped/crisis-smollm2-v15",
           "shipped panel v16 (v9 + v14 + v15, the default)": "shipped"}


def latencies_ms(texts: list[str], model: str | None) -> list[float]:
    """Wall time of ``screen`` per text, in milliseconds."""
    screen(texts[0], model=model)  # load and warm up
    times = []
    for text in texts:
        start = time.perf_counter()
        screen(text, model=model)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--risk-split", default="heldout8", help="the blind split whose risk texts are timed")
    parser.add_argument("--out", default="reports/bench", help="where the JSON report goes")
    args = parser.parse_args()
    sets = {"journal entries": [row["text"] for row in read_jsonl(RETRIEVAL_QUERIES, ("text",))],
            f"{args.risk_split} risk texts": [row["text"] for row in crisis_sets()[args.risk_split].read()
                                              if row["crisis"]]}
    results = []
    for name, model in SCREENS.items():
        for set_name, texts in sets.items():
            times = latencies_ms(texts, model)
            results.append({"screen": name, "texts": set_name, "n": len(times), "mean_ms": statistics.mean(times),
                            "p50_ms": statistics.median(times),
                            "p95_ms": statistics.quantiles(times, n=20)[-1]})
    print("| screen | texts | n | mean ms | p50 ms | p95 ms |\n| --- | --- | ---: | ---: | ---: | ---: |")
    for row in results:
        print(f"| {row['screen']} | {row['texts']} | {row['n']} | {row['mean_ms']:.1f} | {row['p50_ms']:.1f} | "
              f"{row['p95_ms']:.1f} |")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"screen-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nreport: {path}")


if __name__ == "__main__":
    main()
