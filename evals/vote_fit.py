"""Choose the served vote's decision (member weights, six class offsets) on validation scores, honestly judged.

`python -m evals.vote_fit --report reports/selection-round20 --served served --members soup-r19a-r19b
shipped-baseline dair-only`

It reads the members' six-label probabilities from a harness run's ``predictions.jsonl`` (one folder per
validation set) and compares two levers with the served vote: (A) additive log-offsets per label on the vote of
the first two members at the served encoder weight, (B) a geometric mean of all members with the weights
searched on a grid, offsets refitted for each. Each lever is judged by two-fold cross-fitting: every set is
split in halves by a seeded shuffle, parameters are fitted on one half of every set and applied to the other, so
no row is scored by parameters chosen on it. The objective is the mean macro-F1 over the sets.
"""

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from evals.metrics import macro_f1, mcnemar_exact, paired_bootstrap
from evals.report import read_predictions
from llm.cli_support import command_settings, examples, fail, new_app, run
from llm.ensemble import SMALLEST_PROBABILITY
from llm.labels import EMOTIONS

OFFSET_GRID = np.round(np.arange(-1.5, 1.51, 0.1), 2)
WEIGHT_GRID = np.round(np.arange(0.0, 0.31, 0.05), 2)
ENCODER_GRID = np.round(np.arange(0.3, 0.61, 0.05), 2)


class VoteFitError(ValueError):
    """The report cannot be read for fitting; the message says why."""


@dataclass
class SetScores:
    """One validation set: gold label indices and each member's log-probabilities (rows x 6)."""

    name: str
    gold: np.ndarray
    logs: dict[str, np.ndarray]
    served: np.ndarray

    def subset(self, rows: np.ndarray) -> "SetScores":
        return SetScores(self.name, self.gold[rows], {m: v[rows] for m, v in self.logs.items()}, self.served[rows])


@dataclass
class Decision:
    """A vote's decision rule: a weight per member (summing to 1) and one additive log-offset per label."""

    weights: dict[str, float]
    offsets: list[float]

    def predict(self, scores: SetScores) -> np.ndarray:
        combined = sum(weight * scores.logs[member] for member, weight in self.weights.items() if weight)
        return np.argmax(combined + np.asarray(self.offsets), axis=1)


Fit = Callable[[list[SetScores]], Decision]  # fits a decision on some sets' rows


def read_report(report: Path, members: list[str], served: str) -> list[SetScores]:
    """Every set folder of a harness run that scored the served model and all ``members``."""
    runs = read_predictions(report)
    if not runs:
        raise VoteFitError(f"{report} holds no <set>/predictions.jsonl: run python -m evals with --output {report}")
    sets = []
    for name, rows in runs.items():
        missing = sorted({*members, served} - set(rows[0]["models"]))
        if missing:
            raise VoteFitError(f"{report / name} has no scores for {', '.join(missing)}")
        gold = np.array([EMOTIONS.index(row["gold"]) for row in rows])
        logs = {member: np.log(np.clip([[row["models"][member]["scores"][label] for label in EMOTIONS]
                                         for row in rows], SMALLEST_PROBABILITY, None)) for member in members}
        served_labels = np.array([EMOTIONS.index(row["models"][served]["predicted"]) for row in rows])
        sets.append(SetScores(name, gold, logs, served_labels))
    return sets


def mean_macro_f1(sets: list[SetScores], decision: Decision) -> float:
    return float(np.mean([macro_f1(s.gold, decision.predict(s)) for s in sets]))


def fit_offsets(sets: list[SetScores], weights: dict[str, float], passes: int = 3) -> Decision:
    """Coordinate search over the offset grid, one label at a time, keeping the best mean macro-F1."""
    decision = Decision(weights, [0.0] * len(EMOTIONS))
    best = mean_macro_f1(sets, decision)
    for _ in range(passes):
        improved = False
        for label in range(len(EMOTIONS)):
            for value in OFFSET_GRID:
                trial = Decision(weights, [*decision.offsets[:label], float(value), *decision.offsets[label + 1:]])
                score = mean_macro_f1(sets, trial)
                if score > best + 1e-12:
                    best, decision, improved = score, trial, True
        if not improved:
            break
    return decision


def fit_offsets_only(sets: list[SetScores], llm: str, encoder: str, encoder_weight: float) -> Decision:
    """Lever A: the served pair at its weight, offsets fitted."""
    return fit_offsets(sets, {llm: 1 - encoder_weight, encoder: encoder_weight})


def fit_weights_and_offsets(sets: list[SetScores], llm: str, encoder: str, third: str) -> Decision:
    """Lever B: the encoder's and the third member's weights on their grids, offsets fitted for each pair."""
    best, best_score = None, -1.0
    for encoder_weight in ENCODER_GRID:
        for third_weight in WEIGHT_GRID:
            weights = {llm: float(1 - encoder_weight - third_weight), encoder: float(encoder_weight),
                       third: float(third_weight)}
            decision = fit_offsets(sets, weights)
            score = mean_macro_f1(sets, decision)
            if score > best_score:
                best, best_score = decision, score
    return best


