"""The explanation chain on the real store: crisis first, grounded fallback, LLM validation, runner-up emotions."""

import pytest

from llm.backends.transformers_backend import TransformersClassifier
from llm.config import ModelConfig
from llm.labels import EMOTIONS
from llm.prediction import Prediction
from llm.safety import screen
from retrieval.chain import ExplanationService, GenerationRejected, retrieval_emotions, validate_reply
from retrieval.documents import load_knowledge_base
from retrieval.settings import SHIPPED_KB, RetrievalSettings
from retrieval.store import KnowledgeStore

pytestmark = pytest.mark.slow

ENTRY = "My dog died last week and the house feels so empty when I come home."


def prediction(**scores: float) -> Prediction:
    rest = (1.0 - sum(scores.values())) / (len(EMOTIONS) - len(scores))
    return Prediction.from_probabilities([scores.get(e, rest) for e in EMOTIONS], "test-model")


class ScriptedReplies:
    """A TextGenerator that replays fixed replies: it stands in for the LLM's wording, so the test can check
    exactly which replies the chain accepts and which it rejects (the real model is covered in tests/model)."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.conversations = []

    def generate(self, conversations, max_new_tokens=160, temperature=0.0):
        self.conversations.extend(conversations)
        return [self.reply for _ in conversations]


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> RetrievalSettings:
    return RetrievalSettings.model_validate({"chroma": {"path": str(tmp_path_factory.getbasetemp() / "kb-chroma")}})


@pytest.fixture(scope="module")
def store(settings) -> KnowledgeStore:
    store = KnowledgeStore(settings)
    store.index(load_knowledge_base(SHIPPED_KB))  # shared with test_retrieval_store: unchanged there
    return store


def check_grounded(result, store):
    ids = {doc.id: doc for doc in load_knowledge_base(SHIPPED_KB)}
    assert 2 <= len(result.recommendations) <= 3
    for rec in result.recommendations:
        doc = ids[rec.id]
        assert doc.kind == "activity" and rec.title == doc.title and rec.steps == list(doc.steps)
        assert rec.source.endswith(f"#{doc.id}")
    source_ids = {source.id for source in result.sources}
    assert {rec.id for rec in result.recommendations} <= source_ids <= set(ids)


def test_without_an_llm_the_fallback_is_grounded_and_quotes_the_entry(store, settings):
    result = ExplanationService(store, None, settings).explain(ENTRY, prediction(sadness=0.8))
    assert result.path == "fallback" and result.fallback_reason == "no LLM configured"
    assert not result.safety.crisis
    assert "sadness" in result.explanation and "My dog died last week" in result.explanation
    check_grounded(result, store)
    cited = {source.id for source in result.sources if source.kind == "explanation"}
    assert cited and all(f"[{id_}]" in result.explanation for id_ in cited)
    assert result.reflection_prompt


def test_crisis_comes_first_no_activities(store, settings):
    result = ExplanationService(store, ScriptedReplies("unused"), settings).explain(
        "I want to die. just kidding", prediction(sadness=0.9))
    assert result.path == "crisis" and result.safety.crisis
    assert result.recommendations == [] and result.sources == []
    assert result.safety.resources[0].name in result.explanation


def test_a_valid_llm_reply_is_used_and_its_activities_come_first(store, settings):
    service = ExplanationService(store, ScriptedReplies(""), settings)
    context = service._retrieve({"text": ENTRY, "prediction": prediction(sadness=0.8)})
    exp_id, act = context["explanations"][0].id, context["activities"][-1]
    reply = (f"You wrote that the house feels empty since your dog died, which sounds like sadness [{exp_id}]. "
             f"Something gentle like {act.title.lower()} may help [{act.id}].")
    service.generator = ScriptedReplies(reply)
    result = service.explain(ENTRY, prediction(sadness=0.8))
    assert result.path == "llm" and result.explanation == reply
    assert result.recommendations[0].id == act.id
    check_grounded(result, store)
    [conversation] = service.generator.conversations
    assert ENTRY in conversation[-1]["content"] and exp_id in conversation[-1]["content"]


@pytest.mark.parametrize("reply, reason", [
    ("It reads as sadness because your dog died and the house is empty.", "no document id cited"),
    ("Your dog died and the house is empty, a real loss [exp-joy-relief].", "not retrieved"),
    ("Your dog died [exp-sadness-loss]. " + "Sad sad sad. " * 60, "longer than"),
    ("I'm sorry I'm sorry I'm sorry I'm sorry I'm sorry I'm sorry I'm sorry [exp-sadness-loss].", "repeats"),
    ("This sounds like a hard and heavy time full of sadness for you [exp-sadness-loss].", "does not refer"),
    ("Your dog died and the house feels empty [exp-sadness-loss], so try", "mid-sentence"),
])
def test_invalid_llm_replies_fall_back_with_the_reason(store, settings, reply, reason):
    result = ExplanationService(store, ScriptedReplies(reply), settings).explain(ENTRY, prediction(sadness=0.8))
    assert result.path == "fallback" and reason in result.fallback_reason
    check_grounded(result, store)


def test_text_without_words_gets_the_grounded_fallback_without_a_generation(store, settings):
    service = ExplanationService(store, ScriptedReplies("unused"), settings)
    result = service.explain("0" * 4000, prediction(sadness=0.8))
    assert result.path == "fallback" and "no words" in result.fallback_reason and not result.safety.crisis
    assert service.generator.conversations == []  # the LLM never ran
    check_grounded(result, store)


def test_a_screen_the_caller_already_ran_is_not_run_again(store, settings):
    flagged = screen("I want to die. just kidding")
    result = ExplanationService(store, ScriptedReplies("unused"), settings).explain(
        ENTRY, prediction(sadness=0.8), safety=flagged)
    assert result.path == "crisis" and result.safety is flagged  # the given screen decides, as written


def test_naming_an_activity_that_was_not_retrieved_is_rejected(store):
    hits = store.search(ENTRY, emotions=["sadness"], kinds=["explanation"], k=1)
    retrieved = {hit.id: hit for hit in hits}
    reply = f"Your dog died and the house feels empty [{hits[0].id}]. Try Box breathing tonight."
    with pytest.raises(GenerationRejected, match="act-box-breathing"):
        validate_reply(reply, ENTRY, retrieved, store.catalogue("activity"), 600, 4)


def test_runner_up_is_retrieved_when_scores_are_close(store, settings):
    assert retrieval_emotions(prediction(joy=0.45, surprise=0.40), 0.15) == ["joy", "surprise"]
    assert retrieval_emotions(prediction(joy=0.80, surprise=0.10), 0.15) == ["joy"]
    result = ExplanationService(store, None, settings).explain(
        "I got the job!! I can't believe they picked me out of everyone.", prediction(joy=0.45, surprise=0.40))
    assert result.emotions == ["joy", "surprise"] and "with some surprise" in result.explanation


def test_the_real_generator_interface_works_with_a_tiny_model(store, settings, tiny_model_dir):
    """A random-weight Llama writes nonsense: the chain must still answer, grounded, through the fallback."""
    generator = TransformersClassifier(ModelConfig(base_model=str(tiny_model_dir), adapter=None, device="cpu",
                                                   dtype="float32"))
    result = ExplanationService(store, generator, settings).explain(ENTRY, prediction(sadness=0.8))
    assert result.path == "fallback" and result.fallback_reason
    check_grounded(result, store)


def test_empty_entry_is_rejected(store, settings):
    with pytest.raises(ValueError, match="empty"):
        ExplanationService(store, None, settings).explain("  ", prediction(sadness=0.8))
