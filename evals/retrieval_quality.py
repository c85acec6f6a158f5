"""Retrieval quality: hit@k and MRR of the knowledge store on the labelled query set in evals/datasets/.

Rows may carry a ``split`` ("dev" or "heldout"); the results are reported overall and per split. (The crisis
screen's quality is measured in ``evals.crisis_screen``.)
"""

from pathlib import Path

from tqdm.auto import tqdm

from evals.metrics import by_split
from llm.io import read_jsonl
from llm.paths import project_file
from retrieval.store import KnowledgeStore

RETRIEVAL_QUERIES = project_file("evals", "datasets", "retrieval_queries.jsonl")
RETRIEVAL_KINDS = ("explanation", "activity")  # what an answer is built from


def evaluate_retrieval(store: KnowledgeStore, queries_path: str | Path = RETRIEVAL_QUERIES, k: int = 3,
                       depth: int = 10, progress: bool = False) -> dict:
    """hit@k and MRR (over the top ``depth``) of emotion-filtered similarity search on the query set."""
    rows = read_jsonl(queries_path, ("text", "emotion", "relevant_ids"))
    ranks = []
    for row in tqdm(rows, desc="retrieval queries", disable=not progress):
        hits = store.search(row["text"], emotions=[row["emotion"]], kinds=RETRIEVAL_KINDS, k=max(k, depth),
                            mmr=False)
        ids = [hit.id for hit in hits]
        relevant = set(row["relevant_ids"])
        row["_rank"] = next((i for i, id_ in enumerate(ids, 1) if id_ in relevant), None)
        row["_top"] = ids[:k]
        ranks.append(row)

    def measure(subset: list[dict]) -> dict:
        n = len(subset)
        return {
            "n": n,
            "hit_at_k": sum(1 for r in subset if r["_rank"] is not None and r["_rank"] <= k) / n,
            "mrr": sum(1.0 / r["_rank"] for r in subset if r["_rank"] is not None) / n,
        }

    result = by_split(ranks, measure)
    result["k"] = k
    result["misses"] = [{"text": r["text"], "emotion": r["emotion"], "relevant_ids": r["relevant_ids"],
                         "retrieved": r["_top"]} for r in ranks if r["_rank"] is None or r["_rank"] > k]
    return result
