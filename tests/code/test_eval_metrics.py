"""The harness's metric code against examples computed by hand (and against sklearn where it has the metric)."""

import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from evals import metrics
from evals.metrics import ERROR

# gold:      sadness sadness joy joy love anger
# predicted: sadness joy     joy joy love (failed)
GOLD = [0, 0, 1, 1, 2, 3]
PRED = [0, 1, 1, 1, 2, ERROR]


def test_accuracy_counts_a_failed_input_as_wrong():
    assert metrics.accuracy(GOLD, PRED) == pytest.approx(4 / 6)
    assert metrics.accuracy([0, 1], [0, 1]) == 1.0


def test_per_class_scores_by_hand():
    scores = metrics.per_class(GOLD, PRED)
    assert scores["sadness"] == pytest.approx({"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2})
    assert scores["joy"] == pytest.approx({"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2})
    assert scores["love"] == pytest.approx({"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1})
    # anger's only text failed: recall 0, and nothing predicted anger
    assert scores["anger"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert scores["surprise"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}


def test_macro_and_weighted_f1_by_hand():
    # labels present: sadness, joy, love, anger -> (2/3 + 0.8 + 1 + 0) / 4
    assert metrics.macro_f1(GOLD, PRED) == pytest.approx((2 / 3 + 0.8 + 1.0 + 0.0) / 4)
    # weighted by gold support 2, 2, 1, 1 over 6 texts
    assert metrics.weighted_f1(GOLD, PRED) == pytest.approx((2 * 2 / 3 + 2 * 0.8 + 1.0 + 0.0) / 6)


def test_f1s_agree_with_sklearn_on_a_larger_example():
    gold = [0, 1, 2, 3, 4, 5, 0, 1, 1, 2, 3, 3, 4, 5, 5, 0]
    pred = [0, 1, 1, 3, 4, 0, 0, 1, 2, 2, 3, 4, 4, 5, 1, 3]
    assert metrics.accuracy(gold, pred) == pytest.approx(accuracy_score(gold, pred))
    assert metrics.macro_f1(gold, pred) == pytest.approx(f1_score(gold, pred, average="macro"))
    assert metrics.weighted_f1(gold, pred) == pytest.approx(f1_score(gold, pred, average="weighted"))
    precision, recall, f1, support = precision_recall_fscore_support(gold, pred, labels=list(range(6)),
                                                                     zero_division=0)
    for i, scores in enumerate(metrics.per_class(gold, pred).values()):
        assert scores == pytest.approx({"precision": precision[i], "recall": recall[i], "f1": f1[i],
                                        "support": support[i]})


def test_confusion_matrix_rows_are_gold_and_failed_inputs_are_left_out():
    matrix = metrics.confusion_matrix(GOLD, PRED)
    assert matrix[0][:2] == [1, 1]
    assert matrix[1][1] == 2
    assert matrix[2][2] == 1
    assert sum(matrix[3]) == 0
    assert sum(map(sum, matrix)) == 5


def test_ece_with_equal_width_bins_by_hand():
    # 10 bins. (0.9, 1.0]: two texts, confidence 0.95, one right -> |0.5 - 0.95| = 0.45, weight 2/4
    #          (0.5, 0.6]: two texts, confidence 0.55, both right -> |1.0 - 0.55| = 0.45, weight 2/4
    ece = metrics.expected_calibration_error([0.95, 0.95, 0.55, 0.55], [True, False, True, True], n_bins=10)
    assert ece == pytest.approx(0.45)


def test_ece_is_zero_when_confidence_matches_accuracy_in_every_bin():
    confidence = [0.75] * 4 + [0.25] * 4
    correct = [True, True, True, False, True, False, False, False]
    assert metrics.expected_calibration_error(confidence, correct, n_bins=4) == pytest.approx(0.0)


def test_bin_edges_belong_to_the_lower_bin():
    bins = metrics.reliability_bins([0.7, 1.0, 0.0, 0.71], [True, True, False, False], n_bins=10)
    counts = [b["count"] for b in bins]
    assert counts[6] == 1  # 0.7 is in (0.6, 0.7]
    assert counts[7] == 1  # 0.71 is in (0.7, 0.8]
    assert counts[9] == 1  # 1.0 is in (0.9, 1.0]
    assert counts[0] == 1  # 0.0 joins the first bin
    assert bins[6]["accuracy"] == 1.0 and bins[6]["confidence"] == pytest.approx(0.7)
    assert bins[3]["accuracy"] is None


def test_bootstrap_interval_of_accuracy_matches_the_binomial_by_hand():
    # 9 of 10 right. A resample's accuracy is Binomial(10, 0.9)/10: P(<=0.6) = 1.3%, P(<=0.7) = 7.0%, so the
    # 2.5th percentile is 0.7; P(1.0) = 0.9**10 = 35%, so the 97.5th percentile is 1.0.
    gold, pred = [1] * 10, [1] * 9 + [0]
    assert metrics.bootstrap_ci(gold, pred, metrics.accuracy, resamples=20000, seed=0) == (0.7, 1.0)


def test_bootstrap_is_seeded_and_degenerate_when_every_answer_is_right():
    gold = [0, 1, 2, 3, 4, 5] * 3
    assert metrics.bootstrap_ci(gold, gold, metrics.macro_f1, resamples=50) == (1.0, 1.0)
    pred = [0, 1, 1, 3, 4, 0] * 3
    first = metrics.bootstrap_ci(gold, pred, metrics.macro_f1, resamples=200, seed=7)
    assert first == metrics.bootstrap_ci(gold, pred, metrics.macro_f1, resamples=200, seed=7)
    assert first[0] < metrics.macro_f1(gold, pred) < first[1]


def test_exact_mcnemar_by_hand():
    gold = [0] * 8
    # a right and b wrong on 5 texts, never the other way: p = 2 * 0.5**5
    a = [0] * 5 + [1, 1, 0]
    b = [1] * 5 + [1, 1, 0]
    assert metrics.mcnemar_exact(gold, a, b) == {"only_a_correct": 5, "only_b_correct": 0, "p_value": 0.0625}
    # 3 vs 1 discordant: p = 2 * (C(4,0) + C(4,1)) / 2**4
    a = [0, 0, 0, 1, 0, 0, 1, 1]
    b = [1, 1, 1, 0, 0, 0, 1, 1]
    assert metrics.mcnemar_exact(gold, a, b)["p_value"] == pytest.approx(0.625)
    assert metrics.mcnemar_exact(gold, a, a)["p_value"] == 1.0


def test_paired_bootstrap_of_a_difference():
    gold = [0, 1, 2, 3, 4, 5] * 4
    wrong = [(g + 1) % 6 for g in gold]
    result = metrics.paired_bootstrap(gold, gold, wrong, metrics.macro_f1, resamples=199, seed=0)
    assert result["difference"] == 1.0
    assert result["ci"] == [1.0, 1.0]
    assert result["p_value"] == pytest.approx(2 / 200)  # never on the other side of zero
    same = metrics.paired_bootstrap(gold, wrong, wrong, metrics.macro_f1, resamples=199, seed=0)
    assert same == {"difference": 0.0, "ci": [0.0, 0.0], "p_value": 1.0}


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="differ in length"):
        metrics.accuracy([0, 1], [0])
    with pytest.raises(ValueError, match="no examples"):
        metrics.macro_f1([], [])
    with pytest.raises(ValueError, match="no scored predictions"):
        metrics.expected_calibration_error([], [])
