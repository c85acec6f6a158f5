"""Pure metric functions over label ids (0-5); a prediction of ERROR (-1) is an input the model failed on.

A failed input counts as wrong: it lowers accuracy and the recall of its gold class, so a model
can never score better by crashing. Calibration is measured on the inputs that were scored.
"""

import math
from collections.abc import Callable, Sequence

import numpy as np

from llm.labels import EMOTIONS

ERROR = -1
N_LABELS = len(EMOTIONS)


def _arrays(gold: Sequence[int], predicted: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    gold_a, pred_a = np.asarray(gold, dtype=int), np.asarray(predicted, dtype=int)
    if gold_a.shape != pred_a.shape or gold_a.ndim != 1:
        raise ValueError(f"gold and predicted differ in length ({gold_a.size} vs {pred_a.size})")
    if gold_a.size == 0:
        raise ValueError("no examples to score")
    return gold_a, pred_a


def accuracy(gold: Sequence[int], predicted: Sequence[int]) -> float:
    """Share of exact matches (failed inputs are wrong)."""
    gold_a, pred_a = _arrays(gold, predicted)
    return float((gold_a == pred_a).mean())


def confusion_matrix(gold: Sequence[int], predicted: Sequence[int]) -> list[list[int]]:
    """6x6 counts, rows = gold, columns = predicted; failed inputs are left out (counted elsewhere)."""
    gold_a, pred_a = _arrays(gold, predicted)
    ok = pred_a != ERROR
    counts = np.bincount(gold_a[ok] * N_LABELS + pred_a[ok], minlength=N_LABELS * N_LABELS)
    return counts.reshape(N_LABELS, N_LABELS).tolist()


def per_class(gold: Sequence[int], predicted: Sequence[int]) -> dict[str, dict[str, float | int]]:
    """Precision, recall, F1 and support per label (0 where a ratio is undefined, as sklearn's zero_division=0)."""
    gold_a, pred_a = _arrays(gold, predicted)
    return {EMOTIONS[c]: _class_scores(gold_a, pred_a, c) for c in range(N_LABELS)}


def _class_scores(gold: np.ndarray, pred: np.ndarray, c: int) -> dict[str, float | int]:
    tp = int(((gold == c) & (pred == c)).sum())
    predicted_c, support = int((pred == c).sum()), int((gold == c).sum())
    precision = tp / predicted_c if predicted_c else 0.0
    recall = tp / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}


def _present_labels(gold: np.ndarray, pred: np.ndarray) -> list[int]:
    """Labels that occur in gold or in the (non-failed) predictions: sklearn's default label set."""
    return sorted(set(gold.tolist()) | set(pred[pred != ERROR].tolist()))


def macro_f1(gold: Sequence[int], predicted: Sequence[int]) -> float:
    """Unweighted mean F1 over the labels present in gold or predictions."""
    gold_a, pred_a = _arrays(gold, predicted)
    return float(np.mean([_class_scores(gold_a, pred_a, c)["f1"] for c in _present_labels(gold_a, pred_a)]))


def weighted_f1(gold: Sequence[int], predicted: Sequence[int]) -> float:
    """Mean F1 weighted by gold support."""
    gold_a, pred_a = _arrays(gold, predicted)
    labels = _present_labels(gold_a, pred_a)
    scores = [_class_scores(gold_a, pred_a, c) for c in labels]
    return float(sum(s["f1"] * s["support"] for s in scores) / gold_a.size)


def _bin_index(confidence: np.ndarray, n_bins: int) -> np.ndarray:
    """Equal-width bins over (0, 1]: bin b holds confidences in (b/n, (b+1)/n]; 0 falls in the first bin."""
    edges = np.arange(n_bins + 1) / n_bins
    return np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, n_bins - 1)


