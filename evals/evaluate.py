"""The evaluation itself: each model predicts each text once, then every metric is computed from those answers."""

import gc
import logging
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from evals import metrics, slices
from evals.config import EvalConfig, ModelSpec
from evals.dataset import EvalDataset
from evals.models import build_classifier, check_model
from evals.runner import RunResult, predict_all, single_text_latencies
from llm.classifier import Classifier
from llm.labels import EMOTIONS, LABEL_TO_ID
from llm.prediction import ModelInfo

log = logging.getLogger(__name__)


@dataclass
class ModelScores:
    """Everything one model answered: the main run, single-text latencies and the robustness variants."""

    name: str
    info: ModelInfo
    run: RunResult
    latencies_ms: list[float]
    robustness_indices: list[int] = field(default_factory=list)
    robustness: dict[str, RunResult] = field(default_factory=dict)

    @property
    def predicted(self) -> list[int]:
        """Label ids in input order, ``metrics.ERROR`` where the model failed."""
        return _label_ids(self.run)


def _label_ids(run: RunResult) -> list[int]:
    return [LABEL_TO_ID[p.emotion] if p is not None else metrics.ERROR for p in run.predictions]


def score_model(name: str, classifier: Classifier, batch_size: int, dataset: EvalDataset, config: EvalConfig,
                progress: bool = True) -> ModelScores:
    """Run one classifier over the dataset, its latency sample and its robustness variants."""
    texts = dataset.texts
    latencies = single_text_latencies(classifier, texts, config.runner.latency_samples, config.statistics.seed)
    run = predict_all(classifier, texts, batch_size, desc=name, progress=progress)
    scores = ModelScores(name, classifier.info, run, latencies)
    settings = config.slices
    if settings.robustness_limit and settings.robustness_variants:
        subset = slices.robustness_subset(len(texts), settings.robustness_limit, settings.seed)
        variant_texts = slices.variant_texts([texts[i] for i in subset], settings.robustness_variants)
        variant_run = predict_all(classifier, variant_texts, batch_size, desc=f"{name} robustness",
                                  progress=progress)
        scores.robustness_indices = subset
        for k, variant in enumerate(settings.robustness_variants):
            part = slice(k * len(subset), (k + 1) * len(subset))
            scores.robustness[variant] = RunResult(variant_run.predictions[part])
    return scores


def evaluate_models(specs: dict[str, ModelSpec], datasets: list[EvalDataset], config: EvalConfig,
                    progress: bool = True) -> list[list[ModelScores]]:
    """Check every model's files first, then load each model once, score every dataset with it and release it.

    Returns, per dataset (in order), the scores of every model.
    """
    for name, spec in specs.items():
        check_model(name, spec)
    results: list[list[ModelScores]] = [[] for _ in datasets]
    for name, spec in specs.items():
        log.info("loading %s", name)
        classifier = build_classifier(name, spec)
        for dataset, scores in zip(datasets, results, strict=True):
            log.info("scoring %d texts of %s with %s (%s)", len(dataset.examples), dataset.label, name,
                     classifier.info.version)
            scores.append(score_model(name, classifier, spec.batch_size, dataset, config, progress))
        del classifier
        gc.collect()
    return results


def summarise(dataset: EvalDataset, scores: list[ModelScores], config: EvalConfig) -> dict:
    """The metrics.json content for the dataset and the scored models (system checks are added by the caller)."""
    return {
        "dataset": {"name": dataset.name, "split": dataset.split, "n": len(dataset.examples)},
        "models": {s.name: model_metrics(dataset, s, config) for s in scores},
        "comparisons": [compare(dataset.gold, a, b, config) for a, b in combinations(scores, 2)],
    }


def model_metrics(dataset: EvalDataset, scores: ModelScores, config: EvalConfig) -> dict:
    """All metrics of one model on the dataset."""
    gold, predicted = dataset.gold, scores.predicted
    stats = config.statistics
    scored = [(p.confidence, LABEL_TO_ID[p.emotion] == g) for p, g in zip(scores.run.predictions, gold, strict=True)
              if p is not None]
    confidence, correct = [c for c, _ in scored], [h for _, h in scored]
    n = len(gold)
    failures = scores.run.failures
    ci = {name: list(metrics.bootstrap_ci(gold, predicted, fn, stats.bootstrap_resamples,
                                          stats.confidence_level, stats.seed))
          for name, fn in (("accuracy", metrics.accuracy), ("macro_f1", metrics.macro_f1))}
    return {
        "accuracy": metrics.accuracy(gold, predicted),
        "macro_f1": metrics.macro_f1(gold, predicted),
        "weighted_f1": metrics.weighted_f1(gold, predicted),
        "ece": metrics.expected_calibration_error(confidence, correct, stats.calibration_bins) if scored else None,
        "throughput_per_s": n / scores.run.seconds if scores.run.seconds else None,
        "latency_ms_p50": _percentile(scores.latencies_ms, 50),
        "latency_ms_p95": _percentile(scores.latencies_ms, 95),
        "n": n,
        "per_class": metrics.per_class(gold, predicted),
        "ci": {**ci, "level": stats.confidence_level, "resamples": stats.bootstrap_resamples,
               "method": "percentile bootstrap"},
        "model": {"version": scores.info.version, "backend": scores.info.backend,
                  "base_model": scores.info.base_model, "adapter": scores.info.adapter},
        "errors": {"count": len(failures), "rate": len(failures) / n,
                   "examples": [{"index": f.index, "text": f.text, "error": f.error}
                                for f in failures[: config.runner.error_examples]]},
        "confusion_matrix": {"labels": list(EMOTIONS), "rows": "gold", "columns": "predicted",
                             "matrix": metrics.confusion_matrix(gold, predicted)},
        "calibration": {"bins": metrics.reliability_bins(confidence, correct, stats.calibration_bins)},
        "latency": {"samples": len(scores.latencies_ms), "method": "one text per request"},
        "slices": {"length_words": slices.length_slices(dataset.texts, gold, predicted,
                                                        config.slices.length_buckets)},
        "robustness": _robustness(gold, predicted, scores),
    }


def _robustness(gold: list[int], predicted: list[int], scores: ModelScores) -> dict:
    subset = scores.robustness_indices
    if not subset:
        return {}
    subset_gold, original = [gold[i] for i in subset], [predicted[i] for i in subset]
    return {variant: slices.flip_summary(original, _label_ids(run), subset_gold)
            for variant, run in scores.robustness.items()}


def compare(gold: list[int], a: ModelScores, b: ModelScores, config: EvalConfig) -> dict:
    """Paired tests of two models on the same texts: exact McNemar (accuracy) and paired bootstrap (macro-F1)."""
    stats = config.statistics
    return {
        "a": a.name, "b": b.name,
        "mcnemar": metrics.mcnemar_exact(gold, a.predicted, b.predicted),
        "macro_f1_difference": metrics.paired_bootstrap(gold, a.predicted, b.predicted, metrics.macro_f1,
                                                        stats.bootstrap_resamples, stats.confidence_level,
                                                        stats.seed),
    }


def _percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None
