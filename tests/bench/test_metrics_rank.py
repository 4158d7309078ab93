"""Rank statistics, trajectory scores, VOC, MAE and over-reward, against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from badbench.bench.metrics import (
    kendall_tau_b,
    mae,
    over_reward,
    rankdata,
    spearman,
    trajectory_score,
    trajectory_scores,
    voc,
    voc_many,
)
from badbench.errors import ValidationError


def test_rankdata_averages_ties():
    # sorted: 10 (rank 1), 20, 20 (ranks 2 and 3 -> 2.5 each), 30 (rank 4)
    assert rankdata(np.array([20, 10, 30, 20])).tolist() == [2.5, 1.0, 4.0, 2.5]
    assert rankdata(np.array([])).tolist() == []


def test_spearman_by_hand():
    # x ranks 1,2,3,4; y = [1, 3, 2, 4] ranks 1,3,2,4: d = 0,1,1,0, sum d^2 = 2
    # rho = 1 - 6 * 2 / (4 * (16 - 1)) = 1 - 12/60 = 0.8
    assert spearman(np.arange(4.0), np.array([1.0, 3.0, 2.0, 4.0])) == pytest.approx(0.8)
    # with a tie in y: y = [1, 2, 2, 3] -> ranks 1, 2.5, 2.5, 4; centred x: -1.5,-.5,.5,1.5;
    # centred y: -1.5, 0, 0, 1.5; cov = 2.25 + 2.25 = 4.5; |x| = sqrt(5), |y| = sqrt(4.5)
    # rho = 4.5 / sqrt(5 * 4.5) = sqrt(4.5 / 5) = 0.948683...
    assert spearman(np.arange(4.0), np.array([1.0, 2.0, 2.0, 3.0])) == pytest.approx(math.sqrt(0.9))
    assert math.isnan(spearman(np.arange(3.0), np.ones(3)))  # constant side
    assert math.isnan(spearman(np.array([1.0]), np.array([2.0])))  # < 2 values


def test_kendall_tau_b_by_hand():
    # x = [1, 2, 3], y = [1, 3, 2]: pairs (1,2) C, (1,3) C, (2,3) D -> (2 - 1) / 3
    assert kendall_tau_b(np.array([1.0, 2, 3]), np.array([1.0, 3, 2])) == pytest.approx(1 / 3)
    # ties: x = [1, 1, 2], y = [1, 2, 3]: pair (1,2) tied in x; (1,3) C, (2,3) C
    # n0 = 3, n1 = 1 (x ties), n2 = 0: tau_b = 2 / sqrt((3 - 1) * 3) = 2 / sqrt(6)
    assert kendall_tau_b(np.array([1.0, 1, 2]), np.array([1.0, 2, 3])) == pytest.approx(
        2 / math.sqrt(6)
    )
    assert math.isnan(kendall_tau_b(np.ones(4), np.arange(4.0)))


def test_rank_statistics_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(3, 25))
        x = rng.integers(0, 4, n).astype(float)
        y = rng.integers(0, 4, n).astype(float)
        if np.ptp(x) == 0 or np.ptp(y) == 0:
            continue
        assert rankdata(x) == pytest.approx(stats.rankdata(x))
        assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic)
        assert kendall_tau_b(x, y) == pytest.approx(stats.kendalltau(x, y).statistic)


def test_trajectory_scores():
    r = np.array([0.1, 0.2, 0.6])
    assert trajectory_score(r) == pytest.approx(0.9)  # return = 0.1 + 0.2 + 0.6
    assert trajectory_score(r, "sum") == pytest.approx(0.9)
    assert trajectory_score(r, "last") == pytest.approx(0.6)
    assert trajectory_score(r, "mean") == pytest.approx(0.3)  # 0.9 / 3
    # concatenated: [1, 2] | [] | [3, 4]
    values, offsets = np.array([1.0, 2, 3, 4]), np.array([0, 2, 2, 4])
    assert trajectory_scores(values, offsets, "return").tolist() == [3.0, 0.0, 7.0]
    last = trajectory_scores(values, offsets, "last")
    assert last[0] == 2.0 and math.isnan(last[1]) and last[2] == 4.0
    with pytest.raises(ValidationError, match="score_kind"):
        trajectory_score(r, "median")


def test_voc_by_hand_and_undefined_cases():
    # [0.1, 0.3, 0.2, 0.4]: ranks 1,3,2,4 vs 1,2,3,4 -> 0.8 (see test_spearman_by_hand)
    assert voc(np.array([0.1, 0.3, 0.2, 0.4])) == pytest.approx(0.8)
    assert voc(np.array([0.0, 0.5, 1.0])) == pytest.approx(1.0)
    assert voc(np.array([1.0, 0.5, 0.0])) == pytest.approx(-1.0)
    assert voc(np.array([0.7, 0.7, 0.7])) == 0.0  # constant
    assert voc(np.array([0.7])) == 0.0  # fewer than 2 frames
    assert voc(np.array([])) == 0.0
    out = voc_many(np.array([0.0, 1.0, 5.0, 2.0, 2.0]), np.array([0, 2, 3, 5]))
    assert out.tolist() == pytest.approx([1.0, 0.0, 0.0])


def test_voc_gives_tied_values_their_average_rank():
    # [0.1, 0.1, 0.3]: ranks 1.5, 1.5, 3 against 1, 2, 3; centred: -0.5, -0.5, 1 and -1, 0, 1
    # rho = (0.5 + 0 + 1) / sqrt(1.5 * 2) = 1.5 / sqrt(3) = sqrt(3) / 2 = 0.866
    # (lowest ranks 1, 1, 3, centred on (n + 1) / 2 = 2: 2 / sqrt(2 * 3) = 0.816)
    assert voc(np.array([0.1, 0.1, 0.3])) == pytest.approx(math.sqrt(3) / 2)
    # a flat tail, as the oracle's curves: [0, 1, 1, 1] ranks 1, 3, 3, 3; centred y -1.5, .5,
    # .5, .5 against x -1.5, -.5, .5, 1.5: sxy = 2.25 - .25 + .25 + .75 = 3; sxx = 5, syy = 3
    # rho = 3 / sqrt(15) = 0.7746
    assert voc(np.array([0.0, 1.0, 1.0, 1.0])) == pytest.approx(3 / math.sqrt(15))
    # and the same inside a batch, after an episode of other length (ranks are per episode)
    out = voc_many(np.array([0.5, 0.2, 0.1, 0.1, 0.3]), np.array([0, 2, 5]))
    assert out.tolist() == pytest.approx([-1.0, math.sqrt(3) / 2])


def test_voc_matches_scipy_spearman_on_random_inputs_with_ties():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(5)
    lengths = rng.integers(2, 30, 200)
    # few distinct values (0..3 in quarter steps, plus a flat run) so that most episodes tie
    episodes = [np.round(rng.integers(0, 4, n) / 4.0, 2) for n in lengths]
    episodes[0] = np.array([0.0, 0.5, 1.0, 1.0, 1.0, 1.0])
    offsets = np.r_[0, np.cumsum([len(e) for e in episodes])]
    batch = voc_many(np.concatenate(episodes), offsets)
    for values, got in zip(episodes, batch, strict=True):
        expected = 0.0 if np.ptp(values) == 0 else stats.spearmanr(np.arange(len(values)), values)
        expected = getattr(expected, "statistic", expected)
        assert got == pytest.approx(expected, abs=1e-12)
        assert voc(values) == pytest.approx(expected, abs=1e-12)


def test_mae_and_over_reward():
    pred = np.array([0.9, 0.5, 1.0, 0.2])
    target = np.array([1.0, 0.2, np.nan, 0.4])
    # finite targets: |0.9 - 1| + |0.5 - 0.2| + |0.2 - 0.4| = 0.1 + 0.3 + 0.2 = 0.6; / 3 = 0.2
    assert mae(pred, target) == pytest.approx(0.2)
    bad = np.array([False, True, True, True])
    # bad with finite target: rows 1, 3: (0.5 - 0.2) + (0.2 - 0.4) = 0.3 - 0.2 = 0.1; / 2 = 0.05
    assert over_reward(pred, target, bad) == pytest.approx(0.05)
    assert math.isnan(mae(np.array([]), np.array([])))
    assert math.isnan(over_reward(pred, target, np.zeros(4, dtype=bool)))


def test_identical_episodes_get_bitwise_equal_returns_wherever_they_sit():
    # A global cumsum would give 30.5 +- 1e-13 depending on the offset, turning a model tie
    # (which counts as a disagreement) into an arbitrary win. Each episode is summed alone.
    from badbench.bench.metrics import pairwise_accuracy, trajectory_scores

    rng = np.random.default_rng(0)
    ramp = np.linspace(0.0, 1.0, 61)
    parts = [rng.random(37) * 100, ramp, rng.random(5), ramp, np.zeros(0), ramp]
    offsets = np.cumsum([0] + [len(p) for p in parts])
    scores = trajectory_scores(np.concatenate(parts), offsets, "return")
    assert scores[1] == scores[3] == scores[5] == 30.5
    assert scores[4] == 0.0
    # three identical ramps with different human scores: every pair is a model tie -> 0
    acc, n = pairwise_accuracy(np.array(["c"] * 3), np.array([0.1, 0.5, 0.9]), scores[[1, 3, 5]])
    assert (acc, n) == (0.0, 3)
