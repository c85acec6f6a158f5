"""Log an evaluation to MLflow: parameters, flat metrics and every report file as artifacts."""

from pathlib import Path

from evals.config import TrackingSettings
from llm.registry import configure_mlflow


def flat_metrics(results: dict) -> dict[str, float]:
    """metrics.json as MLflow metric keys, e.g. ``llm-lora/macro_f1``, ``llm-lora/f1_joy``, ``safety/recall``."""
    flat: dict[str, float] = {}
    for name, m in results["models"].items():
        for key in ("accuracy", "macro_f1", "weighted_f1", "ece", "throughput_per_s", "latency_ms_p50",
                    "latency_ms_p95"):
            flat[f"{name}/{key}"] = m[key]
        flat[f"{name}/error_rate"] = m["errors"]["rate"]
        for metric in ("accuracy", "macro_f1"):
            flat[f"{name}/{metric}_ci_low"], flat[f"{name}/{metric}_ci_high"] = m["ci"][metric]
        for label, scores in m["per_class"].items():
            flat[f"{name}/f1_{label}"] = scores["f1"]
        for variant, summary in m["robustness"].items():
            flat[f"{name}/flip_rate_{variant}"] = summary["flip_rate"]
    for section, keys in (("safety", ("recall", "precision")), ("retrieval", ("hit_at_k", "mrr"))):
        if results.get(section, {}).get("available"):
            flat.update({f"{section}/{k}": results[section][k] for k in keys})
    return {k: float(v) for k, v in flat.items() if v is not None}


def log_evaluation(results: dict, directory: Path, settings: TrackingSettings, run_name: str) -> str:
    """One MLflow run holding the evaluation; returns its run id."""
    mlflow = configure_mlflow(settings.tracking_uri)
    mlflow.set_experiment(settings.experiment)
    data = results["dataset"]
    with mlflow.start_run(run_name=run_name) as run:
        mlflow.log_params({"dataset.name": data["name"][:500], "dataset.split": data["split"], "dataset.n": data["n"],
                           "models": ",".join(results["models"]),
                           **{f"model.{name}.version": m["model"]["version"][:500]
                              for name, m in results["models"].items()}})
        mlflow.log_metrics(flat_metrics(results))
        if "gates" in results:
            mlflow.set_tag("gates", "passed" if results["gates"]["passed"] else "failed")
        mlflow.log_artifacts(str(directory))
        return run.info.run_id
