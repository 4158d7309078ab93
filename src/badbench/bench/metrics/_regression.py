"""Errors against progress labels: MAE and over-reward."""

from __future__ import annotations

import numpy as np


def mae(predicted: np.ndarray, target: np.ndarray) -> float:
    """Mean absolute error |predicted - target| over entries with a finite target.

    Units: progress (fraction of the task, [0, 1] scale). NaN when no finite target.
    """
    predicted = np.asarray(predicted, dtype=np.float64).reshape(-1)
    target = np.asarray(target, dtype=np.float64).reshape(-1)
    ok = np.isfinite(target)
    return float(np.mean(np.abs(predicted[ok] - target[ok]))) if ok.any() else float("nan")


def over_reward(predicted: np.ndarray, target: np.ndarray, bad: np.ndarray) -> float:
    """Mean signed error predicted - target over bad episodes with a finite target.

    Positive: the model over-rewards bad behaviour. Units: progress. NaN when none.
    """
    predicted = np.asarray(predicted, dtype=np.float64).reshape(-1)
    target = np.asarray(target, dtype=np.float64).reshape(-1)
    ok = np.isfinite(target) & np.asarray(bad, dtype=bool).reshape(-1)
    return float(np.mean(predicted[ok] - target[ok])) if ok.any() else float("nan")
