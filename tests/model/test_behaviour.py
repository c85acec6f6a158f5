"""Behavioural tests of the shipped model (Made-With-ML style): invariance and directional expectations."""

import pytest

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
