"""Explanations with the real embedded model (SmolLM2-135M + shipped adapter): structure and grounding hold
whichever path wrote the text."""

import pytest

from llm.safety import screen
from retrieval.chain import ExplanationService
from retrieval.documents import load_knowledge_base
from retrieval.settings import SHIPPED_KB, RetrievalSettings
from retrieval.store import KnowledgeStore

pytestmark = pytest.mark.slow

ENTRIES = [
    "I finally passed my driving test after three tries! I can't stop smiling.",
    "My flatmate ate my food again without asking. Every single time.",
]


@pytest.fixture(scope="module")
def service(shipped_classifier, tmp_path_factory):
    settings = RetrievalSettings.model_validate({"chroma": {"path": str(tmp_path_factory.getbasetemp() / "kb-chroma")}})
    return ExplanationService(KnowledgeStore(settings), shipped_classifier, settings)


@pytest.mark.parametrize("text", ENTRIES)
def test_real_model_explanations_are_grounded(service, shipped_classifier, text):
    [prediction] = shipped_classifier.predict([text])
    result = service.explain(text, prediction)
    kb = {doc.id: doc for doc in load_knowledge_base(SHIPPED_KB)}
    assert result.path in {"llm", "fallback"}
    assert result.path == "llm" or result.fallback_reason
    assert 40 <= len(result.explanation) <= service.settings.explanation.max_chars
    assert 2 <= len(result.recommendations) <= 3
    assert all(kb[rec.id].kind == "activity" for rec in result.recommendations)
    assert {rec.id for rec in result.recommendations} <= {source.id for source in result.sources} <= set(kb)
    assert prediction.emotion in result.emotions


def test_real_model_never_suggests_activities_on_crisis(service, shipped_classifier):
    text = "Everyone would be better off without me."
    [prediction] = shipped_classifier.predict([text])
    result = service.explain(text, prediction)
    assert service.settings.safety.model == "shipped"  # the default: the learned panel screens
    assert result.path == "crisis" and result.recommendations == []
    assert result.safety == screen(text, model="shipped") and "classifier" in result.safety.matched
