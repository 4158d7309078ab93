"""Pairwise preference accuracy, best-of-K and the quality-ranking tau, by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from badbench.bench.metrics import (
    best_of_k,
    pair_agreement,
    pairwise_accuracy,
    pairwise_accuracy_labels,
    per_context_agreement,
    preference_pairs,
    quality_levels,
    quality_ranking_tau,
)


def _pairs(context, human):
    a, b, s = preference_pairs(np.asarray(context), np.asarray(human, dtype=float))
    return sorted(zip(a.tolist(), b.tolist(), s.tolist(), strict=True))


def test_preference_pairs_skip_human_ties_nan_and_single_episode_contexts():
    context = ["c1", "c1", "c1", "solo", "c2", "c2"]
    human = [1.0, 2.0, 2.0, 5.0, 0.0, np.nan]
    # c1: (0,1) 1<2 -> -1; (0,2) 1<2 -> -1; (1,2) tie -> left out
    # solo: one episode, no pair; c2: row 5 has no human score -> no pair
    assert _pairs(context, human) == [(0, 1, -1), (0, 2, -1)]
    assert _pairs([], []) == []


def test_preference_pairs_count_many_contexts_of_mixed_sizes():
    rng = np.random.default_rng(0)
    sizes = [1, 2, 3, 5, 3, 2]
    context = np.repeat(np.arange(len(sizes)), sizes)
    perm = rng.permutation(len(context))  # rows in any order
    context = context[perm]
    human = rng.random(len(context))  # all distinct: every within-context pair counts
    a, b, s = preference_pairs(context, human)
    assert len(a) == sum(k * (k - 1) // 2 for k in sizes)  # 0 + 1 + 3 + 10 + 3 + 1 = 18
    assert np.all(context[a] == context[b]) and np.all(a < b)
    assert np.all(s == np.sign(human[a] - human[b]))


def test_pairwise_accuracy_by_hand_with_model_ties():
    context = np.array(["a", "a", "a", "b", "b", "solo"])
    human = np.array([0.0, 0.5, 1.0, 0.2, 0.8, 1.0])
    model = np.array([1.0, 2.0, 2.0, 5.0, 5.0, 9.0])
    # context a: (0,1) human -, model - agree; (0,2) -, - agree; (1,2) human -, model tie -> wrong
    # context b: (3,4) human -, model tie -> wrong. "solo" forms no pair.
    # |P_a| = 3, D_a = 1/3; |P_b| = 1, D_b = 1: A = 1 - (3 * 1/3 + 1 * 1) / 4 = 1 - 2/4 = 0.5
    acc, n = pairwise_accuracy(context, human, model)
    assert (acc, n) == (pytest.approx(0.5), 4)
    # with half credit for model ties: (2 + 0.5 + 0.5) / 4 = 0.75
    assert pairwise_accuracy(context, human, model, tie_credit=0.5)[0] == pytest.approx(0.75)


def test_pairwise_accuracy_is_a_pair_weighted_mean_over_contexts():
    # context x: 1 pair, agreed; context y: 3 pairs, 1 agreed (model ranks reversed but one)
    context = np.array(["x", "x", "y", "y", "y"])
    human = np.array([0.0, 1.0, 0.0, 1.0, 2.0])
    model = np.array([0.0, 1.0, 2.0, 1.0, 1.5])
    # y: (2,3) human -, model + wrong; (2,4) -, + wrong; (3,4) -, - agree -> D_y = 2/3
    # A = 1 - (1 * 0 + 3 * 2/3) / (1 + 3) = 1 - 2/4 = 0.5 (the mean of per-context accuracies
    # would be (1 + 1/3) / 2 = 0.667: the paper weights contexts by their pair counts)
    acc, n = pairwise_accuracy(context, human, model)
    assert acc == pytest.approx(0.5) and n == 4
    a, b, s = preference_pairs(context, human)
    credit = pair_agreement(model, a, b, s)
    codes = np.array([0, 0, 1, 1, 1])[a]
    agree, count = per_context_agreement(codes, credit, 2)
    assert agree.tolist() == [1.0, 1.0] and count.tolist() == [1.0, 3.0]


def test_pairwise_accuracy_without_pairs_is_nan():
    acc, n = pairwise_accuracy(np.array(["a", "b"]), np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    assert math.isnan(acc) and n == 0  # two single-episode contexts
    acc, n = pairwise_accuracy(np.array(["a", "a"]), np.array([0.5, 0.5]), np.array([0.0, 1.0]))
    assert math.isnan(acc) and n == 0  # only a human tie


def test_pairwise_accuracy_with_explicit_labels_excludes_human_ties():
    model = np.array([0.9, 0.1, 0.5, 0.5])
    idx_a = np.array([0, 1, 2, 0, 0])
    idx_b = np.array([1, 0, 3, 2, 3])
    label = np.array([1, 1, -1, 0, -1])  # +1: A preferred, -1: B, 0: tie
    # (0>1, A) model 0.9 > 0.1 agree; (1 vs 0, A) 0.1 < 0.9 wrong; (2 vs 3, B) model tie wrong;
    # (0 vs 2, tie) left out; (0 vs 3, B) 0.9 > 0.5 wrong -> 1 / 4
    acc, n = pairwise_accuracy_labels(model, idx_a, idx_b, label)
    assert (acc, n) == (pytest.approx(0.25), 4)
    acc, n = pairwise_accuracy_labels(model, idx_a[3:4], idx_b[3:4], label[3:4])
    assert math.isnan(acc) and n == 0


def test_quality_levels():
    success = np.array([True, True, False, False, True])
    category = np.array(["none", "shortcut", "none", "failure", "unsafe"])
    assert quality_levels(success, category).tolist() == [2, 1, 0, 0, 1]


def test_quality_ranking_tau_by_hand():
    task = np.array(["t"] * 5 + ["u"] * 3 + ["v"] * 2)
    quality = np.array([0, 0, 1, 2, 2, 0, 1, 2, 1, 1])
    score = np.array([0.1, 0.3, 0.9, 0.7, 0.9, 0.5, 0.5, 0.1, 0.2, 0.3])
    # t: means F 0.2, S(ub) 0.9, Su(ccess) 0.8 -> (F,S) C, (F,Su) C, (S,Su) D: tau = 1/3
    # u: means 0.5, 0.5, 0.1: (F,S) model tie; (F,Su) D; (S,Su) D
    #    n0 = 3, ties in model 1, none in truth: tau_b = -2 / sqrt((3 - 1) * 3) = -2 / sqrt(6)
    # v: one level only -> undefined, left out of the mean
    mean, units, taus = quality_ranking_tau(score, task, quality)
    assert units.tolist() == ["t", "u", "v"]
    assert taus[0] == pytest.approx(1 / 3) and taus[1] == pytest.approx(-2 / math.sqrt(6))
    assert math.isnan(taus[2])
    assert mean == pytest.approx((1 / 3 - 2 / math.sqrt(6)) / 2)


def test_best_of_k_by_hand_with_ties():
    context = np.array(["a", "a", "a", "b", "b", "c", "c", "solo"])
    human = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0])
    model = np.array([5.0, 5.0, 1.0, 3.0, 3.0, 0.0, 1.0, 2.0])
    # a: model top {0, 1} (tied), human top {0, 2}: 1 of 2 model picks is right -> 1/2
    # b: model top {3, 4}, human top {4} -> 1/2 (RewardBench v2: 1 / number tied)
    # c: all humans tie -> undefined; solo: one episode -> undefined
    mean, contexts, credits = best_of_k(context, human, model)
    assert contexts.tolist() == ["a", "b", "c", "solo"]
    assert credits[:2].tolist() == [0.5, 0.5] and np.isnan(credits[2:]).all()
    assert mean == pytest.approx(0.5)
    # a clear winner: model top 2 == human top -> credit 1
    m, _, cr = best_of_k(np.array(["x"] * 3), np.array([0.1, 0.9, 0.5]), np.array([1, 3, 2.0]))
    assert m == 1.0 and cr.tolist() == [1.0]
    m, _, _ = best_of_k(np.array([]), np.array([]), np.array([]))
    assert math.isnan(m)