def halves(sets: list[SetScores], seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per set, two disjoint halves of its rows by a seeded shuffle."""
    rng = np.random.default_rng(seed)
    splits = []
    for scores in sets:
        order = rng.permutation(scores.gold.size)
        splits.append((np.sort(order[: order.size // 2]), np.sort(order[order.size // 2:])))
    return splits


def cross_fitted(sets: list[SetScores], fit: Fit, seed: int) -> list[np.ndarray]:
    """Each row predicted by the decision fitted on the other half of every set."""
    splits = halves(sets, seed)
    predictions = [np.empty_like(scores.gold) for scores in sets]
    for fold in (0, 1):
        train = [scores.subset(split[fold]) for scores, split in zip(sets, splits, strict=True)]
        decision = fit(train)
        for scores, split, out in zip(sets, splits, predictions, strict=True):
            rows = split[1 - fold]
            out[rows] = decision.predict(scores.subset(rows))
    return predictions


@dataclass
class LeverResult:
    """A lever's cross-fitted scores against the served vote, and its parameters refitted on all rows."""

    name: str
    cross_fitted_mean: float
    per_set: dict[str, dict]
    refitted: Decision
    refitted_mean: float


def judge(name: str, sets: list[SetScores], fit: Fit, seed: int) -> LeverResult:
    predictions = cross_fitted(sets, fit, seed)
    per_set = {}
    for scores, predicted in zip(sets, predictions, strict=True):
        paired = paired_bootstrap(scores.gold, scores.served, predicted, macro_f1)
        per_set[scores.name] = {"macro_f1": macro_f1(scores.gold, predicted),
                                "served_macro_f1": macro_f1(scores.gold, scores.served),
                                "served_minus_lever": paired, "mcnemar": mcnemar_exact(scores.gold, scores.served,
                                                                                       predicted)}
    refitted = fit(sets)
    mean = float(np.mean([entry["macro_f1"] for entry in per_set.values()]))
    return LeverResult(name, mean, per_set, refitted, mean_macro_f1(sets, refitted))


def markdown(results: list[LeverResult], sets: list[SetScores]) -> str:
    served_mean = float(np.mean([macro_f1(s.gold, s.served) for s in sets]))
    lines = [f"Served vote, mean macro-F1 over {len(sets)} sets: {served_mean:.5f}", "",
             "| lever | cross-fitted mean macro-F1 | gain | " + " | ".join(
                 f"{s.name}: served - lever [95% CI] (only served / only lever right)" for s in sets) + " |",
             "|---|---:|---:|" + "---|" * len(sets)]
    for result in results:
        cells = []
        for s in sets:
            entry = result.per_set[s.name]
            paired, mcnemar = entry["served_minus_lever"], entry["mcnemar"]
            cells.append(f"{paired['difference']:+.3f} [{paired['ci'][0]:+.3f}, {paired['ci'][1]:+.3f}] "
                         f"({mcnemar['only_a_correct']} / {mcnemar['only_b_correct']})")
        lines.append(f"| {result.name} | {result.cross_fitted_mean:.5f} | {result.cross_fitted_mean - served_mean:+.5f}"
                     f" | " + " | ".join(cells) + " |")
    lines.append("")
    for result in results:
        offsets = ", ".join(f"{label} {value:+.1f}" for label, value in zip(EMOTIONS, result.refitted.offsets,
                                                                           strict=True))
        lines.append(f"- {result.name}, refitted on all rows: weights {result.refitted.weights}, offsets {offsets}; "
                     f"mean macro-F1 on the rows it was fitted on {result.refitted_mean:.5f}")
    return "\n".join(lines) + "\n"


EXAMPLES = examples(
    "  python -m evals.vote_fit --report reports/selection-round20 --served served "
    "--members soup-r19a-r19b shipped-baseline dair-only")
MULTI_VALUE = ("--members",)
app = new_app(__doc__.splitlines()[0])


@app.command(help=__doc__.splitlines()[0], epilog=EXAMPLES, context_settings=command_settings())
def vote_fit(report: Annotated[Path, typer.Option(metavar="DIR", help="a harness run over the validation sets")],
             members: Annotated[list[str], typer.Option(metavar="NAME...", help="the vote's LLM, its encoder and "
                                                                                "optionally a third member")],
             served: Annotated[str, typer.Option(help="the served vote's name in the report")] = "served",
             encoder_weight: Annotated[float, typer.Option(help="the served vote's encoder weight")] = 0.5,
             seed: Annotated[int, typer.Option(help="the halves' shuffle")] = 0) -> None:
    if len(members) not in (2, 3):
        fail("give two members (the vote's LLM and encoder) or three (and a third voter)")
    try:
        sets = read_report(report, members, served)
    except VoteFitError as error:
        fail(str(error))
    llm, encoder = members[:2]
    results = [judge("A: class offsets", sets, lambda s: fit_offsets_only(s, llm, encoder, encoder_weight), seed)]
    if len(members) == 3:
        results.append(judge(f"B: + {members[2]}, weights and offsets", sets,
                             lambda s: fit_weights_and_offsets(s, llm, encoder, members[2]), seed))
    text = markdown(results, sets)
    (report / "vote_fit.md").write_text(text)
    (report / "vote_fit.json").write_text(json.dumps([asdict(result) for result in results], indent=1))
    typer.echo(text)


def main(argv: list[str] | None = None) -> int:
    return run(app, argv, "python -m evals.vote_fit", MULTI_VALUE)


if __name__ == "__main__":
    raise SystemExit(main())
