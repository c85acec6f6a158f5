"""MLflow access shared by everything that reads or writes models: one tracking-URI rule, one download."""

import os

from llm.classifier import ClassifierError

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"


def configure_mlflow(tracking_uri: str | None = None):
    """Import MLflow with telemetry off and point it at MLFLOW_TRACKING_URI, the config, or local SQLite."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    mlflow.set_tracking_uri(os.environ.get("MLFLOW_TRACKING_URI") or tracking_uri or DEFAULT_TRACKING_URI)
    return mlflow


def download_artifacts(uri: str) -> str:
    """A local copy of ``models:/name@alias`` or ``runs:/...`` artifacts, or a one-line ClassifierError."""
    mlflow = configure_mlflow()
    try:
        return mlflow.artifacts.download_artifacts(artifact_uri=uri)
    except Exception as error:  # MLflow raises many types; all mean the same to a user
        raise ClassifierError(f"cannot fetch {uri} from MLflow ({mlflow.get_tracking_uri()}): {error}") from None
