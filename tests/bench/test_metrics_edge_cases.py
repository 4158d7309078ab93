"""Metric edge cases found in review (issue 8): rounding ties, NaN scores, empty inputs.

Each expectation is worked out by hand in the comments.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from badbench.bench.metrics import (
    EpisodeTable,
    MetricSettings,
    auprc,
    auroc,
    compute_all,
    pair_agreement,
    pairwise_accuracy_labels,
    quality_ranking_tau,
    voc,
    voc_many,
)

# --- quality_ranking_tau --------------------------------------------------------------------


def test_a_constant_model_has_an_undefined_quality_tau():
    # levels 0 and 2, every score 0.1: both level means are 0.1, a tie on the model side, so
    # tau-b's denominator is 0 -> undefined. A matrix-product mean gave 0.1 vs 0.10000000000000002
    # and called it a perfect ranking (1.0).
    mean, units, taus = quality_ranking_tau(
        np.array([0.1] * 4), np.array(["A"] * 4), np.array([0, 2, 2, 2])
    )
    assert units.tolist() == ["A"] and math.isnan(taus[0]) and math.isnan(mean)


@pytest.mark.parametrize("value", [0.1, 0.3, 0.7, 1 / 3, 1e6 + 0.1, -2.7])
def test_a_constant_model_is_undefined_for_any_level_sizes(value: float):
    rng = np.random.default_rng(1)
    for n in range(3, 15):
        quality = rng.integers(0, 3, n)
        mean, _, _ = quality_ranking_tau(np.full(n, value), np.array(["t"] * n), quality)
        assert math.isnan(mean), (value, quality.tolist())


def test_equal_level_means_from_different_scores_are_a_tie():
    # level 0: 0.1 and 0.2 (mean 0.15); level 1: 0.15, 0.15 (mean 0.15); level 2: 0.9.
    # (0,1) model tie; (0,2) C; (1,2) C. n0 = 3, model ties 1, truth ties 0:
    # tau_b = 2 / sqrt((3 - 1) * 3) = 2 / sqrt(6). In floating point (0.1 + 0.2) / 2 is
    # 0.15000000000000002 > 0.15, which made (0,1) a discordant pair (tau 1/3).
    score = np.array([0.1, 0.2, 0.15, 0.15, 0.9])
    quality = np.array([0, 0, 1, 1, 2])
    mean, _, _ = quality_ranking_tau(score, np.array(["t"] * 5), quality)
    assert mean == pytest.approx(2 / math.sqrt(6))


def test_a_nan_score_does_not_poison_other_tasks():
    # task A: levels 0, 1, 2 with scores 0.1, 0.5, 0.9: all three pairs concordant -> tau 1.
    # task B: level 0 scored 0.2, level 2 has only a NaN score, which is left out -> one
    # level -> undefined. Mean over defined tasks = 1.0 (a NaN x 0 in the product gave NaN).
    mean, units, taus = quality_ranking_tau(
        np.array([0.1, 0.5, 0.9, 0.2, np.nan]),
        np.array(list("AAABB")),
        np.array([0, 1, 2, 0, 2]),
    )
    assert units.tolist() == ["A", "B"]
    assert taus[0] == 1.0 and math.isnan(taus[1]) and mean == 1.0


def test_a_nan_score_is_left_out_of_its_level_mean():
    # level 0: 0.4 and NaN -> mean 0.4 (not NaN); level 1: 0.3; level 2: 0.5
    # (0,1) D, (0,2) C, (1,2) C -> (2 - 1) / 3 = 1/3
    mean, _, _ = quality_ranking_tau(
        np.array([0.4, np.nan, 0.3, 0.5]), np.array(["t"] * 4), np.array([0, 0, 1, 2])
    )
    assert mean == pytest.approx(1 / 3)


@pytest.mark.parametrize("n", [4, 8])
def test_compute_all_gives_a_constant_model_no_quality_tau(n: int):
    # one failure and n - 1 clean successes, each its own context, every score 0.1: both level
    # means are 0.1 -> undefined (the product-based means gave 1.0 for n = 4, -1.0 for n = 8)
    quality = [0] + [2] * (n - 1)
    table = EpisodeTable.build(
        episode_id=[f"e{i}" for i in range(n)],
        frame_predictions=[[0.1]] * n,
        success=[q > 0 for q in quality],
        progress=[0.5] * n,
    )
    tau = compute_all(table, settings=MetricSettings(n_boot=50), breakdowns=()).overall
    assert tau["quality_tau"].value is None and tau["quality_tau"].n == 0


# --- pairwise accuracy on empty inputs ------------------------------------------------------


def test_pairwise_accuracy_labels_accepts_empty_python_lists():
    # no judgements: accuracy undefined, 0 pairs (empty lists used to become float64 indices)
    acc, n = pairwise_accuracy_labels([0.2, 0.4], [], [], [])
    assert math.isnan(acc) and n == 0
    acc, n = pairwise_accuracy_labels([], [], [], [])
    assert math.isnan(acc) and n == 0
    assert pair_agreement([0.2], [], [], []).shape == (0,)
    # plain lists with judgements: (0 vs 1, B preferred) 0.2 < 0.4 agrees -> 1 of 1
    assert pairwise_accuracy_labels([0.2, 0.4], [0], [1], [-1]) == (1.0, 1)


# --- VOC with NaN frames --------------------------------------------------------------------


def test_voc_of_an_episode_with_a_nan_frame_is_undefined():
    # a NaN frame has no rank: no VOC (it was 1.0 for [nan, nan] and 0.5 for [0, nan, 1])
    assert math.isnan(voc(np.array([np.nan, np.nan])))
    assert math.isnan(voc(np.array([0.0, np.nan, 1.0])))
    # the other episodes of a batch are unaffected: [0, 1] -> 1; [nan, 2] -> NaN; [3, 2, 1] -> -1
    out = voc_many(np.array([0.0, 1.0, np.nan, 2.0, 3.0, 2.0, 1.0]), np.array([0, 2, 4, 7]))
    assert out[0] == pytest.approx(1.0) and math.isnan(out[1]) and out[2] == pytest.approx(-1.0)
    # constant predictions are still 0 (an answer with no order), not undefined
    assert voc(np.array([0.4, 0.4])) == 0.0


def test_compute_all_leaves_undefined_voc_episodes_out_and_counts_the_rest():
    # three successful episodes: VOC 1 ([0, .5, 1]), -1 ([1, 0]), NaN ([.2, nan]) -> the mean
    # over the two defined ones is 0, n = 2
    table = EpisodeTable.build(
        episode_id=["a", "b", "c"],
        frame_predictions=[[0.0, 0.5, 1.0], [1.0, 0.0], [0.2, np.nan]],
        success=[True, True, True],
    )
    voc_value = compute_all(table, settings=MetricSettings(n_boot=0), breakdowns=()).overall["voc"]
    assert (voc_value.value, voc_value.n) == (pytest.approx(0.0), 2)


# --- AUROC / AUPRC with NaN scores ----------------------------------------------------------


def test_auroc_and_auprc_with_nan_scores_do_not_depend_on_the_order():
    # NaN ranks below every real score and ties with other NaNs. positives: NaN, 0.2;
    # negatives: 0.5, NaN. Pos x neg pairs: (NaN, .5) loss, (NaN, NaN) tie 1/2, (.2, .5) loss,
    # (.2, NaN) win -> AUROC = 1.5 / 4 = 0.375.
    # AUPRC, thresholds descending: .5 -> tp 0 of 1 called; .2 -> tp 1 of 2, recall 1/2,
    # P = 1/2; NaN -> tp 2 of 4, recall 1, P = 1/2: AP = 1/2 * 1/2 + 1/2 * 1/2 = 0.5.
    score = np.array([np.nan, 0.5, 0.2, np.nan])
    positive = np.array([True, False, True, False])
    rocs, prs = set(), set()
    for perm in itertools.permutations(range(4)):
        rocs.add(auroc(score[list(perm)], positive[list(perm)]))
        prs.add(auprc(score[list(perm)], positive[list(perm)]))
    assert rocs == {0.375} and prs == {0.5}


def test_compute_all_auroc_with_nan_scores_does_not_depend_on_the_order():
    # the same four episodes as above, as empty episodes (NaN final) and single frames
    frames = [[], [0.5], [0.2], []]
    success = [True, False, True, False]
    for perm in itertools.permutations(range(4)):
        table = EpisodeTable.build(
            episode_id=[f"e{i}" for i in perm],
            frame_predictions=[frames[i] for i in perm],
            success=[success[i] for i in perm],
        )
        o = compute_all(table, settings=MetricSettings(n_boot=0), breakdowns=()).overall
        assert o["auroc"].value == pytest.approx(0.375)
        assert o["auprc"].value == pytest.approx(0.5)
