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
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    return float(trajectory_scores(values, np.array([0, len(values)]), kind)[0])


def trajectory_scores(values: np.ndarray, offsets: np.ndarray, kind: str = "return") -> np.ndarray:
    """Vectorised :func:`trajectory_score` over concatenated episodes.

    Args:
        values: all episodes' per-frame rewards, concatenated.
        offsets: (N + 1,) episode boundaries; episode i is ``values[offsets[i]:offsets[i + 1]]``.
        kind: as in :func:`trajectory_score`.

    Returns:
        (N,) float scores.

    Raises:
        ValidationError: unknown ``kind``.
    """
    kind = _canonical(kind)
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    offsets = np.asarray(offsets, dtype=np.int64)
    lengths = np.diff(offsets)
    # Each episode is summed on its own (not as a difference of one global cumsum, which loses
    # precision on long datasets and breaks exact ties between identical episodes).
    sums = np.zeros(len(lengths))
    full = lengths > 0
    if full.any():
        sums[full] = np.add.reduceat(values, offsets[:-1][full])[: int(full.sum())]
    if kind == "return":
        return sums
    empty = lengths == 0
    if kind == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            out = sums / lengths
        out[empty] = np.nan
        return out
    out = np.full(len(lengths), np.nan)
    out[~empty] = values[offsets[1:][~empty] - 1]
    return out


def _canonical(kind: str) -> str:
    if kind == "sum":
        return "return"
    if kind not in SCORE_KINDS:
        raise ValidationError(
            f"unknown trajectory score '{kind}'; choose one of {', '.join(SCORE_KINDS)}",
            field="score_kind",
        )
    return kind
