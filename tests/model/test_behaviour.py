"""Behavioural tests of the shipped model (Made-With-ML style): invariance and directional expectations."""

import pytest

from tests.model.journal_cases import ISSUE_CASES, JOURNAL_CASES

INVARIANCE = [
    ("i feel so alone tonight", ["I feel SO alone tonight!!", "I feel so alone tonight…", "i feel so alone tonight\n\n"]),
    ("i am so happy and excited about the weekend",
     ["I am SO happy & excited about the weekend!!!", "I'm so happy and excited about the weekend."]),
    ("i dont know why he always lies to me it makes me furious",
     ["I don't know why he always lies to me. It makes me FURIOUS.", "i don t know why he always lies to me it makes me furious"]),
]
DIRECTIONAL = [
    ("i feel", "i feel terrified and anxious about the surgery tomorrow", "fear"),
    ("i feel", "i feel so grateful and cheerful today", "joy"),
    ("i feel", "i feel furious that they cancelled again", "anger"),
    ("i feel", "i feel so loved and tender towards my partner", "love"),
    ("i feel", "i feel lonely and hopeless", "sadness"),
    ("i feel", "i feel amazed and shocked by the news", "surprise"),
]


@pytest.mark.slow
@pytest.mark.parametrize("clean, variants", INVARIANCE)
def test_journal_surface_changes_do_not_change_the_prediction(shipped_classifier, clean, variants):
    predictions = shipped_classifier.predict([clean, *variants])
    assert [p.emotion for p in predictions] == [predictions[0].emotion] * len(predictions)


@pytest.mark.slow
@pytest.mark.parametrize("neutral, charged, emotion", DIRECTIONAL)
def test_emotion_words_move_the_score_of_their_emotion_up(shipped_classifier, neutral, charged, emotion):
    before, after = shipped_classifier.predict([neutral, charged])
    assert after.scores[emotion] > before.scores[emotion]
    assert after.emotion == emotion


@pytest.mark.slow
def test_real_embedded_model_classifies_texts_with_six_scores_summing_to_one(shipped_classifier):
    predictions = shipped_classifier.predict(["i feel so alone tonight", "what a wonderful surprise party"])
    for p in predictions:
        assert set(p.scores) == {"sadness", "joy", "love", "anger", "fear", "surprise"}
        assert abs(sum(p.scores.values()) - 1) < 1e-4
        assert p.model_version.startswith("smollm2-135m-instruct+")
    assert predictions[0].emotion == "sadness"


@pytest.mark.slow
@pytest.mark.parametrize("entry, emotion", ISSUE_CASES)
def test_the_entries_of_issue_18_get_their_obvious_label(llm_alone, entry, emotion):
    assert llm_alone.predict([entry])[0].emotion == emotion


@pytest.mark.slow
def test_the_served_vote_reads_the_entries_of_issue_18(served):
    """The vote (chosen on 4,216 validation texts, docs/experiments) is close on one of the six: "My daughter
    said her first word today and I just melted." is joy 0.41 / love 0.38 (round 13; round 10: joy 0.39 / love
    0.39; round 7's vote said love).
    So: at least five of six right, and a miss may only swap love and joy."""
    predicted = [p.emotion for p in served.predict([entry for entry, _ in ISSUE_CASES])]
    wrong = [(entry, gold, got) for (entry, gold), got in zip(ISSUE_CASES, predicted, strict=True) if got != gold]
    assert len(wrong) <= 1, wrong
    assert all({gold, got} == {"love", "joy"} for _, gold, got in wrong), wrong


@pytest.mark.slow
def test_journal_style_entries_get_their_obvious_label(shipped_classifier):
    """At least 90% of 36 hand-written entries (6 per label) right, and at least 4 of 6 for every label."""
    predicted = [p.emotion for p in shipped_classifier.predict([text for text, _ in JOURNAL_CASES])]
    wrong = [(text, gold, got) for (text, gold), got in zip(JOURNAL_CASES, predicted, strict=True) if got != gold]
    assert len(wrong) <= len(JOURNAL_CASES) // 10, f"{len(wrong)} wrong: {wrong}"
    for label in {gold for _, gold in JOURNAL_CASES}:
        assert sum(gold == label for _, gold, _ in wrong) <= 2, f"{label}: {wrong}"
