"""Value-Order Correlation (VOC, from GVL).

VOC = Spearman's rho (average ranks for ties) between an episode's predicted values, in
chronological order, and the frame index 0..T-1. Constant predictions or fewer than 2 frames give
0: the predictions carry no order, which is a (poor) answer. A NaN prediction is no answer: an
episode with any NaN frame has an undefined VOC (NaN), and the benchmark's mean VOC leaves it out
(its ``n`` counts only episodes with a defined VOC). Meaningful on successful episodes, whose
true progress rises; the paper's point is that VOC cannot see violations. Units: correlation in
[-1, 1].
"""

from __future__ import annotations

import numpy as np


def voc(values: np.ndarray) -> float:
    """VOC of one episode's chronologically ordered per-frame predictions.

    0 for constant predictions or fewer than 2 frames; NaN when any frame is NaN.

    Example: ``[0.1, 0.3, 0.2, 0.4]`` has ranks 1, 3, 2, 4 against 1, 2, 3, 4:
    rho = 1 - 6 * (0 + 1 + 1 + 0) / (4 * 15) = 0.8. Ties take the average of the ranks they
    span: ``[0.1, 0.1, 0.3]`` has ranks 1.5, 1.5, 3, so rho = 1.5 / sqrt(2 * 1.5) = 0.866.
    """
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    return float(voc_many(values, np.array([0, len(values)]))[0])


def voc_many(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """VOC of each episode of concatenated predictions (episode i is
    ``values[offsets[i]:offsets[i + 1]]``); (N,) float, NaN for an episode with a NaN frame.

    Vectorised over all episodes at once: one lexsort by (episode, value) gives every frame's
    average rank within its episode; rho is then the Pearson correlation of those ranks with
    the frame index, from per-episode sums.
    """
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    offsets = np.asarray(offsets, dtype=np.int64)
    n_ep = len(offsets) - 1
    lengths = np.diff(offsets)
    out = np.zeros(n_ep)
    if len(values) == 0:
        return out
    ep = np.repeat(np.arange(n_ep), lengths)
    pos = np.arange(len(values)) - offsets[ep]  # frame index within the episode
    order = np.lexsort((values, ep))
    v, e = values[order], ep[order]
    new = np.r_[True, (v[1:] != v[:-1]) | (e[1:] != e[:-1])]
    run_start = np.flatnonzero(new)
    run_end = np.r_[run_start[1:], len(v)]  # exclusive
    first = offsets[e[run_start]]  # global start of the run's episode
    avg = (run_start - first + run_end - first + 1) / 2.0  # average 1-based rank of the run
    ranks = np.empty(len(v))
    ranks[order] = avg[np.cumsum(new) - 1]
    n = lengths.astype(np.float64)
    mean_rank = (n + 1) / 2.0  # both sides' ranks average (n + 1) / 2
    x = pos + 1.0 - mean_rank[ep]
    y = ranks - mean_rank[ep]
    sxy = np.bincount(ep, weights=x * y, minlength=n_ep)
    sxx = np.bincount(ep, weights=x * x, minlength=n_ep)
    syy = np.bincount(ep, weights=y * y, minlength=n_ep)
    den = np.sqrt(sxx * syy)
    ok = (lengths >= 2) & (den > 0)
    out[ok] = np.clip(sxy[ok] / den[ok], -1.0, 1.0)
    out[np.bincount(ep, weights=np.isnan(values), minlength=n_ep) > 0] = np.nan
    return out
