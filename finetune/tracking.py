"""MLflow tracking for training runs: params, the resolved config, metrics, artifacts, registry."""

import logging
from pathlib import Path
from typing import Any

from llm.registry import configure_mlflow

log = logging.getLogger(__name__)

CHALLENGER_ALIAS = "challenger"


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested config -> {'training.learning_rate': 0.0002, ...} for mlflow.log_params."""
    flat = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


class RunTracker:
    """One MLflow run; every method is a no-op when tracking is off (e.g. on non-zero ranks)."""

    def __init__(self, enabled: bool, tracking_uri: str | None, experiment: str, run_name: str | None,
                 config: dict[str, Any], run_id: str | None = None) -> None:
        self.enabled = enabled
        self.run_id = run_id
        if not enabled:
            return
        self.mlflow = configure_mlflow(tracking_uri)
        self.mlflow.set_experiment(experiment)
        run = self.mlflow.start_run(run_id=run_id, run_name=run_name)
        self.run_id = run.info.run_id
        if run_id is None:  # a resumed run already has its params
            self.mlflow.log_params({k: str(v)[:500] for k, v in flatten(config).items()})
            self.mlflow.log_dict(config, "config.yaml")

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        if self.enabled:
            self.mlflow.log_metrics(metrics, step=step)

    def log_artifacts(self, directory: Path, artifact_path: str) -> None:
        if self.enabled:
            self.mlflow.log_artifacts(str(directory), artifact_path)

    def register(self, artifact_path: str, name: str, alias: str = CHALLENGER_ALIAS) -> str | None:
        """Register logged artifacts as a new version of ``name`` and point ``alias`` at it."""
        if not self.enabled:
            return None
        client = self.mlflow.MlflowClient()
        if not client.search_registered_models(filter_string=f"name = '{name}'"):
            client.create_registered_model(name)
        source = f"{self.mlflow.get_run(self.run_id).info.artifact_uri}/{artifact_path}"
        version = client.create_model_version(name, source=source, run_id=self.run_id)
        client.set_registered_model_alias(name, alias, version.version)
        log.info("registered %s version %s as @%s", name, version.version, alias)
        return version.version

    def end(self, status: str = "FINISHED") -> None:
        if self.enabled:
            self.mlflow.end_run(status=status)
