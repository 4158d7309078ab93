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


def _fair_coin(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """n single-trial contexts, exactly half of them successes: p_hat = 0.5."""
    return np.tile([1.0, 0.0], n // 2), np.ones(n)


def test_bootstrap_interval_has_the_width_of_its_level():
    # 400 contexts of a fair coin: SE of the mean = sqrt(0.5 * 0.5 / 400) = 0.025, so the 95%
    # percentile interval is about 2 x 1.96 x 0.025 = 0.098 wide and the 50% one about
    # 2 x 0.674 x 0.025 = 0.034. (An interval that is really 50% fails the first check.)
    num, den = _fair_coin()
    value, low, high = bootstrap(ratio_statistic(num, den), 400, n_boot=4000, seed=0)
    assert value == 0.5
    assert high - low == pytest.approx(2 * 1.96 * 0.025, rel=0.1)
    assert low == pytest.approx(0.5 - 1.96 * 0.025, abs=0.006)
    _, low50, high50 = bootstrap(ratio_statistic(num, den), 400, n_boot=4000, seed=0, level=0.5)
    assert high50 - low50 == pytest.approx(2 * 0.674 * 0.025, rel=0.15)


def test_bootstrap_interval_covers_the_truth_at_its_level():
    # 200 seeded data sets of 400 coin flips (p = 0.5): the 95% interval should contain 0.5 in
    # about 95% of them (binomial sd over 200 sets: 1.5 points); a 50% interval in about half.
    rng = np.random.default_rng(11)
    covered = {0.95: 0, 0.5: 0}
    for k in range(200):
        num = (rng.random(400) < 0.5).astype(float)
        for level in covered:
            _, low, high = bootstrap(
                ratio_statistic(num, np.ones(400)), 400, n_boot=400, seed=k, level=level
            )
            covered[level] += low <= 0.5 <= high
    assert 0.9 <= covered[0.95] / 200 <= 0.99
    assert 0.35 <= covered[0.5] / 200 <= 0.65


def test_compute_all_intervals_have_the_width_of_their_level():
    # compute_all has its own percentile code: the same fair coin through success_accuracy.
    # 400 single-episode contexts, every episode called a success (final 1.0 >= 0.95), half of
    # them clean successes -> accuracy 0.5 with SE 0.025.
    from badbench.bench.metrics import EpisodeTable, MetricSettings, compute_all

    table = EpisodeTable.build(
        episode_id=[f"e{i}" for i in range(400)],
        frame_predictions=[[1.0]] * 400,
        success=[i % 2 == 0 for i in range(400)],
    )
    for level, z, rel in ((0.95, 1.96, 0.1), (0.5, 0.674, 0.15)):
        settings = MetricSettings(n_boot=4000, seed=0, level=level)
        acc = compute_all(table, settings=settings, breakdowns=()).overall["success_accuracy"]
        assert acc.value == 0.5 and acc.n == 400
        assert acc.ci_high - acc.ci_low == pytest.approx(2 * z * 0.025, rel=rel)
