"""The knowledge store: a ChromaDB collection (embedded or server) behind a LangChain ``Chroma`` vectorstore.

Documents keep their human-readable ids; a content hash in the metadata tells whether a document changed,
so re-indexing only embeds what is new or edited and deletes what left the knowledge base.
"""

from collections.abc import Sequence

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaClientSettings
from langchain_chroma import Chroma
from langchain_chroma.vectorstores import maximal_marginal_relevance
from langchain_core.embeddings import Embeddings
from pydantic import BaseModel, TypeAdapter
from tqdm.auto import tqdm

from llm.embeddings import load_embeddings
from llm.labels import EMOTIONS
from retrieval.documents import KINDS, ActivityDoc, ExplanationDoc, KBDocument, PromptDoc
from retrieval.settings import ChromaSettings, RetrievalSettings

_DOC_SCHEMA = TypeAdapter(KBDocument)
_BATCH = 32


class StoreError(RuntimeError):
    """The vector store cannot be reached or used; the message says what to do."""


class IndexReport(BaseModel):
    """What one indexing run changed, by document id."""

    added: list[str] = []
    updated: list[str] = []
    deleted: list[str] = []
    unchanged: list[str] = []

    def summary(self) -> str:
        """One line with the counts."""
        return (f"added {len(self.added)}, updated {len(self.updated)}, deleted {len(self.deleted)}, "
                f"unchanged {len(self.unchanged)}")


class SearchHit(BaseModel):
    """One retrieved document with its cosine similarity to the query."""

    id: str
    kind: str
    title: str
    score: float
    document: ExplanationDoc | ActivityDoc | PromptDoc


def open_client(chroma: ChromaSettings) -> chromadb.ClientAPI:
    """An embedded PersistentClient or an HttpClient to a `chroma run` server, per the settings."""
    client_settings = ChromaClientSettings(anonymized_telemetry=False)
    if chroma.mode == "embedded":
        return chromadb.PersistentClient(path=chroma.path, settings=client_settings)
    try:
        client = chromadb.HttpClient(host=chroma.host, port=chroma.port, settings=client_settings)
        client.heartbeat()
    except Exception as err:  # chromadb raises several connection error types
        raise StoreError(
            f"cannot reach the Chroma server at {chroma.host}:{chroma.port} ({err.__class__.__name__}); "
            f"start one with `chroma run --path .chroma-server --host {chroma.host} --port {chroma.port}`"
        ) from None
    return client


def _metadata(doc: ExplanationDoc | ActivityDoc | PromptDoc) -> dict:
    tags = set(doc.emotion_tags)
    return {
        "kind": doc.kind,
        "title": doc.title,
        "source": doc.source,
        "emotions": ",".join(doc.emotion_tags),
        "content_hash": doc.content_hash(),
        "doc": doc.model_dump_json(),
        **{f"emo_{emotion}": emotion in tags for emotion in EMOTIONS},
    }


