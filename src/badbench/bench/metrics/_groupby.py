"""A generic group-by over episode columns, for per-category breakdowns."""

from __future__ import annotations

import numpy as np


def group_indices(keys: np.ndarray) -> dict[str, np.ndarray]:
    """Map each distinct key (as str, sorted) to the int64 rows holding it, in row order."""
    uniques, codes = encode(keys)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return {
        str(u): order[bounds[i] : bounds[i + 1]].astype(np.int64) for i, u in enumerate(uniques)
    }


def encode(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(uniques, codes)``: sorted distinct keys and each row's code into them (int64).

    Object arrays of strings are compared as str (``np.unique`` on ``dtype=str``).
    """
    keys = np.asarray(keys).reshape(-1)
    if keys.dtype == object:
        keys = keys.astype(str)
    if len(keys) == 0:
        return keys, np.zeros(0, dtype=np.int64)
    uniques, codes = np.unique(keys, return_inverse=True)
    return uniques, codes.astype(np.int64).reshape(-1)