def reliability_bins(confidence: Sequence[float], correct: Sequence[bool], n_bins: int = 15) -> list[dict]:
    """Per equal-width confidence bin: its edges, count, mean confidence and accuracy (None when empty)."""
    conf, hit = np.asarray(confidence, dtype=float), np.asarray(correct, dtype=bool)
    if conf.shape != hit.shape:
        raise ValueError("confidence and correct differ in length")
    index = _bin_index(conf, n_bins)
    bins = []
    for b in range(n_bins):
        members = index == b
        count = int(members.sum())
        bins.append({"lower": b / n_bins, "upper": (b + 1) / n_bins, "count": count,
                     "confidence": float(conf[members].mean()) if count else None,
                     "accuracy": float(hit[members].mean()) if count else None})
    return bins


def expected_calibration_error(confidence: Sequence[float], correct: Sequence[bool], n_bins: int = 15) -> float:
    """ECE: sum over equal-width bins of (bin share) x |bin accuracy - bin mean confidence|."""
    total = len(confidence)
    if total == 0:
        raise ValueError("no scored predictions to calibrate")
    return float(sum(b["count"] / total * abs(b["accuracy"] - b["confidence"])
                     for b in reliability_bins(confidence, correct, n_bins) if b["count"]))


Statistic = Callable[[np.ndarray, np.ndarray], float]


def bootstrap_ci(gold: Sequence[int], predicted: Sequence[int], statistic: Statistic, resamples: int = 1000,
                 level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic(gold, predicted)``, resampling examples with a seeded RNG."""
    gold_a, pred_a = _arrays(gold, predicted)
    indices = np.random.default_rng(seed).integers(0, gold_a.size, size=(resamples, gold_a.size))
    values = np.array([statistic(gold_a[i], pred_a[i]) for i in indices])
    return _percentiles(values, level)


def _percentiles(values: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def mcnemar_exact(gold: Sequence[int], predicted_a: Sequence[int], predicted_b: Sequence[int]) -> dict:
    """Exact two-sided McNemar test on the texts where exactly one of two models is right."""
    gold_a, a = _arrays(gold, predicted_a)
    _, b = _arrays(gold, predicted_b)
    only_a = int(((a == gold_a) & (b != gold_a)).sum())
    only_b = int(((b == gold_a) & (a != gold_a)).sum())
    discordant = only_a + only_b
    tail = sum(math.comb(discordant, k) for k in range(min(only_a, only_b) + 1)) / 2 ** discordant
    return {"only_a_correct": only_a, "only_b_correct": only_b, "p_value": min(1.0, 2 * tail)}


def paired_bootstrap(gold: Sequence[int], predicted_a: Sequence[int], predicted_b: Sequence[int],
                     statistic: Statistic, resamples: int = 1000, level: float = 0.95, seed: int = 0) -> dict:
    """Difference statistic(a) - statistic(b) on the same resampled texts: its interval and a two-sided p-value."""
    gold_a, a = _arrays(gold, predicted_a)
    _, b = _arrays(gold, predicted_b)
    indices = np.random.default_rng(seed).integers(0, gold_a.size, size=(resamples, gold_a.size))
    deltas = np.array([statistic(gold_a[i], a[i]) - statistic(gold_a[i], b[i]) for i in indices])
    low, high = _percentiles(deltas, level)
    # share of resamples on the other side of zero, doubled (with the +1 correction it is never 0)
    opposite = min((deltas <= 0).sum(), (deltas >= 0).sum())
    p_value = min(1.0, 2 * (opposite + 1) / (resamples + 1))
    return {"difference": statistic(gold_a, a) - statistic(gold_a, b), "ci": [low, high], "p_value": p_value}


def by_split(rows: list[dict], measure: Callable[[list[dict]], dict]) -> dict:
    """``measure`` over all rows and, when rows carry a ``split``, over each split (under ``"splits"``)."""
    result = measure(rows)
    splits = sorted({row.get("split") for row in rows if row.get("split")})
    if splits:
        result["splits"] = {split: measure([row for row in rows if row.get("split") == split]) for split in splits}
    return result
