"""The crisis screen: whether a journal entry shows self-harm or suicide risk, and where to get help.

``screen(text, locale, model)`` runs before any emotion-driven suggestion. What screens an entry:

- the learned screen, on by default (``model="shipped"``, as ``crisis_model: shipped`` in configs/serving.yaml and
  ``safety.model: shipped`` in configs/retrieval.yaml): the shipped panel in ``shipped/crisis-screen/``, three
  models (``model``: a LoRA classifier with its threshold) that must all flag an entry (``panel``). All three
  decide alone (``rules: fallback``), so the rules do not run beside them;
- the rules (``rules``), when no learned screen is configured (``model=None``) or it fails to load, and for text
  without words, which no model could read.

On a flag, the entry gets the crisis resources of its locale (``resources``) and no activity suggestions. The
texts the models are trained and measured on are listed in data/crisis/manifest.yaml (``sets``); training is
``python -m finetune.crisis``, evaluation ``python -m evals.crisis_screen`` (docs/retrieval.md).
"""

from pathlib import Path

from pydantic import BaseModel

from llm.degenerate import collapse_repeats, is_wordless
from llm.safety.model import CrisisModel, CrisisModelError
from llm.safety.panel import SHIPPED_CRISIS_SCREEN, CrisisPanel, load_crisis_screen
from llm.safety.resources import CrisisResource, crisis_resources, resolve_locale
from llm.safety.rules import RULES, matched_rules

__all__ = ["RULES", "SHIPPED_CRISIS_SCREEN", "CrisisModel", "CrisisModelError", "CrisisPanel", "CrisisResource",
           "SafetyResult", "crisis_resources", "describe_screen", "matched_rules", "resolve_locale", "screen",
           "screen_many", "screening_model"]


class SafetyResult(BaseModel):
    """The outcome of the screen: whether the text shows risk, which rules matched, where to get help."""

    crisis: bool
    matched: list[str] = []
    risk_score: float | None = None  # the model's P(risk); for a panel, the lowest of the members consulted
    resources: list[CrisisResource] = []
    locale: str = "default"


def screening_model(spec: str | None) -> CrisisModel | CrisisPanel | None:
    """The learned screen: "shipped" (the shipped panel), a model or panel directory, or None (rules only)."""
    if spec is None or spec.lower() == "none":
        return None
    return load_crisis_screen(str(SHIPPED_CRISIS_SCREEN if spec == "shipped" else Path(spec).expanduser()))


def describe_screen(model: str | None = None) -> str:
    """What screens an entry with ``model`` (see ``screening_model``): the rules, the model or panel, or both."""
    classifier = screening_model(model)
    if classifier is None:
        return "rules only"
    what = (f"panel {model} of {len(classifier.members)} models that must all flag"
            if isinstance(classifier, CrisisPanel) else f"model {model}")
    if classifier.rules == "fallback":
        return f"{what}, alone (version {classifier.version}; the rules are its fallback)"
    return f"rules + {what} (version {classifier.version})"


def screen(text: str, locale: str = "default", model: str | None = None) -> SafetyResult:
    """Screen one text for self-harm or suicide risk; on a hit, attach the locale's crisis resources.

    ``model`` names the learned model (see ``screening_model``); it runs beside the rules, or alone when it was
    trained to replace them (its ``rules`` mode is ``fallback``). Text without words (``llm.degenerate``) is
    screened by the rules only, and the model reads long runs of a repeated chunk cut to three repeats.
    """
    return screen_many([text], locale, model)[0]


def screen_many(texts: list[str], locale: str = "default", model: str | None = None) -> list[SafetyResult]:
    """``screen`` for each of several texts, the learned screen reading them together in batches: the same
    results (risk scores to float rounding), at a fraction of the cost per text (evaluations use it)."""
    classifier = screening_model(model)
    # text without words: nothing a model could read, so the rules alone, cheaply
    readable = [] if classifier is None else [i for i, text in enumerate(texts) if not is_wordless(text)]
    assessed = {}
    if readable:
        verdicts = classifier.assess([collapse_repeats(texts[i]) for i in readable])
        assessed = dict(zip(readable, verdicts, strict=True))
    resolved = resolve_locale(locale)
    results = []
    for index, text in enumerate(texts):
        risk, flagged = assessed.get(index, (None, False))
        matched = [] if risk is not None and classifier.rules == "fallback" else matched_rules(text)
        if flagged:
            matched.append("classifier")
        results.append(SafetyResult(crisis=bool(matched), matched=matched, risk_score=risk,
                                    resources=crisis_resources(resolved) if matched else [], locale=resolved))
    return results
