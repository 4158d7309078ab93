"""Bootstrap confidence intervals that resample contexts.

A statistic is written as a function of context weights: ``statistic(W) -> (B,)`` where
``W[b, c]`` is how many times context c was drawn in resample b (the point estimate is
``statistic`` of a row of ones). All B resamples are evaluated in one vectorised call, so 1000
resamples of a few thousand episodes take milliseconds for ratio statistics.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Statistic = Callable[[np.ndarray], np.ndarray]
"""Maps context weights (B, C) to B values of a statistic."""


def resample_counts(n_contexts: int, n_boot: int, seed: int = 0) -> np.ndarray:
    """Context multiplicities of ``n_boot`` bootstrap resamples (draw C of C with replacement).

    Deterministic for a seed (numpy's PCG64 ``default_rng``). Returns (n_boot, n_contexts) float.
    """
    rng = np.random.default_rng(seed)
    if n_contexts == 0 or n_boot == 0:
        return np.zeros((n_boot, n_contexts))
    draws = rng.integers(0, n_contexts, size=(n_boot, n_contexts))
    flat = draws + (np.arange(n_boot) * n_contexts)[:, None]
    counts = np.bincount(flat.reshape(-1), minlength=n_boot * n_contexts)
    return counts.reshape(n_boot, n_contexts).astype(np.float64)


def ratio_statistic(numerator: np.ndarray, denominator: np.ndarray) -> Statistic:
    """The statistic ``W @ numerator / W @ denominator`` (per-context sums; NaN where 0/0)."""
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)

    def statistic(weights: np.ndarray) -> np.ndarray:
        d = weights @ den
        out = np.full(weights.shape[0], np.nan)
        ok = d > 0
        out[ok] = (weights @ num)[ok] / d[ok]
        return out

    return statistic


def bootstrap(
    statistic: Statistic,
    n_contexts: int,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """Point estimate and percentile bootstrap interval of a context-weighted statistic.

    Args:
        statistic: ``W (B, C) -> (B,)``.
        n_contexts: C.
        n_boot: resamples (0: no interval, CI is NaN).
        seed: RNG seed; the same seed gives the same interval.
        level: coverage of the interval (0.95 = the 2.5th and 97.5th percentiles).

    Returns:
        ``(value, ci_low, ci_high)``; NaN CI when the value is undefined or no resample is
        defined. Resamples where the statistic is undefined (NaN) are dropped.
    """
    value = float(statistic(np.ones((1, n_contexts)))[0]) if n_contexts else float("nan")
    if not np.isfinite(value) or n_boot <= 0:
        return value, float("nan"), float("nan")
    boots = np.asarray(statistic(resample_counts(n_contexts, n_boot, seed)), dtype=np.float64)
    boots = boots[np.isfinite(boots)]
    if len(boots) == 0:
        return value, float("nan"), float("nan")
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(boots, [alpha, 1.0 - alpha])
    return value, float(low), float(high)
