"""PNG plots of the evaluation (matplotlib, Agg backend: no display needed); imported only when writing."""

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

from llm.labels import EMOTIONS

matplotlib.use("Agg")  # files only: no display, no GUI toolkit


def _panels(count: int, width: float = 4.2, height: float = 4.0):
    figure, axes = plt.subplots(1, count, figsize=(width * count, height), squeeze=False)
    return figure, axes[0]


def plot_confusion_matrices(models: dict, path: Path) -> None:
    """One confusion matrix per model (cells: counts, shading: share of the gold row)."""
    figure, axes = _panels(len(models), 4.6, 4.4)
    for ax, (name, m) in zip(axes, models.items(), strict=True):
        matrix = np.array(m["confusion_matrix"]["matrix"], dtype=float)
        shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        for (row, col), count in np.ndenumerate(matrix):
            ax.text(col, row, int(count), ha="center", va="center", fontsize=8,
                    color="white" if shares[row, col] > 0.5 else "black")
        ax.set_xticks(range(len(EMOTIONS)), EMOTIONS, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(EMOTIONS)), EMOTIONS, fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold")
        ax.set_title(f"{name} (acc {m['accuracy']:.3f})", fontsize=10)
    _save(figure, path)


def plot_per_class_f1(models: dict, path: Path) -> None:
    """Grouped bars: F1 per label, one bar per model."""
    figure, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(EMOTIONS)), 3.8))
    width = 0.8 / len(models)
    for k, (name, m) in enumerate(models.items()):
        values = [m["per_class"][label]["f1"] for label in EMOTIONS]
        ax.bar(np.arange(len(EMOTIONS)) + (k - (len(models) - 1) / 2) * width, values, width, label=name)
    ax.set_xticks(range(len(EMOTIONS)), EMOTIONS)
    ax.set_ylim(0, 1)
    ax.set_ylabel("F1")
    ax.set_title("per-class F1")
    ax.legend(fontsize=8)
    _save(figure, path)


def plot_reliability(models: dict, path: Path) -> None:
    """One reliability diagram per model: accuracy per confidence bin against the diagonal."""
    figure, axes = _panels(len(models))
    for ax, (name, m) in zip(axes, models.items(), strict=True):
        bins = [b for b in m["calibration"]["bins"] if b["count"]]
        centres = [(b["lower"] + b["upper"]) / 2 for b in bins]
        widths = [b["upper"] - b["lower"] for b in bins]
        ax.bar(centres, [b["accuracy"] for b in bins], widths, edgecolor="black", alpha=0.7, label="accuracy")
        ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
        ax.plot(centres, [b["confidence"] for b in bins], "o", color="red", markersize=3, label="mean confidence")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("confidence")
        ax.set_ylabel("accuracy")
        ece = "n/a" if m["ece"] is None else f"{m['ece']:.3f}"
        ax.set_title(f"{name} (ECE {ece})", fontsize=10)
        ax.legend(fontsize=7, loc="upper left")
    _save(figure, path)


def _save(figure, path: Path) -> None:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_macro_f1_by_set(per_set: list[tuple[str, dict]], path: Path) -> None:
    """Grouped bars: macro-F1 with its confidence interval, per eval set, one bar per model."""
    models = list(dict.fromkeys(name for _, results in per_set for name in results["models"]))
    figure, ax = plt.subplots(figsize=(max(6.0, 2.2 * len(per_set)), 3.8))
    width = 0.8 / len(models)
    for k, name in enumerate(models):
        xs, values, errors = [], [], [[], []]
        for i, (_, results) in enumerate(per_set):
            m = results["models"].get(name)
            if m is None:
                continue
            low, high = m["ci"]["macro_f1"]
            xs.append(i - 0.4 + width * (k + 0.5))
            values.append(m["macro_f1"])
            errors[0].append(m["macro_f1"] - low)
            errors[1].append(high - m["macro_f1"])
        ax.bar(xs, values, width, yerr=errors, capsize=3, label=name)
    ax.set_xticks(range(len(per_set)), [label for label, _ in per_set], fontsize=9)
    ax.set_ylim(0, 1)
    ax.set_ylabel("macro-F1 (95% CI)")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(axis="y", alpha=0.3)
    _save(figure, path)
