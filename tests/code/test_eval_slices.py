"""Journal-style perturbations and the length / robustness slices."""

import pytest

from evals import perturb, slices
from evals.metrics import ERROR
from llm.text import dair_text

DAIR_AI = "i didn t feel like going out but im glad i did because you re right"


def test_contractions_are_rejoined_from_split_and_joined_forms():
    assert perturb.rejoin_contractions("i don t know and i m tired") == "i don't know and i'm tired"
    assert perturb.rejoin_contractions("im sure it s fine and i cant wait") == "i'm sure it's fine and i can't wait"
    # ambiguous words are left alone
    assert perturb.rejoin_contractions("its paw and ill will") == "its paw and ill will"


def test_capitalisation_and_punctuation():
    assert perturb.capitalise("i think i m fine") == "I think I m fine"
    assert perturb.punctuate("i tried but it failed") == "i tried, but it failed."
    assert perturb.punctuate("really?") == "really?"


def test_journal_style_combines_all_changes():
    assert perturb.journal_style(DAIR_AI) == "I didn't feel like going out, but I'm glad I did, because you're right."


@pytest.mark.parametrize("variant", sorted(perturb.VARIANTS))
def test_every_variant_keeps_the_normalised_text(variant):
    # the project's normalisation maps a journal-style sentence back onto its dair-ai form
    assert dair_text(perturb.VARIANTS[variant](DAIR_AI)) == dair_text(DAIR_AI)


def test_length_buckets():
    assert slices.length_bucket_names([10, 20]) == ["1-10", "11-20", ">20"]
    assert [slices.length_bucket(" ".join(["w"] * n), [10, 20]) for n in (1, 10, 11, 20, 21)] == [0, 0, 1, 1, 2]


def test_length_slices_score_each_bucket():
    texts = ["a b", "a b c d e", "a", "a b c d e f g"]
    result = slices.length_slices(texts, [0, 1, 2, 3], [0, 1, 0, 3], edges=[2, 5])
    assert result["1-2"] == {"n": 2, "accuracy": 0.5, "macro_f1": pytest.approx(1 / 3)}
    assert result["3-5"]["accuracy"] == 1.0
    assert result[">5"]["n"] == 1


def test_robustness_subset_is_seeded_sorted_and_bounded():
    subset = slices.robustness_subset(100, 10, seed=3)
    assert subset == slices.robustness_subset(100, 10, seed=3)
    assert subset == sorted(subset) and len(set(subset)) == 10
    assert slices.robustness_subset(5, 10, seed=3) == [0, 1, 2, 3, 4]


def test_flip_summary_ignores_failed_inputs():
    summary = slices.flip_summary(original=[0, 1, 2, ERROR], perturbed=[0, 2, 2, 1], gold=[0, 1, 1, 1])
    assert summary == {"n": 3, "flips": 1, "flip_rate": pytest.approx(1 / 3), "accuracy_original": 0.5,
                       "accuracy_perturbed": 0.5}


def test_variant_texts_are_variant_major():
    assert slices.variant_texts(["i m ok", "i cant"], ["capitalisation", "contractions"]) == [
        "I m ok", "I cant", "i'm ok", "i can't"]
