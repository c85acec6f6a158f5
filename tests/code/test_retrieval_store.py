"""The knowledge store on a real embedded Chroma with the real MiniLM: incremental indexing, filters, MMR."""

import pytest

from evals.retrieval_quality import RETRIEVAL_QUERIES, evaluate_retrieval, read_jsonl
from retrieval.documents import load_knowledge_base
from retrieval.settings import SHIPPED_KB, RetrievalSettings
from retrieval.store import KnowledgeStore, StoreError, build_filter

pytestmark = pytest.mark.slow


def shipped_store(tmp_path_factory) -> KnowledgeStore:
    """The shipped KB indexed once per test session (later calls find it unchanged)."""
    settings = RetrievalSettings.model_validate({"chroma": {"path": str(tmp_path_factory.getbasetemp() / "kb-chroma")}})
    store = KnowledgeStore(settings)
    store.index(load_knowledge_base(SHIPPED_KB))
    return store


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> KnowledgeStore:
    return shipped_store(tmp_path_factory)


def test_reindexing_is_incremental(tmp_path):
    settings = RetrievalSettings.model_validate({"chroma": {"path": str(tmp_path / "chroma"), "collection": "inc"}})
    documents = load_knowledge_base(SHIPPED_KB)[:6]
    store = KnowledgeStore(settings)
    first = store.index(documents)
    assert len(first.added) == 6 and not (first.updated or first.deleted or first.unchanged)
    edited = documents[0].model_copy(update={"title": "An edited title"})
    second = KnowledgeStore(settings).index([edited, *documents[1:5]])  # reopened: the state is on disk
    assert second.updated == [edited.id]
    assert second.deleted == [documents[5].id]
    assert len(second.unchanged) == 4 and not second.added
    assert store.count() == 5
    assert store.catalogue(edited.kind)[edited.id] == "An edited title"
    store.reset()
    assert store.count() == 0


def test_search_filters_by_emotion_and_kind(store):
    hits = store.search("I miss my grandmother so much since the funeral", emotions=["sadness"],
                        kinds=["explanation"], k=3, mmr=False)
    assert len(hits) == 3
    assert all(hit.kind == "explanation" and hit.document.emotion == "sadness" for hit in hits)
    assert "exp-sadness-loss" in {hit.id for hit in hits}
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    both = store.search("so happy and so in love", emotions=["joy", "love"], kinds=["activity"], k=8, mmr=False)
    assert all({"joy", "love"} & set(hit.document.emotions) for hit in both)


def test_mmr_returns_k_distinct_documents(store):
    hits = store.search("nervous about the exam tomorrow", emotions=["fear"], kinds=["activity"], k=4, mmr=True,
                        fetch_k=12, mmr_lambda=0.5)
    assert len({hit.id for hit in hits}) == 4
    assert all("fear" in hit.document.emotions for hit in hits)


def test_bad_queries_are_clear_errors(store):
    with pytest.raises(ValueError, match="unknown emotion 'rage'"):
        store.search("text", emotions=["rage"])
    with pytest.raises(ValueError, match="empty"):
        store.search("   ")
    with pytest.raises(ValueError, match="unknown document kind"):
        build_filter(None, ["poem"])


def test_unreachable_server_is_a_one_line_error():
    settings = RetrievalSettings.model_validate({"chroma": {"mode": "server", "port": 9}})
    with pytest.raises(StoreError, match=r"cannot reach the Chroma server at 127\.0\.0\.1:9"):
        KnowledgeStore(settings)


def test_query_set_references_real_documents_and_meets_hit_at_3(store):
    rows = read_jsonl(RETRIEVAL_QUERIES, ("text", "emotion", "relevant_ids"))
    ids = {doc.id for doc in load_knowledge_base(SHIPPED_KB)}
    assert len(rows) >= 80
    assert all(set(row["relevant_ids"]) <= ids for row in rows)
    result = evaluate_retrieval(store, RETRIEVAL_QUERIES, k=3)
    assert result["n"] == len(rows) and 0 < result["mrr"] <= 1
    assert result["hit_at_k"] >= 0.85, result["misses"]
