"""Bootstrap intervals that resample contexts: determinism, coverage of the point estimate."""

from __future__ import annotations

import math

import numpy as np
import pytest

from badbench.bench.metrics import bootstrap, ratio_statistic, resample_counts
from badbench.bench.metrics._detection import weighted_auroc


def test_resample_counts_draw_c_of_c_with_replacement():
    w = resample_counts(7, 200, seed=1)
    assert w.shape == (200, 7)
    assert np.all(w.sum(axis=1) == 7) and np.all(w >= 0)
    assert np.array_equal(w, resample_counts(7, 200, seed=1))
    assert not np.array_equal(w, resample_counts(7, 200, seed=2))
    assert resample_counts(0, 5).shape == (5, 0)


def test_ratio_statistic_by_hand():
    stat = ratio_statistic(np.array([1.0, 3.0]), np.array([2.0, 4.0]))
    # weights (1, 1): 4 / 6; (2, 0): 2 / 4; (0, 0): undefined
    out = stat(np.array([[1.0, 1.0], [2.0, 0.0], [0.0, 0.0]]))
    assert out[:2] == pytest.approx([4 / 6, 0.5]) and math.isnan(out[2])


def test_bootstrap_is_seeded_and_covers_the_point_estimate():
    # per-context successes out of trials: overall 12 / 20 = 0.6
    num = np.array([1.0, 2.0, 3.0, 0.0, 2.0, 4.0, 0.0, 0.0, 0.0, 0.0])
    den = np.array([2.0, 2.0, 4.0, 1.0, 2.0, 5.0, 1.0, 1.0, 1.0, 1.0])
    stat = ratio_statistic(num, den)
    value, low, high = bootstrap(stat, 10, n_boot=500, seed=0)
    assert value == pytest.approx(0.6)
    assert low < value < high and 0.0 <= low and high <= 1.0
    assert bootstrap(stat, 10, n_boot=500, seed=0) == (value, low, high)
    assert bootstrap(stat, 10, n_boot=500, seed=1) != (value, low, high)
    # no resamples: point only
    v, lo, hi = bootstrap(stat, 10, n_boot=0)
    assert v == pytest.approx(0.6) and math.isnan(lo) and math.isnan(hi)


def test_bootstrap_of_an_undefined_statistic_is_all_nan():
    stat = ratio_statistic(np.zeros(3), np.zeros(3))
    assert all(math.isnan(x) for x in bootstrap(stat, 3, n_boot=50))
    assert all(math.isnan(x) for x in bootstrap(stat, 0, n_boot=50))


def test_weighted_kernel_equals_the_metric_on_the_resampled_rows():
    # weights (2, 0, 1, 1) mean: row 0 twice, row 1 dropped -> AUROC of the expanded rows
    score = np.array([0.9, 0.2, 0.5, 0.4])
    positive = np.array([True, True, False, False])
    w = np.array([[2.0, 0.0, 1.0, 1.0]])
    # expanded positives 0.9, 0.9; negatives 0.5, 0.4: all 4 pairs won -> 1.0
    assert weighted_auroc(score, positive, w)[0] == pytest.approx(1.0)
    # unweighted: pairs (0.9 vs .5, .4) won, (0.2 vs .5, .4) lost -> 2 / 4
    assert weighted_auroc(score, positive, np.ones((1, 4)))[0] == pytest.approx(0.5)
