"""The `emoai` command: `classify` here, the other subcommands run the `python -m <package>` entry points."""

import contextlib
import json
import runpy
import sys
from pathlib import Path
from typing import Annotated

import typer

from llm.cli_support import examples, new_app

EXAMPLES = examples(
    '  emoai classify "i feel so alone tonight" "What a lovely surprise!"',
    "  emoai classify --input entries.csv --output predictions.jsonl",
    '  emoai classify --config configs/models/smollm2-135m-lora.yaml --encoder none "first day at the new job"',
    "  emoai serve --port 8080",
    "  emoai evals --models baseline,llm-lora --split test",
    "  emoai finetune --config configs/finetune/smollm2-135m-lora.yaml training.max_steps=200",
    note="Every subcommand but classify is its `python -m <package>` entry point: emoai finetune --help is "
         "python -m finetune --help.")
app = new_app("emoai: emotion detection for journaling (classify, finetune, evals, retrieval, serve).", EXAMPLES,
              no_args_is_help=True)
PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


CLASSIFY_EXAMPLES = examples(
    '  emoai classify "i feel so alone tonight" "What a lovely surprise!"',
    "  emoai classify --input entries.jsonl --output predictions.jsonl",
    "  emoai classify --base-model smollm2-135m-instruct --adapter none --encoder none \"it rained all day\"",
    "  emoai classify --config configs/models/smollm2-135m-lora.yaml --batch-size 32 -i entries.txt | jq .emotion")


@app.command(epilog=CLASSIFY_EXAMPLES)
def classify(
    texts: Annotated[list[str] | None, typer.Argument(help="texts to classify")] = None,
    input: Annotated[Path | None, typer.Option("--input", "-i", help="JSONL (text field), CSV (text column) "
                                               "or plain text (one per line)")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write JSON lines here")] = None,
    config: Annotated[Path | None, typer.Option(help="model recipe (default: the served one, "
                                                "configs/models/smollm2-135m-ensemble.yaml)")] = None,
    base_model: Annotated[str | None, typer.Option(help="embedded name, local dir, .gguf, or hub id")] = None,
    adapter: Annotated[str | None, typer.Option(help="adapter dir, models:/ URI, 'shipped', or 'none'")] = None,
    encoder: Annotated[str | None, typer.Option(help="voting encoder dir, models:/ URI, 'shipped', or 'none' "
                                                "(the LLM alone)")] = None,
    backend: Annotated[str | None, typer.Option(help="transformers or vllm")] = None,
    batch_size: Annotated[int | None, typer.Option(help="texts per forward pass")] = None,
) -> None:
    """Classify texts; prints one JSON object per text (emotion, confidence, six scores, model)."""
    from pydantic import ValidationError

    from llm.classifier import ClassifierError
    from llm.config import SERVED_RECIPE
    from llm.factory import load_classifier, load_model_config
    from llm.io import InputError, check_texts, read_texts
    from llm.paths import project_path
    from llm.sources import ModelSourceError

    try:
        all_texts = list(texts or []) + (read_texts(input) if input else [])
        if not all_texts:
            _fail("give texts as arguments or --input FILE")
        check_texts(all_texts)
        overrides = {"base_model": base_model, "backend": backend, "batch_size": batch_size}
        model_config = load_model_config(str(config) if config else str(project_path(SERVED_RECIPE)), **overrides)
        for field, value in (("adapter", adapter), ("encoder", encoder)):
            if value is not None:
                model_config = model_config.model_copy(update={field: None if value.lower() == "none" else value})
        # stdout carries only the JSON lines: libraries loaded on the way (DeepSpeed, on a first run the GGUF
        # conversion) announce themselves on stdout, so they talk to stderr instead
        with contextlib.redirect_stdout(sys.stderr):
            classifier = load_classifier(model_config)
            predictions = _predict_with_progress(classifier, all_texts, show=input is not None)
    except (InputError, ClassifierError, ModelSourceError, FileNotFoundError, OSError, ValueError) as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if isinstance(error, ValidationError):
            message = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        _fail(message)
    lines = [json.dumps({"text": t, "emotion": p.emotion, "confidence": round(p.confidence, 6),
                         "scores": {k: round(v, 6) for k, v in p.scores.items()}, "model": p.model_version})
             for t, p in zip(all_texts, predictions, strict=True)]
    if output:
        output.write_text("\n".join(lines) + "\n", encoding="utf-8")
        typer.echo(f"wrote {len(lines)} predictions to {output}", err=True)
    else:
        typer.echo("\n".join(lines))


def _predict_with_progress(classifier, texts: list[str], show: bool):
    from tqdm.auto import tqdm

    chunk = 256
    predictions = []
    with tqdm(total=len(texts), desc="classifying", unit="text", disable=not show, file=sys.stderr) as bar:
        for start in range(0, len(texts), chunk):
            predictions += classifier.predict(texts[start:start + chunk])
            bar.update(min(chunk, len(texts) - start))
    return predictions


def _run_module(module: str, ctx: typer.Context) -> None:
    sys.argv = [f"python -m {module}", *ctx.args]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as done:
        raise typer.Exit(code=done.code if isinstance(done.code, int) else (0 if done.code is None else 1)) \
            from None


@app.command(context_settings=PASS_THROUGH)
def finetune(ctx: typer.Context) -> None:
    """LoRA fine-tuning: same as `python -m finetune ...`."""
    _run_module("finetune", ctx)


@app.command(context_settings=PASS_THROUGH)
def baseline(ctx: typer.Context) -> None:
    """Train the encoder baseline: same as `python -m finetune.baseline ...`."""
    _run_module("finetune.baseline", ctx)


@app.command(context_settings=PASS_THROUGH)
def evals(ctx: typer.Context) -> None:
    """The offline eval harness: same as `python -m evals ...`."""
    _run_module("evals", ctx)


@app.command(context_settings=PASS_THROUGH)
def retrieval(ctx: typer.Context) -> None:
    """Knowledge-base index and query: same as `python -m retrieval ...`."""
    _run_module("retrieval", ctx)


@app.command(context_settings=PASS_THROUGH)
def serve(ctx: typer.Context) -> None:
    """Start the API + journaling UI: same as `python -m serving ...`."""
    _run_module("serving", ctx)


@app.command(context_settings=PASS_THROUGH)
def rescore(ctx: typer.Context) -> None:
    """Re-score stored journal entries with a model version: same as `python -m serving.rescore ...`."""
    _run_module("serving.rescore", ctx)


if __name__ == "__main__":
    app()
