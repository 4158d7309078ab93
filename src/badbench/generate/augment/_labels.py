"""Labels of a video negative: the source's progress in, the shared rubric's labels out.

The definitions of each kind are in :mod:`badbench.generate.augment._kinds`; this module holds
the two steps every kind shares: the source episode's per-frame task progress ``p``, and the
rubric applied to a :class:`~badbench.generate.augment._kinds.Plan`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from badbench.data.rubric import DEFAULT_RUBRIC
from badbench.data.schema import Episode, FailureTag, LabelSource, Outcome
from badbench.data.taxonomy import failure_mode
from badbench.generate.augment._kinds import Plan

ProgressSource = Literal["auto", "linear"]
"""Where a source's per-frame progress comes from: ``auto`` (its own labels when it has them,
else linear) or ``linear`` (``t / (T - 1)`` always, ReWiND's assumption for demonstrations)."""

PROGRESS_EXTRA = "task_progress"
"""The per-frame extra holding task progress (the sim engine's name; negatives store ``q``)."""
SOURCE_FRAME_EXTRA = "source_frame"
"""The per-frame extra holding the source frame index shown (``idx``)."""


def source_progress(episode: Episode, how: ProgressSource = "auto") -> tuple[np.ndarray, str]:
    """The source episode's task progress per frame, in [0, 1], and where it came from.

    ``auto`` takes, in order: the extra ``task_progress`` (the sim engine's task progress), the
    dense labels (a clean success's rubric label is its progress), else the linear ramp
    ``t / (T - 1)`` (``1`` for a single frame). Values are clipped to [0, 1].

    Returns:
        ``(p, source)`` with ``source`` one of ``"task_progress"``, ``"dense"``, ``"linear"``.
    """
    t = episode.meta.length
    if how == "auto":
        extra = episode.extras.get(PROGRESS_EXTRA)
        for name, values in ((PROGRESS_EXTRA, extra), ("dense", episode.dense_reward)):
            if values is None:
                continue
            arr = np.asarray(values, np.float64).reshape(-1)
            if len(arr) == t and np.isfinite(arr).all():
                return np.clip(arr, 0.0, 1.0), name
    ramp = np.arange(t, dtype=np.float64) / (t - 1) if t > 1 else np.ones(t)
    return ramp, "linear"


def plan_labels(plan: Plan) -> tuple[Outcome, list[FailureTag], np.ndarray]:
    """The outcome, the failure tag and the dense label of a negative (module ``_kinds``)."""
    mode = failure_mode(plan.mode)
    tag = FailureTag(
        category=mode.category,
        mode=mode.name,
        start_frame=plan.span[0],
        end_frame=plan.span[1],
        severity=plan.severity,
        description=plan.description,
    )
    final = float(plan.progress[-1])
    score = DEFAULT_RUBRIC.score(plan.success, final, [tag])
    dense = DEFAULT_RUBRIC.dense(plan.progress, [tag], score)
    outcome = Outcome(
        success=plan.success,
        progress=final,
        progress_source=LabelSource.ORACLE,
        score=score,
        score_source=LabelSource.ORACLE,
        dense_source=LabelSource.ORACLE,
    )
    return outcome, [tag], np.clip(dense, 0.0, 1.0).astype(np.float32)

