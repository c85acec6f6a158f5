"""Champion/challenger promotion in the MLflow model registry.

Both aliases are resolved to version numbers first (so the evaluation pins exact versions),
evaluated on the same texts, and the challenger's gates are checked. The challenger wins when
its metric (macro-F1 by default) beats the champion's by more than ``min_improvement`` (and, if
``require_significance`` is set, the paired bootstrap p-value is below 1 - confidence level).
Only then does the champion alias move to the challenger's version.
"""

from dataclasses import asdict, dataclass

from evals.config import EvalConfig, EvalConfigError
from evals.models import with_registry_version
from llm.registry import configure_mlflow

CHALLENGER, CHAMPION = "challenger", "champion"


class PromotionError(RuntimeError):
    """The registry does not hold what promotion needs (e.g. no challenger alias)."""


@dataclass(frozen=True)
class RegistryVersions:
    name: str
    challenger: str
    champion: str | None


@dataclass(frozen=True)
class Decision:
    """Whether the challenger replaces the champion, and why."""

    promoted: bool
    reason: str
    challenger_version: str
    champion_version: str | None


def resolve_versions(name: str, challenger_alias: str, champion_alias: str,
                     tracking_uri: str | None = None) -> RegistryVersions:
    """The version numbers the two aliases point at now (the champion may not exist yet)."""
    mlflow = configure_mlflow(tracking_uri)
    client = mlflow.MlflowClient()

    def version_of(alias: str) -> str | None:
        try:
            return str(client.get_model_version_by_alias(name, alias).version)
        except mlflow.exceptions.MlflowException:
            return None

    challenger = version_of(challenger_alias)
    if challenger is None:
        raise PromotionError(f"registered model {name!r} has no @{challenger_alias} version "
                             f"in {mlflow.get_tracking_uri()}")
    return RegistryVersions(name, challenger, version_of(champion_alias))


def promotion_specs(config: EvalConfig, versions: RegistryVersions) -> dict:
    """Model specs for the challenger (first) and the champion, pinned to their registry versions."""
    template = config.promotion.registered_models.get(versions.name)
    if template is None:
        raise EvalConfigError(f"promotion.registered_models has no entry for {versions.name!r}; it names "
                              f"{', '.join(config.promotion.registered_models) or 'none'}")
    specs = {CHALLENGER: with_registry_version(template, f"models:/{versions.name}/{versions.challenger}")}
    if versions.champion not in (None, versions.challenger):
        specs[CHAMPION] = with_registry_version(template, f"models:/{versions.name}/{versions.champion}")
    return specs


def decide(results: dict, versions: RegistryVersions, config: EvalConfig) -> Decision:
    """Apply the gates and the win rule to the evaluation of the challenger (and champion)."""
    settings, metric = config.promotion, config.promotion.metric
    if versions.champion == versions.challenger:
        return Decision(False, f"version {versions.challenger} is already the champion", versions.challenger,
                        versions.champion)
    failed = [c["message"] for c in results["gates"]["checks"] if not c["passed"]]
    if failed:
        return Decision(False, "challenger failed gates: " + "; ".join(failed), versions.challenger, versions.champion)
    challenger = results["models"][CHALLENGER][metric]
    if versions.champion is None:
        return Decision(True, f"no champion yet; challenger passes the gates ({metric} {challenger:.4f})",
                        versions.challenger, None)
    champion = results["models"][CHAMPION][metric]
    margin = challenger - champion
    paired = next(c for c in results["comparisons"] if {c["a"], c["b"]} == {CHALLENGER, CHAMPION})
    p_value = paired["macro_f1_difference"]["p_value"]
    summary = (f"{metric} challenger {challenger:.4f} vs champion {champion:.4f} ({margin:+.4f}; "
               f"paired bootstrap p={p_value:.4f} on macro-F1)")
    if margin <= settings.min_improvement:
        return Decision(False, f"challenger does not win: {summary}, needs > {settings.min_improvement:+.4f}",
                        versions.challenger, versions.champion)
    if settings.require_significance and p_value >= 1 - config.statistics.confidence_level:
        return Decision(False, f"challenger's lead is not significant: {summary}", versions.challenger,
                        versions.champion)
    return Decision(True, f"challenger wins: {summary}", versions.challenger, versions.champion)


def move_alias(versions: RegistryVersions, champion_alias: str, decision: Decision,
               tracking_uri: str | None = None) -> None:
    """Point the champion alias at the challenger's version and tag that version with the decision."""
    client = configure_mlflow(tracking_uri).MlflowClient()
    if decision.promoted:
        client.set_registered_model_alias(versions.name, champion_alias, versions.challenger)
    client.set_model_version_tag(versions.name, versions.challenger, "promotion",
                                 ("promoted: " if decision.promoted else "rejected: ") + decision.reason[:4000])


def as_dict(decision: Decision, versions: RegistryVersions, challenger_alias: str, champion_alias: str) -> dict:
    """The promotion section of metrics.json."""
    return {**asdict(decision), "registered_model": versions.name, "challenger_alias": challenger_alias,
            "champion_alias": champion_alias}
