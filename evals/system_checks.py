"""Model-independent checks of the service: the crisis screen and the knowledge-base retrieval.

They use the project's own labelled sets (data/crisis/ for the screen, evals/datasets/ for retrieval) and the
retrieval package; when either is missing the section says "not available" and why, instead of failing the whole
evaluation.
"""

from pathlib import Path

from evals.config import SystemChecks
from llm.paths import shown_path


def crisis_screen(settings: SystemChecks, progress: bool = True) -> dict:
    """Recall and precision of the crisis screen on the labelled crisis set."""
    path = Path(settings.crisis_set or "data/crisis/manifest.yaml")
    try:
        from evals.crisis_screen import evaluate_crisis_screen
        from llm.safety.sets import crisis_sets, labelled_file

        path = Path(settings.crisis_set) if settings.crisis_set else labelled_file(crisis_sets())
        return {"available": True, "path": shown_path(path), **evaluate_crisis_screen(path, model=settings.crisis_model,
                                                                                 progress=progress)}
    except (ImportError, FileNotFoundError, ValueError) as error:  # ValueError: a crisis model that fails to load
        return _not_available(path, error)


def retrieval_quality(settings: SystemChecks) -> dict:
    """hit@k and MRR of the configured knowledge store (brought up to date first) on the labelled query set."""
    path = Path(settings.retrieval_queries)
    try:
        from evals.retrieval_quality import evaluate_retrieval
        from retrieval.documents import load_knowledge_base
        from retrieval.settings import load_settings
        from retrieval.store import KnowledgeStore

        if not path.is_file():
            raise FileNotFoundError(f"{path} not found")
        retrieval_settings = load_settings()
        store = KnowledgeStore.open(retrieval_settings)
        # indexing is incremental: the measurement is of the knowledge base as it is now
        store.index(load_knowledge_base(retrieval_settings.kb_path))
        return {"available": True, "path": shown_path(path), "k": settings.retrieval_k,
                **evaluate_retrieval(store, path, k=settings.retrieval_k)}
    except (ImportError, FileNotFoundError) as error:
        return _not_available(path, error)


def _not_available(path: Path, error: Exception) -> dict:
    if isinstance(error, FileNotFoundError):
        reason = f"{path} not found"
    elif isinstance(error, ImportError):
        reason = f"module missing ({error})"
    else:
        reason = f"crisis model failed to load ({error})"
    return {"available": False, "reason": reason}
