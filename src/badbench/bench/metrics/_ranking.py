"""Ranking metrics: Kendall tau of the quality ranking, and best-of-K selection."""

from __future__ import annotations

import numpy as np

from badbench.bench.metrics._groupby import encode
from badbench.bench.metrics._types import (
    NO_FAILURE,
    QUALITY_FAILURE,
    QUALITY_SUBOPTIMAL,
    QUALITY_SUCCESS,
)


def quality_levels(success: np.ndarray, failure_category: np.ndarray) -> np.ndarray:
    """Quality level of each episode: 0 failure < 1 suboptimal < 2 clean success.

    0 when ``success`` is false; 2 when successful with no failure category (``"none"``);
    1 when successful but tagged (poor execution, shortcut, or unsafe: the task got done in a
    way people penalise).
    """
    success = np.asarray(success, dtype=bool).reshape(-1)
    clean = np.asarray(failure_category).reshape(-1) == NO_FAILURE
    return np.where(
        success, np.where(clean, QUALITY_SUCCESS, QUALITY_SUBOPTIMAL), QUALITY_FAILURE
    ).astype(np.int64)


def group_ranking_tau(
    model: np.ndarray, unit: np.ndarray, group: np.ndarray, truth: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Kendall tau-b, per unit, between groups ranked by mean model score and by mean truth.

    Within each unit (e.g. a task), episodes are grouped (e.g. by quality level or policy);
    each group gets its mean model score and mean truth value, and tau-b compares the two
    rankings of the groups. Units with fewer than 2 groups (or constant truth) are undefined.

    Returns:
        ``(mean_tau, units, taus)``: the mean over defined units (NaN if none), the unit ids,
        and each unit's tau (NaN where undefined).
    """
    model = np.asarray(model, dtype=np.float64).reshape(-1)
    units, taus = weighted_group_ranking_tau(model, unit, group, truth, np.ones((1, len(model))))
    taus = taus[0]
    ok = np.isfinite(taus)
    mean = float(taus[ok].mean()) if ok.any() else float("nan")
    return mean, units, taus


def quality_ranking_tau(
    model: np.ndarray, task: np.ndarray, quality: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """:func:`group_ranking_tau` with quality levels as groups and truth, per task.

    Example: a task whose mean scores are failure 0.2, suboptimal 0.9, success 0.8 has
    tau = (2 - 1) / 3 = 1/3 (pairs (F,S),(F,Su) concordant; (S,Su) discordant).
    """
    return group_ranking_tau(model, task, quality, np.asarray(quality, dtype=np.float64))


def best_of_k(
    context: np.ndarray, human: np.ndarray, model: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Best-of-K: is the model's top pick among the humans' top, per context?

    Credit of a context = |M ∩ H| / |M|, where M are its episodes tied at the model's maximum
    and H those tied at the human maximum (RewardBench v2: 1 / number tied at the max when the
    right one is among them): the expected hit rate of a random tie-break. Contexts with fewer
    than 2 episodes or all human scores equal are undefined (left out). NaN human scores are
    ignored.

    Returns:
        ``(mean_credit, contexts, credits)``: the mean over defined contexts (NaN if none), the
        context ids and their credits (NaN where undefined).
    """
    contexts, credits = best_of_k_credits(context, human, model)
    ok = np.isfinite(credits)
    mean = float(credits[ok].mean()) if ok.any() else float("nan")
    return mean, contexts, credits


def best_of_k_credits(
    context: np.ndarray, human: np.ndarray, model: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(contexts, credits)`` of :func:`best_of_k` (credits NaN where undefined)."""
    human = np.asarray(human, dtype=np.float64).reshape(-1)
    model = np.asarray(model, dtype=np.float64).reshape(-1)
    contexts, codes = encode(context)
    n_c = len(contexts)
    ok = np.isfinite(human)
    codes_ok = codes[ok]
    h, m = human[ok], model[ok]
    hmax = np.full(n_c, -np.inf)
    hmin = np.full(n_c, np.inf)
    mmax = np.full(n_c, -np.inf)
    np.maximum.at(hmax, codes_ok, h)
    np.minimum.at(hmin, codes_ok, h)
    np.maximum.at(mmax, codes_ok, np.where(np.isnan(m), -np.inf, m))
    count = np.bincount(codes_ok, minlength=n_c)
    at_mtop = m == mmax[codes_ok]
    at_htop = h == hmax[codes_ok]
    n_m = np.bincount(codes_ok, weights=at_mtop, minlength=n_c)
    n_hit = np.bincount(codes_ok, weights=at_mtop & at_htop, minlength=n_c)
    credits = np.full(n_c, np.nan)
    defined = (count >= 2) & (hmax > hmin) & (n_m > 0)
    credits[defined] = n_hit[defined] / n_m[defined]
    return contexts, credits


def weighted_group_ranking_tau(
    model: np.ndarray,
    unit: np.ndarray,
    group: np.ndarray,
    truth: np.ndarray,
    weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit tau-b of weighted group means under episode weights (B, N).

    Episodes whose model score or truth is not finite (NaN: an empty or failed episode) are left
    out of their group's means; they affect no other unit. Two group means count as tied when
    they differ by no more than rounding (:data:`_MEAN_RTOL` times the unit's spread of values),
    so a model that scores every episode alike is undefined, not ranked by floating-point noise.

    Returns:
        ``(units, taus)`` with taus (B, U); NaN where a unit has < 2 weighted groups or a
        constant side.
    """
    model = np.asarray(model, dtype=np.float64).reshape(-1)
    truth = np.asarray(truth, dtype=np.float64).reshape(-1)
    units, ucode = encode(unit)
    if len(units) == 0:
        return units, np.full((weights.shape[0], 0), np.nan)
    _, gcode = encode(group)
    n_g = max(int(gcode.max()) + 1, 1)
    ok = np.isfinite(model) & np.isfinite(truth)
    mmean, mtol = _group_means(model, ok, ucode, gcode, len(units), n_g, weights)
    tmean, ttol = _group_means(truth, ok, ucode, gcode, len(units), n_g, weights)
    s = np.zeros(mmean.shape[:2])
    nx = np.zeros(mmean.shape[:2])
    ny = np.zeros(mmean.shape[:2])
    for i in range(n_g):
        for j in range(i + 1, n_g):
            sx = _sign(mmean[:, :, i] - mmean[:, :, j], mtol)
            sy = _sign(tmean[:, :, i] - tmean[:, :, j], ttol)
            valid = np.isfinite(sx) & np.isfinite(sy)
            sx, sy = np.where(valid, sx, 0.0), np.where(valid, sy, 0.0)
            s += sx * sy
            nx += sx != 0
            ny += sy != 0
    den = np.sqrt(nx * ny)
    taus = np.full(s.shape, np.nan)
    defined = den > 0
    taus[defined] = s[defined] / den[defined]
    return units, taus


_MEAN_RTOL = 1e-9
"""Group means closer than this fraction of their unit's spread are tied (rounding, not signal)."""


def _sign(diff: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """sign(diff), 0 where |diff| <= tol (per unit, broadcast over resamples); NaN stays NaN."""
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(diff) <= tol[None, :], 0.0, np.sign(diff))


def _group_means(
    values: np.ndarray,
    ok: np.ndarray,
    ucode: np.ndarray,
    gcode: np.ndarray,
    n_units: int,
    n_groups: int,
    weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(B, U, G) weighted means of the ``ok`` values per (unit, group), NaN for empty cells,
    and (U,) the rounding tolerance of each unit's means.

    Values are taken relative to their unit's minimum, so a unit of equal values has means of
    exactly 0 and the tolerance scales with the unit's spread, not with its offset.
    """
    lo = np.full(n_units, np.inf)
    hi = np.full(n_units, -np.inf)
    np.minimum.at(lo, ucode[ok], values[ok])
    np.maximum.at(hi, ucode[ok], values[ok])
    present = hi >= lo
    lo = np.where(present, lo, 0.0)
    spread = np.where(present, hi - lo, 0.0)
    shifted = np.where(ok, values - lo[ucode], 0.0)
    ind = np.zeros((len(values), n_units * n_groups))
    ind[np.arange(len(values)), ucode * n_groups + gcode] = ok
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (weights * shifted) @ ind / (weights @ ind)
    return means.reshape(-1, n_units, n_groups), _MEAN_RTOL * spread
