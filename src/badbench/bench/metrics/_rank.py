"""Rank statistics used by several metrics: average ranks, Spearman's rho, Kendall's tau-b."""

from __future__ import annotations

import numpy as np


def rankdata(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``x`` with ties given the average of the ranks they span.

    Example: ``[10, 20, 20, 30] -> [1, 2.5, 2.5, 4]`` (as ``scipy.stats.rankdata``'s default).
    """
    raise NotImplementedError


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation: Pearson correlation of the average ranks of x and y.

    Returns:
        rho in [-1, 1]; NaN when fewer than 2 values or either side is constant.
    """
    raise NotImplementedError


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall's tau-b: (C - D) / sqrt((n0 - n1)(n0 - n2)), with ties corrected.

    C / D count concordant / discordant pairs, n0 = n(n-1)/2, n1 and n2 the pairs tied in x and
    in y. O(n^2) memory-chunked pairwise comparison; meant for n up to a few thousand.

    Returns:
        tau in [-1, 1]; NaN when fewer than 2 values or either side is constant.
    """
    raise NotImplementedError
