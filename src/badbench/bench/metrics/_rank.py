"""Rank statistics used by several metrics: average ranks, Spearman's rho, Kendall's tau-b."""

from __future__ import annotations

import numpy as np


def rankdata(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``x`` with ties given the average of the ranks they span.

    Example: ``[10, 20, 20, 30] -> [1, 2.5, 2.5, 4]`` (as ``scipy.stats.rankdata``'s default).
    """
    x = np.asarray(x).reshape(-1)
    n = len(x)
    if n == 0:
        return np.zeros(0)
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    # start of each run of equal values in the sorted array
    new = np.r_[True, xs[1:] != xs[:-1]]
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], n]  # exclusive
    avg = (starts + ends + 1) / 2.0  # mean of ranks starts+1 .. ends
    run = np.cumsum(new) - 1
    ranks = np.empty(n)
    ranks[order] = avg[run]
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation: Pearson correlation of the average ranks of x and y.

    Returns:
        rho in [-1, 1]; NaN when fewer than 2 values or either side is constant.
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if len(x) != len(y):
        raise ValueError(f"x and y have lengths {len(x)} and {len(y)}")
    if len(x) < 2:
        return float("nan")
    rx = rankdata(x) - (len(x) + 1) / 2.0
    ry = rankdata(y) - (len(y) + 1) / 2.0
    den = np.sqrt(np.dot(rx, rx) * np.dot(ry, ry))
    if den == 0:
        return float("nan")
    return float(np.clip(np.dot(rx, ry) / den, -1.0, 1.0))


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall's tau-b: (C - D) / sqrt((n0 - n1)(n0 - n2)), with ties corrected.

    C / D count concordant / discordant pairs, n0 = n(n-1)/2, n1 and n2 the pairs tied in x and
    in y. O(n^2) memory-chunked pairwise comparison; meant for n up to a few thousand.

    Returns:
        tau in [-1, 1]; NaN when fewer than 2 values or either side is constant.
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if len(x) != len(y):
        raise ValueError(f"x and y have lengths {len(x)} and {len(y)}")
    n = len(x)
    if n < 2:
        return float("nan")
    s = 0.0  # sum over pairs of sign(dx) * sign(dy) = C - D
    tx = ty = 0  # pairs not tied in x, in y
    chunk = max(1, 4_000_000 // n)
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        sx = np.sign(x[lo:hi, None] - x[None, :])
        sy = np.sign(y[lo:hi, None] - y[None, :])
        s += float(np.sum(sx * sy))
        tx += int(np.count_nonzero(sx))
        ty += int(np.count_nonzero(sy))
    # each unordered pair was counted twice (i, j) and (j, i)
    den = np.sqrt(tx / 2 * ty / 2)
    if den == 0:
        return float("nan")
    return float(np.clip(s / 2 / den, -1.0, 1.0))
