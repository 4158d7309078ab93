"""Trajectory scores: one number per episode from its per-frame rewards.

The paper's trajectory score is the return ``y_hat = sum_t r_hat_t``; the last frame's value and
the mean over frames are offered as well.
"""

from __future__ import annotations

import numpy as np

from badbench.errors import ValidationError

SCORE_KINDS = ("return", "last", "mean")
"""The trajectory scores: ``return`` (sum over frames), ``last`` (final frame), ``mean``."""


def trajectory_score(values: np.ndarray, kind: str = "return") -> float:
    """One episode's trajectory score.

    Args:
        values: (T,) per-frame rewards in chronological order (units: the model's reward units).
        kind: ``"return"`` = sum_t r_t (alias ``"sum"``), ``"last"`` = r_T, ``"mean"`` = the mean.

    Returns:
        The score; for an empty episode 0.0 (return) or NaN (last, mean).

    Raises:
        ValidationError: unknown ``kind``.
    """
    raise NotImplementedError


def trajectory_scores(values: np.ndarray, offsets: np.ndarray, kind: str = "return") -> np.ndarray:
    """Vectorised :func:`trajectory_score` over concatenated episodes.

    Args:
        values: all episodes' per-frame rewards, concatenated.
        offsets: (N + 1,) episode boundaries; episode i is ``values[offsets[i]:offsets[i + 1]]``.
        kind: as in :func:`trajectory_score`.

    Returns:
        (N,) float scores.
    """
    raise NotImplementedError
