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


def write_cross_validation_report(output: Path, texts: list[str], labels: list[bool], scores: list[float],
                                  threshold: float) -> None:
    """Write the out-of-fold scores (JSONL) and the precision/recall curve with the chosen threshold."""
    with (output / SCORES_FILE).open("w", encoding="utf-8") as handle:
        for text, label, score in zip(texts, labels, scores, strict=True):
            handle.write(json.dumps({"score": round(score, 5), "crisis": label, "text": text}) + "\n")
    curve = precision_recall_curve(scores, labels)
    figure, ax = plt.subplots(figsize=(5.2, 4.2))
    ax.plot([r for _t, r, _p in curve], [p for _t, _r, p in curve], color="tab:blue")
    chosen = min(curve, key=lambda point: abs(point[0] - threshold))
    ax.scatter([chosen[1]], [chosen[2]], color="tab:red", zorder=3,
               label=f"threshold {threshold:.3f}: recall {chosen[1]:.3f}, precision {chosen[2]:.3f}")
    ax.set_xlabel("recall (out of fold)")
    ax.set_ylabel("precision (out of fold)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    ax.set_title("crisis model, cross-validation")
    figure.tight_layout()
    figure.savefig(output / PLOT_FILE, dpi=120)
    plt.close(figure)
