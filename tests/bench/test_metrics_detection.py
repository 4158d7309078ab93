"""False-positive rates, success detection, AUROC and AUPRC, by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from badbench.bench.metrics import (
    accuracy,
    auprc,
    auroc,
    confusion,
    fpr_at_threshold,
    fpr_at_tpr,
    precision,
    recall,
    threshold_at_tpr,
)

# five clean successes (positive) and five bad episodes, final predicted progress
SCORE = np.array([1.0, 0.97, 0.95, 0.9, 0.6, 0.99, 0.95, 0.8, 0.3, 0.1])
POS = np.array([True] * 5 + [False] * 5)


def test_fpr_at_fixed_threshold():
    # bad episodes scoring >= 0.95: 0.99 and 0.95 -> 2 of 5
    assert fpr_at_threshold(SCORE, POS, 0.95) == pytest.approx(0.4)
    assert fpr_at_threshold(SCORE, POS, 1.01) == 0.0
    assert math.isnan(fpr_at_threshold(SCORE[:5], POS[:5]))  # no bad episodes


def test_threshold_and_fpr_calibrated_to_tpr():
    # positives sorted: 1.0, 0.97, 0.95, 0.9, 0.6; k = ceil(0.95 * 5) = 5 -> t = 0.6
    # bad >= 0.6: 0.99, 0.95, 0.8 -> FPR 3/5
    assert threshold_at_tpr(SCORE, POS, 0.95) == pytest.approx(0.6)
    fpr, thr = fpr_at_tpr(SCORE, POS, 0.95)
    assert (fpr, thr) == (pytest.approx(0.6), pytest.approx(0.6))
    # tpr 0.6: k = ceil(3.0) = 3 -> t = 0.95; bad >= 0.95: 0.99, 0.95 -> 2/5
    assert fpr_at_tpr(SCORE, POS, 0.6) == (pytest.approx(0.4), pytest.approx(0.95))
    # 20 positives, tpr 0.95: k = ceil(19.0) = 19 exactly (no float overshoot to 20)
    pos_scores = np.arange(20, 0, -1) / 20.0  # 1.0, 0.95, ..., 0.05
    assert threshold_at_tpr(pos_scores, np.ones(20, dtype=bool), 0.95) == pytest.approx(0.1)
    # ties at the threshold: positives 0.9, 0.5, 0.5, 0.5; tpr 0.5 -> k = 2 -> t = 0.5
    assert threshold_at_tpr(np.array([0.9, 0.5, 0.5, 0.5]), np.ones(4, bool), 0.5) == 0.5
    assert math.isnan(threshold_at_tpr(SCORE[5:], POS[5:]))  # no positives
    assert math.isnan(fpr_at_tpr(SCORE[:5], POS[:5])[0])  # no negatives


def test_confusion_accuracy_precision_recall():
    called = SCORE >= 0.95
    # positives called: 1.0, 0.97, 0.95 (tp 3, fn 2); bad called: 0.99, 0.95 (fp 2, tn 3)
    assert confusion(called, POS) == (3, 2, 3, 2)
    assert accuracy(called, POS) == pytest.approx(0.6)  # (3 + 3) / 10
    assert precision(called, POS) == pytest.approx(0.6)  # 3 / (3 + 2)
    assert recall(called, POS) == pytest.approx(0.6)  # 3 / (3 + 2)
    none = np.zeros(10, dtype=bool)
    assert math.isnan(precision(none, POS))  # nothing called a success
    assert math.isnan(recall(none, np.zeros(10, dtype=bool)))  # no positives
    assert math.isnan(accuracy(np.array([], bool), np.array([], bool)))


def test_auroc_by_hand_with_ties():
    score = np.array([0.9, 0.5, 0.5, 0.1])
    positive = np.array([True, True, False, False])
    # pos x neg pairs: (0.9, 0.5) win, (0.9, 0.1) win, (0.5, 0.5) tie = 1/2, (0.5, 0.1) win
    # AUROC = (1 + 1 + 0.5 + 1) / 4 = 0.875
    assert auroc(score, positive) == pytest.approx(0.875)
    assert auroc(np.ones(4), positive) == pytest.approx(0.5)  # constant -> chance
    assert auroc(-score, positive) == pytest.approx(0.125)
    assert math.isnan(auroc(score, np.ones(4, dtype=bool)))


def test_auprc_by_hand_with_ties():
    score = np.array([0.9, 0.5, 0.5, 0.1])
    positive = np.array([True, True, False, False])
    # thresholds descending: 0.9 -> tp 1, called 1: P = 1, recall 1/2
    #                        0.5 -> tp 2, called 3: P = 2/3, recall 2/2
    # AP = (1/2 - 0) * 1 + (1 - 1/2) * 2/3 = 1/2 + 1/3 = 5/6
    assert auprc(score, positive) == pytest.approx(5 / 6)
    # perfect ranking: AP = 1; all tied: AP = prevalence = 2/4
    assert auprc(np.array([4.0, 3, 2, 1]), positive) == pytest.approx(1.0)
    assert auprc(np.ones(4), positive) == pytest.approx(0.5)
    assert math.isnan(auprc(score, np.zeros(4, dtype=bool)))


def test_auroc_auprc_match_reference_implementations():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(7)
    for _ in range(30):
        n = int(rng.integers(4, 40))
        s = rng.integers(0, 5, n) / 4.0
        p = rng.random(n) < 0.4
        if p.all() or not p.any():
            continue
        u = stats.mannwhitneyu(s[p], s[~p]).statistic / (p.sum() * (~p).sum())
        assert auroc(s, p) == pytest.approx(u)
        # average precision by its definition, one threshold per distinct score
        ap, prev = 0.0, 0.0
        for t in np.unique(s)[::-1]:
            called = s >= t
            rec = (called & p).sum() / p.sum()
            ap += (rec - prev) * (called & p).sum() / called.sum()
            prev = rec
        assert auprc(s, p) == pytest.approx(ap)
