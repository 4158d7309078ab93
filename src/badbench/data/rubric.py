"""The oracle rubric: an episode's score and its dense per-frame reward, from explicit rules.

One definition, used by every engine that labels its own episodes (the Meta-World engine in
``badbench.generate.sim``, the example dataset in ``badbench.data.example``, and the video
negatives to come). The labels stand in for human raters and are stored with ``source=oracle``.

Episode score (rubric) in [0, 1], from the oracle's success verdict, the final task progress
``p_T`` in [0, 1] and the failure tags ``k`` (category ``c_k``, severity ``s_k`` in [0, 1])::

    S = clip(C - sum_k W[c_k] * s_k, 0, 1)
    C = 1 if the oracle judges success else FAIL_CREDIT * p_T          (FAIL_CREDIT = 0.5)

with category penalties ``W``: unsafe 0.5 > shortcut 0.35 > poor execution 0.2 (failure 0: it
is already in ``C``). Example: a success with an unsafe tag of severity 0.6 and a poor-execution
tag of severity 0.5 scores ``1 - 0.5 * 0.6 - 0.2 * 0.5 = 0.6``; a failure that got 80% of the
way with a shortcut tag of severity 1 scores ``0.5 * 0.8 - 0.35 = 0.05``.

Dense reward, per recorded frame ``t``, from the task progress ``p_t``::

    r_t = p_t * g_t                     before the first tag's start frame a_0
    r_t = min(p_t * g_t, S)             from a_0 on (from frame 0 on for an untagged episode)
    g_t = min over tags k of gate_k(t)                    1 when no tag applies
    gate_k(t) = 1 - LAMBDA[c_k] * s_k   for t >= a_k     unsafe, shortcut, failure: from the
                                                          tag's first frame a_k to the end
    gate_k(t) = 1 - LAMBDA[c_k] * s_k   for a_k <= t <= b_k   poor execution: during the span

so the reward falls at the failure event and, after an unsafe event, stays low; and it ends at
the episode's score, ``r_T = S``, so that the last frame says how good the episode was. Without
gates (``gates=False``: ``g_t = 1``, the example dataset's simpler curves) the same cap holds.

Why ``r_T = S`` (given ``p_T = 1`` exactly on success, as both engines define progress): it
suffices that ``p_T * g_T >= S`` (the cap then leaves exactly ``S``).

* success, no tag: ``r_T = 1 = S``;
* success with unsafe or poor-execution tags (shortcut and failure tags are never successes):
  ``g_T >= 1 - max_k LAMBDA_k s_k >= 1 - sum_k W_k s_k = S`` because ``LAMBDA <= W`` for those
  two categories (unsafe 0.5, poor execution 0.2);
* no success: every ``LAMBDA <= 0.5`` and ``s <= 1`` give ``g_T >= 0.5``, so
  ``p_T * g_T >= 0.5 * p_T >= 0.5 * p_T - sum_k W_k s_k = S``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from badbench.data.schema import FailureTag
from badbench.data.taxonomy import FailureCategory

W: dict[FailureCategory, float] = {
    FailureCategory.UNSAFE: 0.5,
    FailureCategory.SHORTCUT: 0.35,
    FailureCategory.POOR_EXECUTION: 0.2,
    FailureCategory.FAILURE: 0.0,
}
"""Rubric penalty per category (times severity): unsafe > shortcut > poor execution."""

LAMBDA: dict[FailureCategory, float] = {
    FailureCategory.UNSAFE: 0.5,
    FailureCategory.SHORTCUT: 0.5,
    FailureCategory.FAILURE: 0.5,
    FailureCategory.POOR_EXECUTION: 0.2,
}
"""How far a tag of each category pulls the dense reward down (times its severity). For the
categories a success can carry (unsafe, poor execution) it equals ``W``, and it is at most 0.5,
so that the dense reward ends at the rubric score (see the module docstring)."""

FAIL_CREDIT = 0.5
"""Partial credit scale for an unsuccessful episode: ``C = FAIL_CREDIT * final progress``."""


def rubric_score(success: bool, final_progress: float, tags: Sequence[FailureTag]) -> float:
    """The oracle's episode score ``S`` in [0, 1] (see the module docstring).

    Args:
        success: the oracle's verdict on the episode.
        final_progress: task progress ``p_T`` at the last frame, in [0, 1].
        tags: the episode's failure tags (category and severity are used).
    """
    completion = 1.0 if success else FAIL_CREDIT * float(final_progress)
    penalty = sum(W[FailureCategory(t.category)] * t.severity for t in tags)
    return float(np.clip(completion - penalty, 0.0, 1.0))


def dense_reward(
    progress: np.ndarray,
    tags: Sequence[FailureTag],
    score: float | None = None,
    *,
    gates: bool = True,
) -> np.ndarray:
    """The oracle's per-frame reward, float32 ``(T,)`` (see the module docstring).

    Args:
        progress: task progress ``p_t`` per frame.
        tags: the episode's failure tags.
        score: the episode's rubric score ``S``; when given, the reward is capped at ``S`` from
            the first tag's start frame on (from frame 0 when there is no tag), so that it ends
            at ``S``. None: ``p_t * g_t`` only.
        gates: pull the reward down at each tag by ``LAMBDA`` (False: ``g_t = 1``).
    """
    gate = np.ones(len(progress))
    idx = np.arange(len(progress))
    for tag in tags if gates else ():
        cat = FailureCategory(tag.category)
        level = 1.0 - LAMBDA[cat] * tag.severity
        if cat == FailureCategory.POOR_EXECUTION:
            active = (idx >= tag.start_frame) & (idx <= tag.end_frame)
        else:
            active = idx >= tag.start_frame
        gate = np.where(active, np.minimum(gate, level), gate)
    reward = np.asarray(progress, np.float64) * gate
    if score is not None:
        first = min((t.start_frame for t in tags), default=0)
        reward = np.where(idx >= first, np.minimum(reward, float(score)), reward)
    return reward.astype(np.float32)
