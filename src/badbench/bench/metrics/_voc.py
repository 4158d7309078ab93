"""Value-Order Correlation (VOC, from GVL).

VOC = Spearman's rho between an episode's predicted values, in chronological order, and the frame
index 0..T-1. Constant predictions or fewer than 2 frames give 0 (not NaN). Meaningful on
successful episodes, whose true progress rises; the paper's point is that VOC cannot see
violations. Units: correlation in [-1, 1].
"""

from __future__ import annotations

import numpy as np

from badbench.bench.metrics._rank import spearman


def voc(values: np.ndarray) -> float:
    """VOC of one episode's chronologically ordered per-frame predictions (0 when undefined).

    Example: ``[0.1, 0.3, 0.2, 0.4]`` has ranks 1, 3, 2, 4 against 1, 2, 3, 4:
    rho = 1 - 6 * (0 + 1 + 1 + 0) / (4 * 15) = 0.8.
    """
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if len(values) < 2:
        return 0.0
    rho = spearman(values, np.arange(len(values), dtype=np.float64))
    return 0.0 if np.isnan(rho) else rho


def voc_many(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """VOC of each episode of concatenated predictions (episode i is
    ``values[offsets[i]:offsets[i + 1]]``); (N,) float."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    offsets = np.asarray(offsets, dtype=np.int64)
    return np.array(
        [voc(values[offsets[i] : offsets[i + 1]]) for i in range(len(offsets) - 1)],
        dtype=np.float64,
    )
