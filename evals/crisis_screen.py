"""The crisis screen's quality: recall and precision per labelled split, and how often it flags ordinary entries.

Both read the sets of data/crisis/manifest.yaml (``llm.safety.sets``): the labelled splits (rows carry a ``split``;
results are reported overall and per split) and the ordinary entries with no risk. The eval harness reports it
(``system_checks.crisis_model``); ``python -m evals.crisis_screen [--model shipped]`` prints it.
"""

import contextlib
import sys
from pathlib import Path
from typing import Annotated

import typer
from tqdm.auto import tqdm

from evals.metrics import by_split
from llm.cli_support import command_settings, examples, new_app, run
from llm.datasets import DatasetError, load_split
from llm.io import read_jsonl
from llm.safety import CrisisModelError, SafetyResult, describe_screen, matched_rules, screen_many
from llm.safety.sets import crisis_sets, labelled_file, ordinary_sets

SCREEN_CHUNK = 64  # texts per call of the learned screen: batched, with a progress bar that moves


def screen_texts(texts: list[str], model: str | None, desc: str, progress: bool = True) -> list[SafetyResult]:
    """The screen's verdict on every text, in chunks, with a progress bar."""
    results: list[SafetyResult] = []
    with tqdm(total=len(texts), desc=desc, unit="text", disable=not progress, leave=False) as bar:
        for start in range(0, len(texts), SCREEN_CHUNK):
            chunk = texts[start:start + SCREEN_CHUNK]
            results += screen_many(chunk, model=model)
            bar.update(len(chunk))
    return results


def evaluate_crisis_screen(path: str | Path | None = None, model: str | None = None, progress: bool = True) -> dict:
    """Recall and precision of ``llm.safety.screen`` on the labelled crisis set (default: the manifest's labelled
    file), with the errors listed.

    Besides the screen as a whole, ``components`` measures the rules and the learned model on their own (the
    rules are measured even when the model decides alone).
    """
    rows = read_jsonl(path or labelled_file(crisis_sets()), ("text", "crisis"))
    results = screen_texts([row["text"] for row in rows], model, "crisis screen", progress)
    for row, result in zip(rows, results, strict=True):
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

    result = by_split(rows, measure)
    result["false_negatives"] = [{"text": r["text"], "kind": r.get("kind")} for r in rows
                                 if r["crisis"] and not r["_flags"]["screen"]]
    result["false_positives"] = [{"text": r["text"], "kind": r.get("kind")} for r in rows
                                 if r["_flags"]["screen"] and not r["crisis"]]
    return result


def everyday_flag_rates(model: str | None = None, emotion_split: str | None = "test") -> dict:
    """How often the screen flags everyday writing that holds no risk: the manifest's ordinary sets (the
    journal-style entries of the retrieval query set, the everyday journal sets) and, when the emotion dataset can
    be loaded, one of its splits.

    Every flag there replaces a person's activity suggestions with crisis resources, so this is the
    cost side of the screen's recall.
    """
    sets = {name: [row["text"] for row in entry.read()] for name, entry in ordinary_sets(crisis_sets()).items()}
    if emotion_split:
        with contextlib.suppress(DatasetError):  # no local copy and no hub access: the journal entries still count
            sets[f"emotion_{emotion_split}"] = [example.text for example in load_split(emotion_split)]
    rates = {}
    for name, texts in sets.items():
        flagged = sum(result.crisis for result in screen_texts(texts, model, name))
        rates[name] = {"n": len(texts), "flagged": flagged, "rate": flagged / len(texts)}
    return rates


EXAMPLES = examples("  python -m evals.crisis_screen --model shipped",
                    "  python -m evals.crisis_screen --no-everyday",
                    note="--model shipped measures the default screen; without --model, the rules alone.")
app = new_app("Recall and precision of the crisis screen per labelled split, and how often it flags ordinary "
              "entries.", EXAMPLES)


@app.command(epilog=EXAMPLES, context_settings=command_settings())
def measure(
    model: Annotated[str | None, typer.Option("--model", help="learned crisis screen: 'shipped' (the shipped panel) "
                                                            "or a model or panel directory (default: rules only)")]
    = None,
    everyday: Annotated[bool, typer.Option("--everyday/--no-everyday", help="also count flags on the ordinary entries "
                                                                           "and the emotion dataset's test split")]
    = True,
) -> None:
    """Recall and precision of the crisis screen per labelled split, and how often it flags ordinary entries."""
    try:
        result = evaluate_crisis_screen(model=model)
        rates = everyday_flag_rates(model) if everyday else {}
    except (CrisisModelError, ValueError, FileNotFoundError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(f"crisis screen: {describe_screen(model)}")
    typer.echo(f"{'split':<10} {'n':>5} {'risk':>5} {'flagged':>7} {'recall':>7} {'precision':>9}")
    for split, scores in {**result.get("splits", {}), "all": result}.items():
        typer.echo(f"{split:<10} {scores['n']:>5} {scores['positives']:>5} {scores['flagged']:>7} "
                   f"{scores['recall']:>7.3f} {scores['precision']:>9.3f}")
    for name, rate in rates.items():
        typer.echo(f"everyday {name}: {rate['flagged']} / {rate['n']} flagged ({rate['rate']:.2%})")


def main(argv: list[str] | None = None) -> int:
    return run(app, argv, "python -m evals.crisis_screen")


if __name__ == "__main__":
    sys.exit(main())
