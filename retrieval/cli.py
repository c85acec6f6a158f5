"""`python -m retrieval`: build/update the knowledge index and query it from the command line."""

import time
from pathlib import Path
from typing import Annotated

import typer

from llm.cli_support import examples, new_app
from llm.embeddings import EmbeddingModelError
from retrieval.documents import KnowledgeBaseError, load_knowledge_base
from retrieval.settings import load_settings
from retrieval.store import KnowledgeStore, StoreError

INDEX_EXAMPLES = ("  python -m retrieval index",
                  "  python -m retrieval index --rebuild --config configs/retrieval.yaml")
QUERY_EXAMPLES = ('  python -m retrieval query "i cannot stop worrying about tomorrow" --emotion fear -k 5',
                  '  python -m retrieval query "a lovely day with friends" --kind activity --mmr')
app = new_app("Index the curated knowledge base into ChromaDB and search it.",
              examples(*INDEX_EXAMPLES, *QUERY_EXAMPLES), no_args_is_help=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", help="retrieval settings YAML "
                                                      "(default: configs/retrieval.yaml)")]
_ERRORS = (KnowledgeBaseError, EmbeddingModelError, StoreError, ValueError, FileNotFoundError)


def _fail(err: Exception) -> None:
    typer.echo(f"error: {err}", err=True)
    raise typer.Exit(code=2)


@app.command(epilog=examples(*INDEX_EXAMPLES))
def index(config: ConfigOption = None,
          rebuild: Annotated[bool, typer.Option("--rebuild", help="drop the collection first")] = False) -> None:
    """Build or incrementally update the Chroma collection from retrieval/kb/."""
    try:
        settings = load_settings(config)
        documents = load_knowledge_base(settings.kb_path)
        started = time.perf_counter()
        store = KnowledgeStore.open(settings)
        if rebuild:
            store.reset()
        report = store.index(documents, progress=True)
    except _ERRORS as err:
        _fail(err)
    where = settings.chroma.path if settings.chroma.mode == "embedded" else f"{settings.chroma.host}:{settings.chroma.port}"
    typer.echo(f"indexed {len(documents)} documents into {settings.chroma.collection!r} ({settings.chroma.mode}, "
               f"{where}): {report.summary()} in {time.perf_counter() - started:.1f}s")


@app.command(epilog=examples(*QUERY_EXAMPLES))
def query(text: Annotated[str, typer.Argument(help="the text to search for, e.g. a journal entry")],
          emotion: Annotated[list[str] | None, typer.Option("--emotion", help="only documents tagged with "
                                                               "this emotion (repeatable)")] = None,
          kind: Annotated[list[str] | None, typer.Option("--kind", help="explanation, activity or prompt "
                                                            "(repeatable)")] = None,
          k: Annotated[int, typer.Option("-k", help="how many hits")] = 3,
          mmr: Annotated[bool, typer.Option("--mmr/--no-mmr", help="diversify hits with MMR")] = False,
          config: ConfigOption = None) -> None:
    """Print the best-matching documents with their ids and cosine similarity scores."""
    try:
        settings = load_settings(config)
        store = KnowledgeStore.open(settings)
        if store.count() == 0:
            raise StoreError("the collection is empty: run `python -m retrieval index` first")
        hits = store.search(text, emotions=emotion, kinds=kind, k=k, mmr=mmr, fetch_k=max(k, settings.search.fetch_k),
                            mmr_lambda=settings.search.mmr_lambda)
    except _ERRORS as err:
        _fail(err)
    if not hits:
        typer.echo("no matching documents")
    for rank, hit in enumerate(hits, 1):
        typer.echo(f"{rank}. {hit.id}  score={hit.score:.3f}  [{hit.kind}] {hit.title}")
