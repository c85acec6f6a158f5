"""The cross-validation record of a crisis model: out-of-fold scores and a precision/recall plot."""

import json
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt

matplotlib.use("Agg")  # files only: no display needed

SCORES_FILE = "cross_validation.jsonl"
PLOT_FILE = "precision_recall.png"


def precision_recall_curve(scores: list[float], labels: list[bool]) -> list[tuple[float, float, float]]:
    """(threshold, recall, precision) at every distinct score, from the highest threshold down."""
    positives = sum(labels)
    ranked = sorted(zip(scores, labels, strict=True), key=lambda pair: -pair[0])
    curve, true_positives = [], 0
    for rank, (score, label) in enumerate(ranked, 1):
        true_positives += label
        if rank == len(ranked) or ranked[rank][0] != score:
            curve.append((score, true_positives / max(1, positives), true_positives / rank))
    return curve


def write_cross_validation_report(output: Path, texts: list[str], labels: list[bool],
                                  scores: dict[str, list[float]], points: dict[str, dict], chosen: str) -> None:
    """Write the out-of-fold scores of every scoring mode (JSONL) and their precision/recall curves (the model
    alone), with the operating point of every screen (scoring mode x rules mode) marked and the chosen one
    drawn bold."""
    with (output / SCORES_FILE).open("w", encoding="utf-8") as handle:
        for row, (text, label) in enumerate(zip(texts, labels, strict=True)):
            row_scores = {mode: round(mode_scores[row], 5) for mode, mode_scores in scores.items()}
            handle.write(json.dumps({"scores": row_scores, "crisis": label, "text": text}) + "\n")
    figure, ax = plt.subplots(figsize=(5.6, 4.4))
    colors = dict(zip(scores, ("tab:blue", "tab:orange", "tab:green"), strict=False))
    for mode, mode_scores in scores.items():
        curve = precision_recall_curve(mode_scores, labels)
        ax.plot([r for _t, r, _p in curve], [p for _t, _r, p in curve], color=colors[mode],
                linewidth=2.2 if points[chosen]["scoring"] == mode else 1.0, label=f"{mode}: model alone")
    for name, point in points.items():
        ax.scatter([point["recall"]], [point["precision"]], color=colors[point["scoring"]], zorder=3,
                   marker="o" if point["rules"] == "beside" else "s", s=60 if name == chosen else 25,
                   label=f"{name}{' (chosen)' if name == chosen else ''} at {point['threshold']:.4f}: "
                         f"recall {point['recall']:.3f}, precision {point['precision']:.3f}")
    ax.set_xlabel("recall (out of fold)")
    ax.set_ylabel("precision (out of fold)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=6)
    ax.set_title("crisis model, cross-validation by screen")
    figure.tight_layout()
    figure.savefig(output / PLOT_FILE, dpi=120)
    plt.close(figure)