def build_filter(emotions: Sequence[str] | None, kinds: Sequence[str] | None) -> dict | None:
    """A Chroma ``where`` clause for documents tagged with any of ``emotions`` and of any of ``kinds``."""
    clauses = []
    if emotions:
        unknown = sorted(set(emotions) - set(EMOTIONS))
        if unknown:
            raise ValueError(f"unknown emotion {unknown[0]!r}; expected one of {', '.join(EMOTIONS)}")
        parts = [{f"emo_{emotion}": True} for emotion in dict.fromkeys(emotions)]
        clauses.append(parts[0] if len(parts) == 1 else {"$or": parts})
    if kinds:
        unknown = sorted(set(kinds) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown document kind {unknown[0]!r}; expected one of {', '.join(KINDS)}")
        clauses.append({"kind": {"$in": list(dict.fromkeys(kinds))}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class KnowledgeStore:
    """Index and search the knowledge base in one Chroma collection."""

    def __init__(self, settings: RetrievalSettings, client: chromadb.ClientAPI | None = None,
                 embeddings: Embeddings | None = None) -> None:
        """Open (or create) the configured collection; ``client``/``embeddings`` override the settings."""
        self.settings = settings
        self.client = client if client is not None else open_client(settings.chroma)
        self.collection_name = settings.chroma.collection
        self.embeddings = embeddings if embeddings is not None else load_embeddings(settings.embedding_model)
        self.vectorstore = self._vectorstore()

    @classmethod
    def open(cls, settings: RetrievalSettings) -> "KnowledgeStore":
        """Open (or create) the configured collection with the configured embedding model."""
        return cls(settings)

    def _vectorstore(self) -> Chroma:
        return Chroma(client=self.client, collection_name=self.collection_name, embedding_function=self.embeddings,
                      collection_metadata={"hnsw:space": "cosine"})

    def count(self) -> int:
        """How many documents the collection holds."""
        return self.vectorstore._collection.count()

    def reset(self) -> None:
        """Drop the collection and start empty (for `index --rebuild`)."""
        self.vectorstore.delete_collection()
        self.vectorstore = self._vectorstore()

    def index(self, documents: Sequence[ExplanationDoc | ActivityDoc | PromptDoc],
              progress: bool = False) -> IndexReport:
        """Bring the collection in line with ``documents``: embed new/changed ones, delete removed ones."""
        collection = self.vectorstore._collection
        existing = collection.get(include=["metadatas"])
        stored = {id_: (meta or {}).get("content_hash") for id_, meta in zip(existing["ids"], existing["metadatas"], strict=True)}
        report = IndexReport()
        to_write = []
        for doc in documents:
            if doc.id not in stored:
                report.added.append(doc.id)
                to_write.append(doc)
            elif stored[doc.id] != doc.content_hash():
                report.updated.append(doc.id)
                to_write.append(doc)
            else:
                report.unchanged.append(doc.id)
        wanted = {doc.id for doc in documents}
        report.deleted = sorted(set(stored) - wanted)
        if report.deleted:
            self.vectorstore.delete(ids=report.deleted)
        with tqdm(total=len(to_write), desc="embedding documents", unit="doc", disable=not progress) as bar:
            for start in range(0, len(to_write), _BATCH):
                batch = to_write[start:start + _BATCH]
                self.vectorstore.add_texts(texts=[doc.text() for doc in batch],
                                           metadatas=[_metadata(doc) for doc in batch],
                                           ids=[doc.id for doc in batch])
                bar.update(len(batch))
        return report

    def catalogue(self, kind: str) -> dict[str, str]:
        """Every stored document of one kind, as id -> title."""
        rows = self.vectorstore._collection.get(where={"kind": kind}, include=["metadatas"])
        return {id_: meta["title"] for id_, meta in zip(rows["ids"], rows["metadatas"], strict=True)}

    def search(self, text: str, emotions: Sequence[str] | None = None, kinds: Sequence[str] | None = None,
               k: int = 3, mmr: bool = True, fetch_k: int = 12, mmr_lambda: float = 0.6) -> list[SearchHit]:
        """The ``k`` documents most similar to ``text`` (optionally filtered), diversified with MMR if asked.

        Hits come in rank order with their cosine similarity to the query.
        """
        if not text.strip():
            raise ValueError("the search text is empty")
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        query = self.embeddings.embed_query(text)
        n_results = max(k, fetch_k) if mmr else k
        try:
            result = self.vectorstore._collection.query(
                query_embeddings=[query], n_results=n_results, where=build_filter(emotions, kinds),
                include=["metadatas", "distances", "embeddings"] if mmr else ["metadatas", "distances"])
        except Exception as err:
            if isinstance(err, ValueError):
                raise
            raise StoreError(f"search failed in collection {self.collection_name!r}: {err}") from None
        metadatas, distances = result["metadatas"][0], result["distances"][0]
        order = list(range(len(metadatas)))
        if mmr and len(order) > 1:
            order = maximal_marginal_relevance(np.asarray(query, dtype=np.float32), result["embeddings"][0],
                                               lambda_mult=mmr_lambda, k=min(k, len(order)))
        hits = []
        for i in order[:k]:
            meta = metadatas[i]
            hits.append(SearchHit(id=result["ids"][0][i], kind=meta["kind"], title=meta["title"],
                                  score=round(1.0 - float(distances[i]), 6),
                                  document=_DOC_SCHEMA.validate_json(meta["doc"])))
        return hits
