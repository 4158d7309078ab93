"""A generic group-by over episode columns, for per-category breakdowns."""

from __future__ import annotations

import numpy as np


def group_indices(keys: np.ndarray) -> dict[str, np.ndarray]:
    """Map each distinct key (as str, sorted) to the int64 rows holding it, in row order."""
    raise NotImplementedError


def encode(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(uniques, codes)``: sorted distinct keys and each row's code into them (int64)."""
    raise NotImplementedError
