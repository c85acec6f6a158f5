"""Quality measures for retrieval (hit@k, MRR) and for the crisis screen (recall, precision).

Both read the project's labelled JSONL sets in evals/datasets/. Rows may carry a ``split`` ("dev" or
"heldout"); the results are reported overall and per split.
"""

import contextlib
from collections.abc import Callable
from pathlib import Path

from tqdm.auto import tqdm

from llm.datasets import DatasetError, load_split
from llm.io import read_jsonl
from llm.paths import project_file
from llm.safety import matched_rules, screen
from retrieval.store import KnowledgeStore

DATASETS = project_file("evals", "datasets")
RETRIEVAL_QUERIES = DATASETS / "retrieval_queries.jsonl"
CRISIS_SET = DATASETS / "crisis_screen.jsonl"
# ordinary journal entries, each set by a writer who never saw the screen (none of them is trained on)
EVERYDAY_SETS = {"everyday_journal": DATASETS / "everyday_journal.jsonl",
                 "everyday_journal2": DATASETS / "everyday_journal2.jsonl",
                 "everyday_journal3": DATASETS / "everyday_journal3.jsonl",
                 "everyday_journal4": DATASETS / "everyday_journal4.jsonl",
                 "everyday_journal5": DATASETS / "everyday_journal5.jsonl",
                 "everyday_journal6": DATASETS / "everyday_journal6.jsonl",
                 "everyday_journal7": DATASETS / "everyday_journal7.jsonl"}
RETRIEVAL_KINDS = ("explanation", "activity")  # what an answer is built from


def _by_split(rows: list[dict], measure: Callable[[list[dict]], dict]) -> dict:
    result = measure(rows)
    splits = sorted({row.get("split") for row in rows if row.get("split")})
    if splits:
        result["splits"] = {split: measure([row for row in rows if row.get("split") == split]) for split in splits}
    return result


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

    result = _by_split(ranks, measure)
    result["k"] = k
    result["misses"] = [{"text": r["text"], "emotion": r["emotion"], "relevant_ids": r["relevant_ids"],
                         "retrieved": r["_top"]} for r in ranks if r["_rank"] is None or r["_rank"] > k]
    return result


def evaluate_crisis_screen(path: str | Path = CRISIS_SET, model: str | None = None) -> dict:
    """Recall and precision of ``llm.safety.screen`` on the labelled crisis set, with the errors listed.

    Besides the screen as a whole, ``components`` measures the rules and the learned model on their own (the
    rules are measured even when the model decides alone).
    """
    rows = read_jsonl(path, ("text", "crisis"))
    for row in rows:
        result = screen(row["text"], model=model)
        row["_flags"] = {"screen": result.crisis, "rules": bool(matched_rules(row["text"])),
                         "classifier": "classifier" in result.matched}

    def counts(subset: list[dict], part: str) -> dict:
        tp = sum(1 for r in subset if r["_flags"][part] and r["crisis"])
        fp = sum(1 for r in subset if r["_flags"][part] and not r["crisis"])
        fn = sum(1 for r in subset if not r["_flags"][part] and r["crisis"])
        return {"n": len(subset), "positives": tp + fn, "flagged": tp + fp,
                "recall": tp / (tp + fn) if tp + fn else 1.0,
                "precision": tp / (tp + fp) if tp + fp else 1.0}

    def measure(subset: list[dict]) -> dict:
        parts = ("rules", "classifier") if model else ("rules",)
        return {**counts(subset, "screen"), "components": {part: counts(subset, part) for part in parts}}

    result = _by_split(rows, measure)
    result["false_negatives"] = [{"text": r["text"], "kind": r.get("kind")} for r in rows
                                 if r["crisis"] and not r["_flags"]["screen"]]
    result["false_positives"] = [{"text": r["text"], "kind": r.get("kind")} for r in rows
                                 if r["_flags"]["screen"] and not r["crisis"]]
    return result


def everyday_flag_rates(model: str | None = None, emotion_split: str | None = "test") -> dict:
    """How often the screen flags everyday writing that holds no risk: the journal-style entries of the
    retrieval query set, the everyday journal sets and, when the emotion dataset can be loaded, one of its
    splits.

    Every flag there replaces a person's activity suggestions with crisis resources, so this is the
    cost side of the screen's recall.
    """
    sets = {"journal_entries": [row["text"] for row in read_jsonl(RETRIEVAL_QUERIES, ("text",))]}
    sets |= {name: [row["text"] for row in read_jsonl(path, ("text", "emotion"))]
             for name, path in EVERYDAY_SETS.items()}
    if emotion_split:
        with contextlib.suppress(DatasetError):  # no local copy and no hub access: the journal entries still count
            sets[f"emotion_{emotion_split}"] = [example.text for example in load_split(emotion_split)]
    rates = {}
    for name, texts in sets.items():
        flagged = sum(screen(text, model=model).crisis for text in tqdm(texts, desc=name, leave=False))
        rates[name] = {"n": len(texts), "flagged": flagged, "rate": flagged / len(texts)}
    return rates
