"""Value-Order Correlation (VOC, from GVL).

VOC = Spearman's rho between an episode's predicted values, in chronological order, and the frame
index 0..T-1. Constant predictions or fewer than 2 frames give 0 (not NaN). Meaningful on
successful episodes, whose true progress rises; the paper's point is that VOC cannot see
violations. Units: correlation in [-1, 1].
"""

from __future__ import annotations

import numpy as np


def voc(values: np.ndarray) -> float:
    """VOC of one episode's chronologically ordered per-frame predictions (0 when undefined)."""
    raise NotImplementedError


def voc_many(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """VOC of each episode of concatenated predictions (episode i is
    ``values[offsets[i]:offsets[i + 1]]``); (N,) float."""
    raise NotImplementedError
