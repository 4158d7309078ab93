"""Errors against progress labels: MAE and over-reward."""

from __future__ import annotations

import numpy as np


def mae(predicted: np.ndarray, target: np.ndarray) -> float:
    """Mean absolute error |predicted - target| over entries with a finite target.

    Units: progress (fraction of the task, [0, 1] scale). NaN when no finite target.
    """
    raise NotImplementedError


def over_reward(predicted: np.ndarray, target: np.ndarray, bad: np.ndarray) -> float:
    """Mean signed error predicted - target over bad episodes with a finite target.

    Positive: the model over-rewards bad behaviour. Units: progress. NaN when none.
    """
    raise NotImplementedError
